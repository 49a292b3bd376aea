"""Copying a local campaign: a new draft of the same unit and brand template.

Wagtail's own snippet copy view saves its form into the original object (a new revision of
it, even with ``action-publish``); this replaces it for campaigns. The original is only read.
"""

from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.log_actions import log

from wagtail_distmark.campaigns.models import BrandTemplate, LocalCampaign
from wagtail_distmark.rules.policies import forbidden

EDIT_URL = "wagtailsnippets_wagtail_distmark_localcampaign:edit"


def copied_body(template: BrandTemplate, source) -> list[dict]:
    """The template's zones, each non-locked one with the source's content when it has it."""
    kept = {child["id"]: child for child in source.body.raw_data}
    body = []
    for zone, data in zip(template.body, template.campaign_body_data(), strict=True):
        child = kept.get(zone.id)
        same = child is not None and child["type"] == data["type"]
        body.append(child if same and not zone.value.is_locked else data)
    return body


@transaction.atomic
def copy_campaign(source: LocalCampaign, user) -> LocalCampaign:
    """A new draft from ``source``'s latest revision; ``source`` is not changed."""
    latest = source.get_latest_revision_as_object()
    template = source.template
    campaign = LocalCampaign(
        unit=source.unit,
        template=template,
        name=Truncator(_("Copy of %(name)s") % {"name": latest.name}).chars(255),
        subject=latest.subject if template.subject_editable else template.subject,
        preheader=latest.preheader if template.preheader_editable else template.preheader,
        body=copied_body(template, latest),
        created_by=user,
        live=False,
    )
    return save_new_draft(campaign, user)


def save_new_draft(campaign: LocalCampaign, user) -> LocalCampaign:
    """Save a new campaign with its first revision and its "created" log entry (the gallery
    and the copy view both start campaigns this way)."""
    campaign.save()
    campaign.save_revision(user=user, log_action=True)
    log(instance=campaign, action="wagtail.create", user=user, content_changed=True)
    return campaign


def copy_view(request, pk):
    """GET: what the copy will be; POST: make it and open it. The URL guard has already
    checked the ``copy`` rule on the campaign (see ``rules/policies.py``)."""
    source = get_object_or_404(LocalCampaign.objects.for_user(request.user), pk=pk)
    back_url = reverse(EDIT_URL, args=[source.pk])
    if not BrandTemplate.objects.available_to(source.unit).filter(pk=source.template_id).exists():
        names = {"template": source.template, "unit": source.unit}
        message = _(
            "“%(template)s” is no longer offered to %(unit)s: start a new campaign from the "
            "gallery instead."
        )
        return forbidden(request, "copy", source, message % names, back_url)
    if request.method != "POST":
        context = {"campaign": source, "back_url": back_url}
        return TemplateResponse(request, "wagtail_distmark/campaigns/copy.html", context)
    campaign = copy_campaign(source, request.user)
    messages.success(request, _("Campaign “%(name)s” created as a draft.") % {"name": campaign})
    return redirect(reverse(EDIT_URL, args=[campaign.pk]))
