"""The contact form of the admin: only the fields the user sees, consent only through
:func:`~wagtail_distmark.contacts.consent.set_consent`, always with its source.

A field the user does not see is not in the form at all, so saving never touches its stored
value (Django's ``construct_instance`` only copies the form's own fields); the same goes for
HQ's custom attributes, kept in ``Contact.attributes`` key by key.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import partial

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from wagtail_distmark.conf import CONTACT_UNITS_HOME, get_contact_units_mode
from wagtail_distmark.contacts.consent import (
    SUBSCRIBED,
    ConsentRefused,
    check_may_subscribe,
    current_status,
    set_consent,
)
from wagtail_distmark.contacts.import_rows import check_past, read_attribute
from wagtail_distmark.contacts.links import HomeUnitTaken, link, move_home
from wagtail_distmark.contacts.models import (
    CommunicationType,
    Consent,
    ConsentStatus,
    Contact,
    ContactAttribute,
    Source,
    Tag,
)
from wagtail_distmark.contacts.normalise import (
    MAX_PHONE_LENGTH,
    email_hash,
    normalise_email,
    normalise_phone,
)
from wagtail_distmark.ids import parse_pk, valid_pks
from wagtail_distmark.org.models import OrgUnit, validate_country
from wagtail_distmark.rules.contacts import visible_fields
from wagtail_distmark.rules.scope import get_scope

#: The contact's own (model) fields the form may show, in the screens' order.
MODEL_FIELDS = [name for name in Contact.PERSONAL_FIELDS if name != "tags"]
#: The longest text a custom text attribute keeps.
MAX_ATTRIBUTE_TEXT = 255
UNCHANGED = ""


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name} ({unit.code})" if getattr(unit, "code", "") else unit.name


class TagChoiceField(forms.ModelMultipleChoiceField):
    """A crafted id ("²", 20 digits) is an invalid choice, not a query that overflows."""

    def _check_values(self, value):
        values = list(value)
        if len(valid_pks(Tag, values)) != len(values):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice",
                params={"value": next(v for v in values if parse_pk(Tag, v) is None)},
            )  # fmt: skip
        return super()._check_values(values)


def attribute_field(attribute: ContactAttribute) -> forms.Field:
    """A form field of the attribute's kind."""
    kind = ContactAttribute.Kind
    options = {"label": attribute.label, "required": False}
    if attribute.kind == kind.NUMBER:
        return forms.DecimalField(max_digits=18, decimal_places=6, **options)
    if attribute.kind == kind.DATE:
        return forms.DateField(**options)
    if attribute.kind == kind.BOOLEAN:
        return forms.BooleanField(**options)
    return forms.CharField(max_length=MAX_ATTRIBUTE_TEXT, **options)


def attribute_to_json(value):
    """What ``Contact.attributes`` stores for a cleaned attribute value: what the import
    stores for the same text (a number is an int when integral, else a float), so an
    export then re-import changes nothing."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return read_attribute(ContactAttribute.Kind.NUMBER, str(value))
    return value


def consent_field(communication_type: CommunicationType) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=communication_type.name,
        required=False,
        choices=[(UNCHANGED, _("Not recorded / unchanged")), *ConsentStatus.choices],
        help_text=communication_type.description,
    )


FIELD_ERRORS_TEMPLATE = "wagtail_distmark/contacts/field_errors.html"


class LinkedErrorsMixin:
    """Errors a screen reader hears on the field itself.

    Wagtail 8 renders a field's errors in a container without an id, and Django 5.2 points
    the input's ``aria-describedby`` at ``<id>_error`` (a field with help text: at the help
    text only), so the error is announced nowhere. Each field with errors renders them
    itself (Wagtail's ``render_with_errors`` hook, which keeps the field's error styling),
    in a container with an id the input's ``aria-describedby`` names first."""

    def full_clean(self):
        super().full_clean()
        for name in self._errors or ():
            if name in self.fields and not self[name].is_hidden:
                bound = self[name]
                help_id = f"{bound.auto_id}-helptext" if bound.help_text else ""
                widget = bound.field.widget
                widget.render_with_errors = partial(render_with_errors, widget, help_id)


def render_with_errors(widget, help_id, name, value, attrs=None, errors=(), renderer=None):
    """The widget, after its errors, linked to them (and to its help text) by id."""
    error_id = f"{attrs['id']}-errors"
    described = " ".join(filter(None, (error_id, help_id)))
    attrs = {**attrs, "aria-invalid": "true", "aria-describedby": described}
    html = widget.render(name, value, attrs, renderer)
    context = {"error_id": error_id, "errors": errors, "widget": html}
    return render_to_string(FIELD_ERRORS_TEMPLATE, context)


class ContactForm(LinkedErrorsMixin, WagtailAdminModelForm):
    """Create or edit a contact: visible fields, its unit, tags, attributes and consent."""

    unit = UnitChoiceField(
        label=_("Unit"), queryset=OrgUnit.objects.none(), help_text=_("Whose contact this is.")
    )
    tags = TagChoiceField(
        label=_("Tags"),
        queryset=Tag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_evidence = forms.CharField(
        label=_("Consent source and evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required whenever consent is set or changed: how and when the person said so "
            "(e.g. 'Signed the in-store form on 30 Nov 2026')."
        ),
    )
    reconsent = forms.BooleanField(
        label=_("Explicit re-consent"),
        required=False,
        help_text=_(
            "Tick only if a person who unsubscribed asked to be subscribed again; the "
            "evidence above must say how."
        ),
    )

    class Meta:
        model = Contact
        fields = MODEL_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = self.for_user
        self.visible = visible_fields(self.user)
        self.drop_hidden_fields()
        self.setup_unit()
        self.attributes = self.setup_attributes()
        self.communication_types = self.setup_consents()
        self.setup_reconsent()
        if "tags" in self.fields and self.instance.pk:
            self.initial["tags"] = list(self.instance.tags.values_list("pk", flat=True))

    # --- building --------------------------------------------------------------------------

    def drop_hidden_fields(self):
        for name in [*MODEL_FIELDS, "tags"]:
            if name not in self.visible:
                self.fields.pop(name, None)
        if "phone" in self.fields:  # any spacing typed; stored in E.164 (at most 16)
            label = self.fields["phone"].label
            self.fields["phone"] = forms.CharField(
                label=label, required=False, max_length=MAX_PHONE_LENGTH
            )

    def setup_unit(self):
        """Units the user may add contacts to; on edit, the contact's unit in the user's
        scope (home mode: moving it is changing it; lists mode: it is also put on the
        chosen unit's list)."""
        self.fields["unit"].queryset = OrgUnit.objects.for_user(self.user).order_by("path")
        self.current_links = self.scoped_links()
        if self.current_links:
            self.initial.setdefault("unit", self.current_links[0].pk)
        if self.instance.pk and get_contact_units_mode() != CONTACT_UNITS_HOME:
            self.fields["unit"].label = _("On the list of")
            self.fields["unit"].help_text = _(
                "Choosing another unit also puts the person on its list."
            )

    def scoped_links(self) -> list[OrgUnit]:
        if not self.instance.pk:
            return []
        scope = get_scope(self.user).q("path")
        return list(OrgUnit.objects.filter(scope, contact_links__contact=self.instance))

    def setup_attributes(self) -> list[ContactAttribute]:
        attributes = [a for a in ContactAttribute.objects.all() if a.key in self.visible]
        stored = self.instance.attributes or {}
        for attribute in attributes:
            name = f"attribute_{attribute.key}"
            self.fields[name] = attribute_field(attribute)
            if attribute.key in stored:
                self.initial.setdefault(name, stored[attribute.key])
        return attributes

    def setup_consents(self) -> list[CommunicationType]:
        types = list(CommunicationType.objects.all())
        unit_id = self.initial.get("unit")
        for communication_type in types:
            name = consent_name(communication_type)
            self.fields[name] = consent_field(communication_type)
            if self.instance.pk:
                status = current_status(self.instance, communication_type, unit_id)
                self.initial[name] = status or UNCHANGED
        self.order_consent_fields()
        return types

    def setup_reconsent(self):
        """The re-consent tick is rule ``reconsent_contact``'s (a manager over every unit the
        person is on; for a new contact, a manager somewhere): for anyone else it is not in
        the form, so a posted one is ignored and a re-subscription is refused on its field."""
        contact = self.instance if self.instance.pk else None
        if not self.user.has_perm("wagtail_distmark.reconsent_contact", contact):
            del self.fields["reconsent"]

    def order_consent_fields(self):
        """Consent fields, then the evidence and the re-consent tick, at the end."""
        for name in ("consent_evidence", "reconsent"):
            self.fields[name] = self.fields.pop(name)  # before setup_reconsent may drop it

    # --- cleaning --------------------------------------------------------------------------

    def clean_email(self):
        raw = self.cleaned_data.get("email") or ""
        if not raw.strip():
            return None
        address = normalise_email(raw)
        others = Contact.objects.filter(email_hash=email_hash(address))
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            # Never which unit has them: the person may be another store's contact.
            raise ValidationError(
                _("A contact with this e-mail address already exists."), code="duplicate"
            )
        return address

    def clean_birth_date(self):
        """As the import reads it: not in the future, not before 1900."""
        value = self.cleaned_data.get("birth_date")
        return check_past(value, past=True) if value else value

    def clean_country(self):
        """An ISO 3166 code, as the import requires (typed in any case)."""
        code = (self.cleaned_data.get("country") or "").strip().upper()
        if not code:
            return code
        try:
            validate_country(code)
        except ValidationError as error:  # the import's words: the field is typed, not chosen
            raise ValidationError(
                _("Use a two-letter country code (ISO 3166), e.g. FR."), code="country"
            ) from error
        return code

    def clean_unit(self):
        unit = self.cleaned_data["unit"]
        if not self.user.has_perm("wagtail_distmark.add_contact", unit):
            raise ValidationError(_("You may not add contacts to this unit."), code="unit")
        return unit

    def clean(self):
        cleaned = super().clean()
        self.clean_phone_with_region(cleaned)
        self.clean_consents(cleaned)
        return cleaned

    def clean_phone_with_region(self, cleaned):
        """E.164, read with the contact's country, else the unit's."""
        if "phone" not in self.fields or "phone" in self.errors:
            return
        unit = cleaned.get("unit")
        region = cleaned.get("country") or self.instance.country
        region = region or (getattr(unit, "country", "") if unit else "")
        try:
            cleaned["phone"] = normalise_phone(cleaned.get("phone", ""), region)
        except ValidationError as error:
            self.add_error("phone", error)

    def consent_changes(self, cleaned) -> list[tuple[CommunicationType, str]]:
        """The types whose status the form sets to something new."""
        changes = []
        for communication_type in self.communication_types:
            name = consent_name(communication_type)
            status = cleaned.get(name) or UNCHANGED
            if status != UNCHANGED and status != self.initial.get(name, UNCHANGED):
                changes.append((communication_type, status))
        return changes

    def clean_consents(self, cleaned):
        """Evidence is required for any change; a re-subscription of someone who unsubscribed
        (or is suppressed) is refused on its field, as :func:`set_consent` would."""
        self.changes = self.consent_changes(cleaned)
        evidence = (cleaned.get("consent_evidence") or "").strip()
        if self.changes and not evidence:
            self.add_error(
                "consent_evidence",
                ValidationError(
                    _("Say where this consent comes from: it is required when consent is set "
                      "or changed."),
                    code="evidence_required",
                ),
            )  # fmt: skip
        for communication_type, status in self.changes:
            if status == SUBSCRIBED:
                self.check_subscribe(cleaned, communication_type, evidence)

    def check_subscribe(self, cleaned, communication_type, evidence):
        probe = Contact(email=cleaned.get("email", self.instance.email))
        row = None
        if self.instance.pk:
            unit = cleaned.get("unit")
            row = Consent.objects.filter(
                contact=self.instance,
                communication_type=communication_type,
                unit=unit if communication_type.is_per_unit else None,
            ).first()
        try:
            check_may_subscribe(
                probe, row, reconsent=cleaned.get("reconsent", False), evidence=evidence
            )
        except ConsentRefused as error:
            self.add_error(consent_name(communication_type), error)

    # --- saving ----------------------------------------------------------------------------

    @transaction.atomic
    def save(self, commit=True):
        """Save the contact, its unit link, tags, attributes and consent changes.

        Raises:
            ConsentRefused: :func:`set_consent` refused a change (the view shows it on the
                field); nothing is saved then (the caller's transaction rolls back).
            HomeUnitTaken: home-unit mode and the unit cannot be changed here.
        """
        contact = super().save(commit=False)
        self.save_attributes(contact)
        contact.save()
        self.save_unit(contact)
        if "tags" in self.fields:
            contact.tags.set(self.cleaned_data["tags"])
        self.save_consents(contact)
        return contact

    def save_attributes(self, contact):
        stored = dict(contact.attributes or {})
        for attribute in self.attributes:
            value = self.cleaned_data.get(f"attribute_{attribute.key}")
            if value in (None, ""):
                stored.pop(attribute.key, None)
            else:
                stored[attribute.key] = attribute_to_json(value)
        contact.attributes = stored

    def save_unit(self, contact):
        unit = self.cleaned_data["unit"]
        if unit in self.current_links:
            return
        if get_contact_units_mode() == CONTACT_UNITS_HOME and self.current_links:
            move_home(contact, unit, Source.ADMIN)
        else:
            link(contact, unit, Source.ADMIN)

    def save_consents(self, contact):
        evidence = self.cleaned_data.get("consent_evidence", "")
        for communication_type, status in self.changes:
            try:
                set_consent(
                    contact, communication_type, status, source=Source.ADMIN,
                    unit=self.cleaned_data["unit"], user=self.user, evidence=evidence,
                    reconsent=self.cleaned_data.get("reconsent", False),
                )  # fmt: skip
            except ConsentRefused as error:
                error.field = consent_name(communication_type)
                raise


def consent_name(communication_type: CommunicationType) -> str:
    return f"consent_{communication_type.pk}"


#: Errors the view shows on the form instead of answering 500.
SAVE_ERRORS = (ConsentRefused, HomeUnitTaken)
