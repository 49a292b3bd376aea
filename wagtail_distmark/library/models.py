"""The content library: which collections are HQ's brand library and who sees them, and the
usage rights (start and expiry dates) of images and documents.

Each org unit also has its own upload collection (``OrgUnit.collection``); those collections
mirror the org tree (see :mod:`wagtail_distmark.library.collections`).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string
from wagtail.images import get_image_model_string

from wagtail_distmark.org.models import OrgUnit


class BrandCollection(models.Model):
    """Marks a collection as part of HQ's brand library, and says which units may use it."""

    collection = models.OneToOneField(
        "wagtailcore.Collection", on_delete=models.CASCADE, primary_key=True,
        related_name="distmark_brand", verbose_name=_("collection"),
    )  # fmt: skip
    units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("visible to"),
        help_text=_(
            "Units (with everything below them) that may use these files. "
            "Leave empty for the whole network."
        ),
    )  # fmt: skip

    class Meta:
        verbose_name = _("brand library collection")
        verbose_name_plural = _("brand library collections")

    def __str__(self):
        return self.collection.name


class UsageRights(models.Model):
    """When a file may be used: HQ's licence for a photo, a price list valid for a season."""

    starts_on = models.DateField(_("usable from"), null=True, blank=True)
    expires_on = models.DateField(
        _("usable until"), null=True, blank=True,
        help_text=_("After this day the file disappears from the units' choosers."),
    )  # fmt: skip

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.starts_on and self.expires_on and self.expires_on < self.starts_on:
            raise ValidationError({"expires_on": _("The end date is before the start date.")})

    def starts_later(self, today: datetime.date | None = None) -> bool:
        return self.starts_on is not None and self.starts_on > (today or timezone.localdate())

    def is_current(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return (self.starts_on is None or self.starts_on <= today) and (
            self.expires_on is None or self.expires_on >= today
        )


def lapsed_q(today: datetime.date | None = None) -> Q:
    """Usage rights that do not hold today: not started yet, or expired."""
    today = today or timezone.localdate()
    return Q(starts_on__gt=today) | Q(expires_on__lt=today)


def current_rights_q(rights_model: type[UsageRights], today: datetime.date | None = None) -> Q:
    """Files whose usage rights hold today (files with no dates always do).

    Written as an exclusion by id so that search querysets accept it (``id`` is one of
    Wagtail's filter fields on images and documents; the rights table is not). The library's
    choosers exclude a literal list of lapsed ids read once per request instead
    (``OrgCollectionOwnershipPolicy.lapsed_ids``): PostgreSQL checks it as a plain filter.
    """
    return ~Q(id__in=rights_model.objects.filter(lapsed_q(today)).values("pk"))


class ImageUsageRights(UsageRights):
    image = models.OneToOneField(
        get_image_model_string(), on_delete=models.CASCADE, primary_key=True,
        related_name="distmark_rights", verbose_name=_("image"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("image usage rights")
        verbose_name_plural = _("image usage rights")

    def __str__(self):
        return str(self.image)


class DocumentUsageRights(UsageRights):
    document = models.OneToOneField(
        get_document_model_string(), on_delete=models.CASCADE, primary_key=True,
        related_name="distmark_rights", verbose_name=_("document"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("document usage rights")
        verbose_name_plural = _("document usage rights")

    def __str__(self):
        return str(self.document)
