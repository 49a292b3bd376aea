"""Wagtail's admin API endpoints for images and documents, scoped like the library.

Wagtail's ``/admin/api/main/images/`` and ``/documents/`` list (and detail) every file to any
admin user. Registered in their place (``construct_admin_api``), these list only the files a
network member sees (:func:`~wagtail_distmark.library.files.visible_files`); the detail of any
other file is a 404. Superusers and users outside the network get Wagtail's answers.
"""

from __future__ import annotations

from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet

from wagtail_distmark.library.files import visible_files
from wagtail_distmark.rules.scope import is_network_member


class ScopedFilesMixin:
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
