"""Browsing the library outside a chooser: Wagtail's Images and Documents indexes, and the
dashboard's counts, show a network member the files they see
(:func:`~wagtail_distmark.library.files.visible_files`): what they may change, with a link to
edit it, and what they may only use (the brand library shared with their units), read-only.
The dashboard counts the same files (``library/dashboard.py``).

The indexes are registered ahead of Wagtail's (same paths, see ``library/urls.py``).
Superusers and users outside the network get Wagtail's views unchanged.
"""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.html import format_html
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.documents.views import documents as document_views
from wagtail.images.views import images as image_views

from wagtail_distmark import compat
from wagtail_distmark.library.files import (
    changeable_files,
    changes_every_file,
    visible_files,
)
from wagtail_distmark.rules.scope import is_network_member


class BrowseLibraryMixin:
    """An index of Wagtail's images or documents that also lists what the user may only use."""

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        user = self.request.user
        if not lists_read_only_files(user):
            return queryset
        return queryset | visible_files(user, self.model)  # keeps Wagtail's joins and counts

    def decorate_paginated_queryset(self, object_list):
        if lists_read_only_files(self.request.user):
            self.mark_read_only(object_list)
        return super().decorate_paginated_queryset(object_list)

    def mark_read_only(self, object_list):
        files = list(object_list)
        changeable = set(
            changeable_files(self.request.user, self.model)
            .filter(pk__in=[file.pk for file in files])
            .values_list("pk", flat=True)
        )
        for file in files:
            file.distmark_read_only = file.pk not in changeable

    def get_edit_url(self, instance):
        if is_read_only(instance):
            return None  # a brand file: used in campaigns, changed by HQ only
        return super().get_edit_url(instance)

    @cached_property
    def columns(self):
        return [
            self.bulk_column_class(column.name)
            if isinstance(column, BulkActionsCheckboxColumn)
            else column
            for column in super().columns
        ]


def lists_read_only_files(user) -> bool:
    """A network member who may not change every file (HQ may: Wagtail's lists are theirs)."""
    return is_network_member(user) and not changes_every_file(user)


def is_read_only(file) -> bool:
    return getattr(file, "distmark_read_only", False)


class ChangeableOnlyCheckboxMixin:
    """A bulk-action checkbox column that leaves read-only rows without a checkbox."""

    def render_cell_html(self, instance, parent_context):
        if is_read_only(instance):
            return format_html('<td class="{}"></td>', "bulk-action-checkbox-cell")
        return super().render_cell_html(instance, parent_context)


class ImageBulkColumn(ChangeableOnlyCheckboxMixin, compat.ImageBulkActionsColumn):
    pass


class DocumentBulkColumn(ChangeableOnlyCheckboxMixin, document_views.BulkActionsColumn):
    pass


class ImageIndexView(BrowseLibraryMixin, image_views.IndexView):
    results_template_name = "wagtail_distmark/library/image_index_results.html"
    bulk_column_class = ImageBulkColumn

    @cached_property
    def columns(self):
        columns = super().columns
        for column in columns:
            if isinstance(column, image_views.ImagePreviewColumn):  # links to edit
                column.cell_template_name = "wagtail_distmark/library/image_preview_cell.html"
        return columns


class DocumentIndexView(BrowseLibraryMixin, document_views.IndexView):
    bulk_column_class = DocumentBulkColumn
