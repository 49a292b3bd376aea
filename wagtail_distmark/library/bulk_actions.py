"""Wagtail's bulk actions for images and documents (tag, add to collection, delete), scoped.

Wagtail's confirmation page names every file whose id is in the URL, including other units'
files (as "no access"). These subclasses name and act on the files the user sees
(:func:`wagtail_distmark.library.files.visible_files`) and nothing else, through the snippets'
mechanism (:class:`~wagtail_distmark.rules.bulk_actions.InScopeBulkActionMixin`); Wagtail's
``check_perm`` still asks the org-aware policy per file, and "add to collection" offers (and
accepts) only the collections the policy lets the user add to. Wagtail 8 only: on Wagtail 7
(no policy registry) ``models`` is empty and Wagtail's own actions stay.
"""

from __future__ import annotations

from django.utils.functional import classproperty
from wagtail.documents import get_document_model
from wagtail.documents.views.bulk_actions import add_tags as document_tags
from wagtail.documents.views.bulk_actions import add_to_collection as document_collection
from wagtail.documents.views.bulk_actions import delete as document_delete
from wagtail.images import get_image_model
from wagtail.images.views.bulk_actions import add_tags as image_tags
from wagtail.images.views.bulk_actions import add_to_collection as image_collection
from wagtail.images.views.bulk_actions import delete as image_delete

from wagtail_distmark.library.files import visible_files
from wagtail_distmark.library.policies import library_policies_registered
from wagtail_distmark.rules.bulk_actions import InScopeBulkActionMixin


class FileBulkActionMixin(InScopeBulkActionMixin):
    def in_scope(self):
        return visible_files(self.request.user, self.model)


class ImageBulkActionMixin(FileBulkActionMixin):
    @classproperty
    def models(cls):
        return [get_image_model()] if library_policies_registered() else []


class DocumentBulkActionMixin(FileBulkActionMixin):
    @classproperty
    def models(cls):
        return [get_document_model()] if library_policies_registered() else []


class ImageAddTags(ImageBulkActionMixin, image_tags.AddTagsBulkAction):
    pass


class ImageAddToCollection(ImageBulkActionMixin, image_collection.AddToCollectionBulkAction):
    pass


class ImageDelete(ImageBulkActionMixin, image_delete.DeleteBulkAction):
    pass


class DocumentAddTags(DocumentBulkActionMixin, document_tags.AddTagsBulkAction):
    pass


class DocumentAddToCollection(
    DocumentBulkActionMixin, document_collection.AddToCollectionBulkAction
):
    pass


class DocumentDelete(DocumentBulkActionMixin, document_delete.DeleteBulkAction):
    pass


#: Registered after Wagtail's own (``wagtail_hooks.py``), which they replace.
SCOPED_FILE_BULK_ACTIONS = (
    ImageAddTags,
    ImageAddToCollection,
    ImageDelete,
    DocumentAddTags,
    DocumentAddToCollection,
    DocumentDelete,
)
