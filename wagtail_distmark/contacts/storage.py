"""Where contact imports and exports are kept: a storage no URL serves.

A site may define ``STORAGES["distmark_private"]`` (e.g. a private S3 bucket); otherwise files
go to a folder read from the settings on every use (``conf.get_private_root``), so a test or a
site changing ``WAGTAIL_DISTMARK_PRIVATE_ROOT`` or ``MEDIA_ROOT`` is followed at once. Django
evaluates a field's storage callable when the models load, hence the lazy location.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages

from wagtail_distmark.conf import get_private_root

ALIAS = "distmark_private"


class PrivateFileStorage(FileSystemStorage):
    """A folder on disk with no URL: files are handed out by views that check who asks."""

    @property
    def base_location(self):
        return get_private_root()

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Contact files have no URL: they are served by a view that checks access.")


def private_storage():
    """The storage of ``ImportJob.file`` and ``ExportJob.file``."""
    if ALIAS in getattr(settings, "STORAGES", {}):
        return storages[ALIAS]
    return PrivateFileStorage()
