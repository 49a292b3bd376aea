"""The forms of the admin's contact import: the upload, and the column mapping.

Both are bounded before anything is parsed (the file's extension and the evidence's length
here, the file's size before it is stored, and again by the engine's ``sniff``), offer only what
the user may choose (the units they may import to, the mapping targets of
:func:`importing.mapping_targets`) and put every refusal on the field at fault.
"""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.conf import get_import_max_bytes
from wagtail_distmark.contacts.import_rows import importable_units
from wagtail_distmark.contacts.importing import IGNORE, MAPPING_ERROR_KEY, check_mapping
from wagtail_distmark.contacts.models import CommunicationType, ImportJob
from wagtail_distmark.org.models import OrgUnit

EXTENSIONS = ["csv", "tsv", "txt", "xlsx"]
#: Sample values shown under each column of the mapping, each cut to this length.
SAMPLE_VALUES, SAMPLE_CHARS = 3, 40
IMPORT_PERMISSION = "wagtail_distmark.import_contact"


class UploadForm(forms.Form):
    """The file, the unit rows without a unit column go to, and the consent to record."""

    file = forms.FileField(
        label=_("File"),
        validators=[FileExtensionValidator(EXTENSIONS)],
        help_text=_(
            "CSV (comma, semicolon or tab; UTF-8, UTF-16 or Windows-1252) or Excel (.xlsx). "
            "The first row names the columns."
        ),
    )
    unit = forms.ModelChoiceField(
        label=_("Default unit"),
        queryset=OrgUnit.objects.none(),
        help_text=_("Rows without a unit column go to this unit."),
    )
    communication_type = forms.ModelChoiceField(
        label=_("Consent to record"),
        queryset=CommunicationType.objects.all(),
        required=False,
        empty_label=_("None: record no consent"),
        help_text=_(
            "The rows' people are recorded as subscribed to this type. Nobody who "
            "unsubscribed is subscribed again by an import."
        ),
    )
    consent_evidence = forms.CharField(
        label=_("Consent evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "How and when these people agreed, e.g. 'Paper sign-up forms, Store A, "
            "October 2026'. Required when a consent is recorded."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["file"].help_text = format_lazy(
            "{} {}", self.fields["file"].help_text,
            _("At most %(size)s.") % {"size": filesizeformat(get_import_max_bytes())},
        )  # fmt: skip
        units = [unit.pk for unit in importable_units(user).values()]
        self.fields["unit"].queryset = OrgUnit.objects.filter(pk__in=units).order_by("path")
        if len(units) == 1:
            self.fields["unit"].initial = units[0]

    def clean_file(self):
        """Refuse a file over the size limit before it is copied into private storage (the
        engine checks the stored file again before reading it)."""
        upload = self.cleaned_data["file"]
        limit = get_import_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("This file is too large: at most %(size)s can be imported at once."),
                code="too_large",
                params={"size": filesizeformat(limit)},
            )
        return upload

    def clean_consent_evidence(self):
        return self.cleaned_data["consent_evidence"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("communication_type") and not cleaned.get("consent_evidence"):
            self.add_error(
                "consent_evidence",
                forms.ValidationError(
                    _("Say how these people gave their consent: it is kept with each one."),
                    code="evidence_required",
                ),
            )
        return cleaned

    def save(self) -> ImportJob:
        """The job, its file stored privately; nothing is read from the file yet."""
        data = self.cleaned_data
        return ImportJob.objects.create(
            unit=data["unit"],
            created_by=self.user,
            file=data["file"],
            original_name=data["file"].name[:255],
            communication_type=data["communication_type"],
            consent_evidence=data["consent_evidence"] if data["communication_type"] else "",
        )


def sample_text(sample: list[list[str]], index: int) -> str:
    """The first few non-empty values of a column, shortened, for the mapping screen."""
    values = [row[index] for row in sample if index < len(row) and str(row[index]).strip()]
    shortened = [shorten(str(value)) for value in values[:SAMPLE_VALUES]]
    if not shortened:
        return str(_("No value in the first rows."))
    return str(_("For example: %(values)s")) % {"values": ", ".join(shortened)}


def shorten(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= SAMPLE_CHARS else value[: SAMPLE_CHARS - 1] + "…"


class MappingForm(forms.Form):
    """One select per column of the file (by position: headers may repeat or be empty),
    offering the targets the user may import; the engine's ``check_mapping`` judges the
    whole mapping and its errors land on the column at fault."""

    def __init__(self, *args, headers, sample, targets, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers, self.user = list(headers), user
        choices = targets if IGNORE in dict(targets) else [(IGNORE, _("Ignore")), *targets]
        for index, header in enumerate(self.headers):
            self.fields[self.field_name(index)] = forms.ChoiceField(
                label=header or _("Column %(number)s (no header)") % {"number": index + 1},
                choices=choices,
                required=False,
                help_text=sample_text(sample, index),
            )

    @staticmethod
    def field_name(index: int) -> str:
        return f"column_{index}"

    @classmethod
    def initial_for(cls, headers, mapping: dict) -> dict:
        """The form's initial values from a ``{header: target}`` mapping."""
        return {cls.field_name(i): mapping.get(header, IGNORE) for i, header in enumerate(headers)}

    def mapping(self) -> dict[str, str]:
        """``{header: target}`` for every column, ``""`` for an ignored one."""
        chosen = (
            (h, self.cleaned_data.get(self.field_name(i))) for i, h in enumerate(self.headers)
        )
        return {header: target or IGNORE for header, target in chosen}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        mapping = self.mapping()
        for header, error in check_mapping(mapping, self.user).items():
            self.add_error(self.column_of(header), error)
        return cleaned

    def column_of(self, header: str) -> str | None:
        """The field of the column with this header (the first, if repeated); None (a
        form-wide error) for an error about no column, e.g. a required target left out."""
        if header != MAPPING_ERROR_KEY and header in self.headers:
            return self.field_name(self.headers.index(header))
        return None
