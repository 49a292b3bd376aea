"""What the library's Wagtail hooks do (registered in ``wagtail_hooks.py``)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from wagtail_distmark.library import dashboard
from wagtail_distmark.library.api import register_scoped_endpoints
from wagtail_distmark.library.files import may_download
from wagtail_distmark.library.policies import library_policies_registered


def scope_admin_api(router) -> None:
    if library_policies_registered():
        register_scoped_endpoints(router)


def refuse_download(document, request) -> None:
    """``before_serve_document``: a 404 for whoever may not download the file (anonymous
    visitors included), the same answer as for a file that does not exist."""
    if not may_download(request.user, document):
        raise Http404(_("No document matches the given query."))


def count_visible_files(request, items: list) -> None:
    if library_policies_registered():
        dashboard.count_visible_files(request, items)
