"""The campaigns' Wagtail hooks: their snippet menu group, no direct publishing, HQ's report
on images whose rights end soon."""

from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from wagtail_distmark.campaigns.admin import CampaignsGroup
from wagtail_distmark.campaigns.expiring import expiring_report_menu_item
from wagtail_distmark.campaigns.models import BannedWord, BrandTemplate, LocalCampaign
from wagtail_distmark.rules.policies import register_policies

register_policies([BrandTemplate, LocalCampaign, BannedWord])
register_snippet(CampaignsGroup)


@hooks.register("construct_snippet_action_menu")
def campaigns_are_published_by_their_workflow(menu_items, request, context):
    """Campaigns go live through approval, not a Publish button (see rules/permissions.py)."""
    if context.get("model") is LocalCampaign:
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


@hooks.register("before_edit_snippet")
def refuse_publishing_campaigns_directly(request, instance):
    """The same on the server: a POST asking to publish a campaign is refused."""
    if isinstance(instance, LocalCampaign) and "action-publish" in request.POST:
        return TemplateResponse(
            request,
            "wagtail_distmark/network/forbidden.html",
            {
                "message": _("A campaign goes live when its approval workflow approves it: "
                             "submit it for approval."),
                "back_url": reverse(
                    "wagtailsnippets_wagtail_distmark_localcampaign:edit", args=[instance.pk]
                ),
                "back_label": _("Back to the campaign"),
            },
            status=403,
        )  # fmt: skip
    return None


@hooks.register("register_reports_menu_item")
def register_expiring_report():
    return expiring_report_menu_item()
