"""The campaign editor form: one input per editable zone, locked zones only shown.

The form has no input for a locked zone, so nothing a browser sends can reach one; the
body it saves is assembled from the template's zones and re-checked by the model's
``clean()`` (the same check an API or an import goes through). Errors from that check are
put back on the zone they concern. HQ's brand template form lives here too: its zones are read
with the same distrust of the POST's shape.
"""

from __future__ import annotations

import copy
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext as _
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.images.blocks import ImageChooserBlock

from wagtail_distmark.blocks import ZoneLimits
from wagtail_distmark.campaigns.assets import choosable, chosen_keys
from wagtail_distmark.campaigns.posted import (
    READ_ERRORS,
    UnreadableZone,
    ZoneField,
    is_one_field,
    repaired,
    zone_messages,
)
from wagtail_distmark.campaigns.zones import NUMBER_BLOCKS, error_messages
from wagtail_distmark.org.forms import tolerate_unreadable_ids


@dataclass
class ZoneView:
    """What the editor shows for one zone of the template."""

    zone: object
    field_name: str | None

    @property
    def locked(self) -> bool:
        return self.field_name is None

    @property
    def policy(self) -> str:
        return self.zone.value.policy

    @property
    def label(self) -> str:
        return str(self.zone.block.label)

    @property
    def limits(self) -> list[str]:
        return self.zone.value.limits_text


def show_character_counters(block, max_chars: int | None) -> None:
    """HQ's limit as the texts' ``max_length``: Wagtail renders it as ``maxlength``, which
    ``zones.js`` turns into a visible counter (typing is not cut; the server judges)."""
    if not max_chars:
        return
    plain_texts = (blocks.CharBlock, blocks.TextBlock)
    for text_block in (b for b in field_blocks(block) if isinstance(b, plain_texts)):
        current = getattr(text_block, "max_length", None)
        text_block.max_length = min(current, max_chars) if current else max_chars


def offer_allowed_values(block, allowed: tuple[str, ...]) -> None:
    """A zone whose main text HQ limits to a few values gets a select of them (the server
    still checks the value: :func:`~wagtail_distmark.campaigns.zones.constraint_problems`)."""
    name = getattr(block, "primary_text_field", None)
    if not allowed or name not in getattr(block, "child_blocks", {}):
        return
    text_block = block.child_blocks[name]
    select = blocks.ChoiceBlock(
        choices=[(value, value) for value in allowed],
        label=text_block.label,
        required=text_block.required,
    )
    select.set_name(name)
    block.child_blocks[name] = select


#: Blocks whose value is a text: the zone's "every text required" and length limits apply.
TEXT_FIELDS = (blocks.CharBlock, blocks.TextBlock, blocks.RichTextBlock, blocks.ChoiceBlock)
NUMBER_FIELDS = NUMBER_BLOCKS  # the zone check's own list: the editor cannot drift from it


def field_blocks(block):
    """The field blocks of a block (itself, if it is one), however deeply nested."""
    if isinstance(block, blocks.FieldBlock):
        yield block
    for child in getattr(block, "child_blocks", {}).values():
        yield from field_blocks(child)
    if isinstance(block, blocks.ListBlock):
        yield from field_blocks(block.child_block)


def show_limits_on_fields(block, limits: ZoneLimits) -> None:
    """Each field a zone's limits apply to says which in its help text (Wagtail links a
    block's help text to its input), a number input takes the zone's range, and a text that
    must be filled in gets the editor's required mark (``zones.js``). What is accepted does
    not change: the zone's check judges the value (:mod:`wagtail_distmark.campaigns.zones`)."""
    for field_block in field_blocks(block):
        described = field_limits(field_block, limits).describe()
        if described:
            add_help_text(field_block, _("Limits:") + " " + "; ".join(described))
        if limits.required and isinstance(field_block, TEXT_FIELDS):
            # Wagtail 8 hands ``form_attrs`` to the field's widget; 7.0 has no such option.
            attrs = getattr(field_block.meta, "form_attrs", None) or {}
            field_block.meta.form_attrs = {**attrs, "data-distmark-required": ""}
        if isinstance(field_block, NUMBER_FIELDS):
            narrow_number_input(field_block, limits.min_value, limits.max_value)


def field_limits(field_block, limits: ZoneLimits) -> ZoneLimits:
    """The part of a zone's limits that applies to one field."""
    kept = {}
    if isinstance(field_block, TEXT_FIELDS):
        kept["required"] = limits.required
        if not isinstance(field_block, blocks.ChoiceBlock):  # a select: its values are HQ's
            kept["max_chars"] = limits.max_chars
    if isinstance(field_block, NUMBER_FIELDS):
        kept.update(min_value=limits.min_value, max_value=limits.max_value)
    if isinstance(field_block, ImageChooserBlock):
        kept["collection"] = limits.collection
    return ZoneLimits(**kept)


def add_help_text(field_block, text: str) -> None:
    current = field_block.field.help_text  # HTML in Wagtail's block forms
    field_block.field.help_text = f"{current} {escape(text)}" if current else escape(text)


def narrow_number_input(field_block, low, high) -> None:
    """The input announces the zone's range (5 to 20), not only the block's (1 to 90)."""
    attrs = field_block.field.widget.attrs
    if low is not None:
        current = attrs.get("min")
        attrs["min"] = str(low if current is None else max(Decimal(str(current)), low))
    if high is not None:
        current = attrs.get("max")
        attrs["max"] = str(high if current is None else min(Decimal(str(current)), high))


class LocalCampaignForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored body is never read from the request: it is rebuilt from the zones.
        self.fields["body"] = forms.CharField(required=False, widget=forms.HiddenInput)
        #: Notices about a zone's saved content (a broken link removed), by field name.
        self.zone_notices: dict[str, list[str]] = {}
        self.zone_views = self.build_zone_fields()

    @property
    def template(self):
        return self.instance.template if self.instance.template_id else None

    def build_zone_fields(self) -> list[ZoneView]:
        if self.template is None:
            return []
        current = {child.id: child.value for child in self.instance.body}
        views = []
        for zone in self.template.body:
            if zone.value.is_locked:
                views.append(ZoneView(zone, None))
                continue
            name = f"zone_{zone.id}"
            block = copy.deepcopy(zone.block.content_block)
            block.set_name(zone.block_type)
            limits = zone.value.limits  # none unless the zone is constrained
            show_character_counters(block, limits.max_chars)
            offer_allowed_values(block, limits.choices)
            show_limits_on_fields(block, limits)
            initial = current.get(zone.id, zone.value.content)
            kept = chosen_keys(block, zone.value.content) | chosen_keys(block, initial)
            self.fields[name] = ZoneField(
                block=block, fallback=initial, label=zone.block.label, required=False,
                initial=initial, may_choose=self.chooser(kept),
            )  # fmt: skip
            if repaired(block, initial)[1]:  # saved before links were checked: say so
                self.zone_notices[name] = [broken_link_message()]
            views.append(ZoneView(zone, name))
        return views

    def chooser(self, kept: set):
        """``may_choose(model, pk)`` for a zone: what the user's choosers offer, and what
        the zone already holds (the template's choice, or the campaign's saved one)."""

        def may_choose(model, pk) -> bool:
            if (model, pk) in kept:
                return True
            return choosable(self.for_user, model).filter(pk=pk).exists()

        return may_choose

    def zone_errors(self, field_name: str) -> list[str]:
        """The messages the zones panel shows above a zone's input, each once (a zone that
        is one field shows its errors on that field, like a field inside a zone)."""
        messages = list(self.zone_notices.get(field_name, []))
        if self.is_bound and not is_one_field(self.fields[field_name].block):
            for error in self.errors.as_data().get(field_name, []):
                messages += zone_messages(error)
        return list(dict.fromkeys(messages))

    def clean_name(self):
        return refuse_line_breaks(self.cleaned_data["name"])

    def clean_subject(self):
        return refuse_line_breaks(self.cleaned_data["subject"])

    def clean_preheader(self):
        return refuse_line_breaks(self.cleaned_data["preheader"])

    def clean(self):
        cleaned = super().clean()
        self.refuse_omitted_fields()
        if self.template is not None:
            self.refuse_locked_input()
            cleaned["body"] = self.assembled_body(cleaned)
        return cleaned

    def refuse_omitted_fields(self):
        """A field the editor shows but the POST leaves out is an error, not an empty value
        (a crafted or truncated request would blank the campaign's name or subject)."""
        for name in ("name", "subject", "preheader"):
            if name in self.fields and name not in self.data:
                self.add_error(name, missing_field_message())

    def refuse_locked_input(self):
        """A request that tries to set a locked zone (or the raw body) is refused, loudly."""
        keys = list(self.data.keys())
        for view in self.zone_views:
            name = f"zone_{view.zone.id}"
            if view.locked and any(key == name or key.startswith(f"{name}-") for key in keys):
                self.add_error(None, _("%(zone)s: this zone is locked by HQ and cannot be changed.")
                               % {"zone": view.label})  # fmt: skip
        if any(key == "body" and self.data[key] or key.startswith("body-") for key in keys):
            self.add_error(None, _("The content is saved zone by zone; it cannot be sent whole."))

    def assembled_body(self, cleaned) -> list[dict]:
        body = []
        for view in self.zone_views:
            zone = view.zone
            content_block = zone.block.content_block
            if view.locked:
                value = zone.value.content
            elif view.field_name in cleaned:
                value = cleaned[view.field_name]
            else:  # the zone's own validation failed: keep what was there, the error shows
                value = zone.value.content
            body.append(
                {
                    "type": zone.block_type,
                    "id": zone.id,
                    "value": content_block.get_prep_value(value),
                }
            )
        return body

    def _update_errors(self, errors):
        """Put the model's per-zone body errors on the zone inputs they concern."""
        body_errors = getattr(errors, "error_dict", {}).pop("body", [])
        for error in body_errors:
            self.add_zone_errors(error)
        if getattr(errors, "error_dict", None):
            super()._update_errors(errors)

    def add_zone_errors(self, error):
        for message in getattr(error, "non_block_errors", []) or []:
            self.add_error(None, message)
        for index, zone_error in (getattr(error, "block_errors", None) or {}).items():
            view = self.zone_views[int(index)]
            messages = error_messages(zone_error)
            if view.locked:
                self.add_error(
                    None,
                    _("%(zone)s: %(errors)s") % {"zone": view.label, "errors": " ".join(messages)},
                )
            elif isinstance(zone_error, NESTED_ERRORS):  # Wagtail shows each on its field
                self.add_error(view.field_name, zone_error)
            else:
                self.add_error(
                    view.field_name, zone_field_error(self.fields[view.field_name], messages)
                )
        if not hasattr(error, "block_errors") and not hasattr(error, "non_block_errors"):
            self.add_error(None, error)


def missing_field_message() -> str:
    return _("This field was missing from the form: reload the page and try again.")


def broken_link_message() -> str:
    return _(
        "A link in this zone pointed to a page or a file that does not exist; it was removed. "
        "Check the text and save."
    )


def refuse_line_breaks(value: str) -> str:
    """Header-bound text (subject, preheader, name) never holds a line break or a control
    character: one could add a header to the e-mail."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value or ""):
        raise ValidationError(_("Line breaks and control characters are not allowed here."))
    return value


#: Errors that carry messages for the fields inside a zone.
NESTED_ERRORS = (blocks.StructBlockValidationError, blocks.ListBlockValidationError)


def zone_field_error(field, messages) -> ValidationError:
    """An error the zone's block widget can show (struct blocks want their own type)."""
    if isinstance(field.block, blocks.StructBlock):
        return blocks.StructBlockValidationError(non_block_errors=ValidationError(messages))
    return ValidationError(messages)


class TemplateBodyWidget(blocks.BlockWidget):
    """The template's zones, read without trusting the POST's shape: Wagtail's stream widget
    raises on a truncated or crafted POST (no ``body-count``, an unknown zone type), a 500."""

    def __init__(self, block_def, fallback=None, attrs=None):
        super().__init__(block_def, attrs=attrs)
        #: What to show again when the posted zones could not be read: the saved ones.
        self.fallback = fallback

    def value_from_datadict(self, data, files, name):
        try:
            return super().value_from_datadict(data, files, name)
        except READ_ERRORS:
            return UnreadableZone(
                [_("The zones could not be read: reload the page and try again.")]
            )

    def render_with_errors(self, name, value, attrs=None, errors=None, renderer=None):
        if isinstance(value, UnreadableZone):
            value = self.fallback
        return super().render_with_errors(name, value, attrs, errors, renderer)


class BrandTemplateForm(WagtailAdminModelForm):
    """HQ's template form: unreadable zones or thumbnail id are form errors, never a 500."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        body = self.fields["body"]
        widget = TemplateBodyWidget(body.block, fallback=self.instance.body)
        self.fields["body"] = ZoneField(
            block=body.block, widget=widget, label=body.label, help_text=body.help_text,
            required=body.required,
        )  # fmt: skip
        tolerate_unreadable_ids(self)  # the thumbnail's chooser
