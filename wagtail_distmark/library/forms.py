"""Image and document forms with usage rights and per-role upload limits.

Set them as Wagtail's base forms (the example site does)::

    WAGTAILIMAGES_IMAGE_FORM_BASE = "wagtail_distmark.library.forms.LibraryImageForm"
    WAGTAILDOCS_DOCUMENT_FORM_BASE = "wagtail_distmark.library.forms.LibraryDocumentForm"

A site with its own base form mixes :class:`LibraryFormMixin` into it.
"""

from __future__ import annotations

import os

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm

from wagtail_distmark import conf
from wagtail_distmark.library.models import DocumentUsageRights, ImageUsageRights
from wagtail_distmark.rules.scope import get_scope


def upload_limits(user) -> dict:
    """The limits of the user's highest role; none for superusers and non-members."""
    scope = get_scope(user)
    if not scope.is_network_member:
        return {}
    return conf.get_upload_limits(scope.highest_role)


def check_upload(user, uploaded, types_key: str) -> None:
    """Raise ``ValidationError`` if the file breaks the user's role limits."""
    limits = upload_limits(user)
    allowed = limits.get(types_key)
    extension = os.path.splitext(uploaded.name)[1].lower().lstrip(".")
    if allowed is not None and extension not in allowed:
        raise ValidationError(
            _("Files of type “%(type)s” cannot be uploaded with your role. Allowed: %(allowed)s.")
            % {"type": extension or "?", "allowed": ", ".join(allowed)},
            code="file_type",
        )
    max_size = limits.get("max_size")
    if max_size is not None and uploaded.size > max_size:
        raise ValidationError(
            _("This file is %(size)s; your role may upload files of up to %(max)s.")
            % {"size": filesizeformat(uploaded.size), "max": filesizeformat(max_size)},
            code="file_size",
        )


class LibraryFormMixin(forms.Form):
    rights_model: type = None
    types_key: str = ""

    usage_starts_on = forms.DateField(
        label=_("Usable from"), required=False, widget=AdminDateInput,
        help_text=_("Leave empty if the file may be used at once."),
    )  # fmt: skip
    usage_expires_on = forms.DateField(
        label=_("Usable until"), required=False, widget=AdminDateInput,
        help_text=_("Usage rights end after this day: units can no longer choose the file."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        self.uploader = kwargs.get("user")
        super().__init__(*args, **kwargs)
        # A file not saved yet has no rights: no query (every chooser and upload form).
        rights = self.instance.pk and self.rights_model.objects.filter(pk=self.instance.pk).first()
        if rights is not None:
            self.initial.setdefault("usage_starts_on", rights.starts_on)
            self.initial.setdefault("usage_expires_on", rights.expires_on)

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded and "file" in self.changed_data and self.uploader is not None:
            check_upload(self.uploader, uploaded, self.types_key)
        return uploaded

    def clean(self):
        cleaned = super().clean()
        rights = self.rights_model(
            starts_on=cleaned.get("usage_starts_on"), expires_on=cleaned.get("usage_expires_on")
        )
        try:
            rights.clean()  # the model's own rule for the dates
        except ValidationError as error:
            self.add_error("usage_expires_on", error.message_dict["expires_on"])
        return cleaned

    def _save_m2m(self):
        super()._save_m2m()
        starts = self.cleaned_data.get("usage_starts_on")
        expires = self.cleaned_data.get("usage_expires_on")
        if starts or expires:
            self.rights_model.objects.update_or_create(
                pk=self.instance.pk, defaults={"starts_on": starts, "expires_on": expires}
            )
        else:
            self.rights_model.objects.filter(pk=self.instance.pk).delete()


class LibraryImageForm(LibraryFormMixin, BaseImageForm):
    rights_model = ImageUsageRights
    types_key = "image_types"


class LibraryDocumentForm(LibraryFormMixin, BaseDocumentForm):
    rights_model = DocumentUsageRights
    types_key = "document_types"
