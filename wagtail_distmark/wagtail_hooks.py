"""Wagtail hooks: a thin registry handing off to the network admin and the rules."""

from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail_modeladmin.options import modeladmin_register

from wagtail_distmark import admin_urls
from wagtail_distmark.campaigns.admin import CampaignsGroup
from wagtail_distmark.campaigns.expiring import expiring_report_menu_item
from wagtail_distmark.campaigns.models import BannedWord, BrandTemplate, LocalCampaign
from wagtail_distmark.catalogue.admin import CatalogueGroup
from wagtail_distmark.catalogue.models import Product, ProductAvailability
from wagtail_distmark.library import hooks as library_hooks
from wagtail_distmark.library.admin import BrandCollectionViewSet
from wagtail_distmark.library.bulk_actions import SCOPED_FILE_BULK_ACTIONS
from wagtail_distmark.library.models import BrandCollection
from wagtail_distmark.library.policies import library_policies_registered
from wagtail_distmark.library.urls import guarded_urlpatterns
from wagtail_distmark.org.admin import OrgUnitAdmin
from wagtail_distmark.rules.bulk_actions import ScopedDeleteBulkAction
from wagtail_distmark.rules.policies import ScopedUrlsMixin, policy_for, register_policies
from wagtail_distmark.rules.reports import ScopedSnippetTypesView, scope_wagtail_reports

register_policies(
    [BrandTemplate, LocalCampaign, BannedWord, Product, ProductAvailability, BrandCollection]
)
modeladmin_register(OrgUnitAdmin)
register_snippet(CampaignsGroup)
register_snippet(CatalogueGroup)


@hooks.register("register_admin_urls")
def register_distmark_urls():
    return [
        path("distmark/", include((admin_urls, "wagtail_distmark"), namespace="wagtail_distmark"))
    ]


@hooks.register("register_admin_urls", order=-100)
def register_library_guards():
    """Ahead of Wagtail's own image and document URLs (see ``library/urls.py``)."""
    if not library_policies_registered():
        return []
    return guarded_urlpatterns()


@hooks.register("construct_admin_api", order=100)
def scope_admin_api_files(router):
    """After Wagtail's own endpoints, which these replace (see ``library/api.py``)."""
    library_hooks.scope_admin_api(router)


@hooks.register("before_serve_document")
def serve_documents_to_their_audience(document, request):
    return library_hooks.refuse_download(document, request)


@hooks.register("construct_homepage_summary_items", order=100)
def count_the_files_users_see(request, items):
    library_hooks.count_visible_files(request, items)


@hooks.register("register_admin_urls", order=-100)
def register_scoped_reports():
    """Site history and the workflow reports list only what is in the user's scope; the
    Snippets index (ahead of Wagtail's, same path) counts only rows in scope."""
    scope_wagtail_reports()
    return [path("snippets/", ScopedSnippetTypesView.as_view())]


# After Wagtail's own (order 0): ours answer for our snippet models, images and documents.
for bulk_action in (ScopedDeleteBulkAction, *SCOPED_FILE_BULK_ACTIONS):
    hooks.register("register_bulk_action", bulk_action, order=100)


@hooks.register("construct_snippet_action_menu")
def campaigns_are_published_by_their_workflow(menu_items, request, context):
    """Campaigns go live through approval, not a Publish button (see rules/permissions.py)."""
    if context.get("model") is LocalCampaign:
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


@hooks.register("construct_snippet_action_menu")
def offer_unpublish_only_to_who_may(menu_items, request, context):
    """The Unpublish item only for users the ``unpublish`` rule allows (URL_RULES)."""
    instance = context.get("instance")
    if not isinstance(getattr(instance, "snippet_viewset", None), ScopedUrlsMixin):
        return
    policy = policy_for(type(instance))
    if not policy.user_has_permission_for_instance(request.user, "unpublish", instance):
        menu_items[:] = [item for item in menu_items if item.name != "action-unpublish"]


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


@hooks.register("register_admin_viewset")
def register_brand_library_viewset():
    return BrandCollectionViewSet()


@hooks.register("register_reports_menu_item")
def register_expiring_report():
    return expiring_report_menu_item()


@hooks.register("register_log_actions")
def register_network_log_actions(actions):
    actions.register_action("wagtail_distmark.move_unit", _("Move unit"), _("Unit moved"))
    actions.register_action("wagtail_distmark.add_member", _("Add member"), _("Member added"))
    actions.register_action(
        "wagtail_distmark.remove_member", _("Remove member"), _("Member removed")
    )
