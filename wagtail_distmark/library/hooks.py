"""The library's Wagtail hooks: brand collections, the guards in front of Wagtail's image and
document URLs, the admin API, file downloads and the dashboard's file counts. Without
Wagtail's permission policy registry (7.0) the library leaves Wagtail's own behaviour."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from wagtail import hooks

from wagtail_distmark.library import dashboard
from wagtail_distmark.library.admin import BrandCollectionViewSet
from wagtail_distmark.library.api import register_scoped_endpoints
from wagtail_distmark.library.bulk_actions import SCOPED_FILE_BULK_ACTIONS
from wagtail_distmark.library.files import may_download
from wagtail_distmark.library.models import BrandCollection
from wagtail_distmark.library.policies import library_policies_registered
from wagtail_distmark.library.urls import guarded_urlpatterns
from wagtail_distmark.rules.policies import register_policies

register_policies([BrandCollection])


@hooks.register("register_admin_viewset")
def register_brand_library_viewset():
    return BrandCollectionViewSet()


@hooks.register("register_admin_urls", order=-100)
def register_library_guards():
    """Ahead of Wagtail's own image and document URLs (see ``library/urls.py``)."""
    if not library_policies_registered():
        return []
    return guarded_urlpatterns()


@hooks.register("construct_admin_api", order=100)
def scope_admin_api_files(router):
    """After Wagtail's own endpoints, which these replace (see ``library/api.py``)."""
    if library_policies_registered():
        register_scoped_endpoints(router)


@hooks.register("before_serve_document")
def serve_documents_to_their_audience(document, request):
    """A 404 for whoever may not download the file (anonymous visitors included), the same
    answer as for a file that does not exist."""
    if not may_download(request.user, document):
        raise Http404(_("No document matches the given query."))


@hooks.register("construct_homepage_summary_items", order=100)
def count_the_files_users_see(request, items):
    if library_policies_registered():
        dashboard.count_visible_files(request, items)


@hooks.register("before_bulk_action")
def go_back_to_a_path_after_a_bulk_action(request, action_type, objects, action):
    """Every bulk action (files', and Wagtail's others) redirects to the posted ``next`` as
    given, and Django's ``redirect`` reads a word with no slash or dot as a URL name:
    ``next={{`` was a NoReverseMatch, a 500. A next that is not a path is the action's page."""
    if not action.next_url.startswith("/"):
        action.next_url = request.path


# After Wagtail's own (order 0), which they replace for images and documents.
for bulk_action in SCOPED_FILE_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action, order=100)
