"""The dashboard's image and document counts: the number of files the Images and Documents
indexes list for the user (:func:`~wagtail_distmark.library.files.visible_files`), so that
"14 Images" opens a listing of those 14 images. Wagtail counted the files a unit may choose
while its index listed only those it may change."""

from __future__ import annotations

from wagtail.admin.navigation import get_site_for_user
from wagtail.documents import get_document_model
from wagtail.documents.wagtail_hooks import DocumentsSummaryItem
from wagtail.images import get_image_model
from wagtail.images.wagtail_hooks import ImagesSummaryItem

from wagtail_distmark.library.files import visible_files
from wagtail_distmark.rules.scope import is_network_member


class VisibleImagesSummaryItem(ImagesSummaryItem):
    def get_context_data(self, parent_context):
        return {
            "total_images": visible_files(self.request.user, get_image_model()).count(),
            "site_name": get_site_for_user(self.request.user)["site_name"],
        }


class VisibleDocumentsSummaryItem(DocumentsSummaryItem):
    def get_context_data(self, parent_context):
        return {
            "total_docs": visible_files(self.request.user, get_document_model()).count(),
            "site_name": get_site_for_user(self.request.user)["site_name"],
        }


#: Wagtail's dashboard items and the ones that count what the indexes list.
SUMMARY_ITEMS = {
    ImagesSummaryItem: VisibleImagesSummaryItem,
    DocumentsSummaryItem: VisibleDocumentsSummaryItem,
}


def count_visible_files(request, items: list) -> None:
    """Replace Wagtail's image and document counts by the number of files the indexes list."""
    if not is_network_member(request.user):
        return
    for index, item in enumerate(items):
        replacement = SUMMARY_ITEMS.get(type(item))
        if replacement is not None:
            items[index] = replacement(request)
