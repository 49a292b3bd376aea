"""Wagtail hooks. Each feature registers its own in its ``hooks.py`` (imported here, the one
module Wagtail looks for), its permission policies first; what is left here spans the
features: the plugin's admin URLs, the scoped reports and bulk delete, and the
Unpublish item."""

from django.urls import include, path
from wagtail import hooks

from wagtail_distmark import admin_urls
from wagtail_distmark.campaigns import hooks as campaign_hooks  # noqa: F401
from wagtail_distmark.catalogue import hooks as catalogue_hooks  # noqa: F401
from wagtail_distmark.contacts import hooks as contact_hooks  # noqa: F401
from wagtail_distmark.library import hooks as library_hooks  # noqa: F401
from wagtail_distmark.org import hooks as org_hooks  # noqa: F401
from wagtail_distmark.rules.bulk_actions import ScopedDeleteBulkAction
from wagtail_distmark.rules.policies import ScopedUrlsMixin, policy_for
from wagtail_distmark.rules.reports import ScopedSnippetTypesView, scope_wagtail_reports
from wagtail_distmark.sending import hooks as sending_hooks  # noqa: F401


@hooks.register("register_admin_urls")
def register_distmark_urls():
    return [
        path("distmark/", include((admin_urls, "wagtail_distmark"), namespace="wagtail_distmark"))
    ]


@hooks.register("register_admin_urls", order=-100)
def register_scoped_reports():
    """Site history and the workflow reports list only what is in the user's scope; the
    Snippets index (ahead of Wagtail's, same path) counts only rows in scope."""
    scope_wagtail_reports()
    return [path("snippets/", ScopedSnippetTypesView.as_view())]


# After Wagtail's own (order 0): ours answer for our snippet models.
hooks.register("register_bulk_action", ScopedDeleteBulkAction, order=100)


@hooks.register("construct_snippet_action_menu")
def offer_unpublish_only_to_who_may(menu_items, request, context):
    """The Unpublish item only for users the ``unpublish`` rule allows (URL_RULES)."""
    instance = context.get("instance")
    if not isinstance(getattr(instance, "snippet_viewset", None), ScopedUrlsMixin):
        return
    policy = policy_for(type(instance))
    if not policy.user_has_permission_for_instance(request.user, "unpublish", instance):
        menu_items[:] = [item for item in menu_items if item.name != "action-unpublish"]
