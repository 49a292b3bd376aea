"""Wagtail's admin API endpoints for images and documents, scoped like the library.

Wagtail's ``/admin/api/main/images/`` and ``/documents/`` list (and detail) every file to any
admin user. Registered in their place (``construct_admin_api``), these list only the files a
network member sees (:func:`~wagtail_distmark.library.files.visible_files`); the detail of any
other file is a 404. Superusers and users outside the network get Wagtail's answers.
For everyone, the query is made safe first (:class:`SafeQueryMixin`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from wagtail.api.v2.utils import BadRequestError
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet

from wagtail_distmark.ids import clean_search, parse_number
from wagtail_distmark.library.files import is_network_member, visible_files


class SafeQueryMixin:
    """Wagtail 8.0 (and 7.0): the API reads ``?offset=`` with ``int()`` and slices the
    queryset with it, so ``?offset=99999999999999999999`` raises OverflowError on SQLite, and
    hands ``?search=`` to the search backend as it is, whose SQLite index fails on NUL (both
    a 500). An offset past the database's range is refused like a malformed one (400); NUL is
    dropped from the search terms."""

    def listing_view(self, request):
        query = request._request.GET.copy()
        if "offset" in query and parse_number(query["offset"]) is None:
            raise BadRequestError(_("offset must be a positive integer"))
        if "search" in query:
            query["search"] = clean_search(query["search"])
        request._request.GET = query
        return super().listing_view(request)


class ScopedFilesMixin(SafeQueryMixin):
    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        if not is_network_member(user):
            return queryset
        return queryset.filter(id__in=visible_files(user, queryset.model).values("pk"))


class ScopedImagesAdminAPIViewSet(ScopedFilesMixin, ImagesAdminAPIViewSet):
    pass


class ScopedDocumentsAdminAPIViewSet(ScopedFilesMixin, DocumentsAdminAPIViewSet):
    pass


def register_scoped_endpoints(router) -> None:
    router.register_endpoint("images", ScopedImagesAdminAPIViewSet)
    router.register_endpoint("documents", ScopedDocumentsAdminAPIViewSet)
