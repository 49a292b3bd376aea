"""The audience form: a unit's subtree and filters, on a base it can only narrow.

The choices are the user's: units in their scope, bases they can see. A filter on a contact
field the user may not see (``rules.contacts.visible_fields``) is not offered, and HQ's field
``template`` (attaching a segment to a brand template) is absent for everyone else, so a
crafted POST of it is ignored.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from wagtail_distmark.campaigns.models import BrandTemplate
from wagtail_distmark.contacts.audiences import MAX_BASE_DEPTH, chain, check_narrows
from wagtail_distmark.contacts.models import Audience
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.contacts import visible_fields
from wagtail_distmark.rules.org import is_head_office

#: The longest list text read (postal code prefixes, locales), before it is split.
MAX_LIST_TEXT = 1000
#: The most entries a list filter holds.
MAX_LIST_ITEMS = 50

LOCALE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
POSTAL_PREFIX_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{0,19}")

#: Each filter and the contact field it reads: offered only to users who see that field.
FILTER_FIELDS = {
    "tags": "tags",
    "locales": "locale",
    "postal_prefixes": "postal_code",
    "city": "city",
    "birthday_month": "birth_date",
}


class BoundedListField(forms.Field):
    """Values separated by commas or new lines: the text is bounded before it is split, and
    each value must match ``pattern`` (anchored, no backtracking beyond its length)."""

    widget = forms.TextInput

    def __init__(self, *, pattern: re.Pattern, item_label: str, **kwargs):
        self.pattern, self.item_label = pattern, item_label
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": str(MAX_LIST_TEXT)}

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        text = str(value or "")
        if len(text) > MAX_LIST_TEXT:
            raise ValidationError(
                _("At most %(max)d characters."), code="max_length", params={"max": MAX_LIST_TEXT}
            )
        items = list(dict.fromkeys(i.strip() for i in re.split(r"[,\n]", text) if i.strip()))
        if len(items) > MAX_LIST_ITEMS:
            raise ValidationError(
                _("At most %(max)d values."), code="max_items", params={"max": MAX_LIST_ITEMS}
            )
        for item in items:
            if not self.pattern.fullmatch(item):
                raise ValidationError(
                    _("“%(value)s” is not a valid %(what)s.") % {"value": item[:40],
                                                                 "what": self.item_label},
                    code="invalid",
                )  # fmt: skip
        return items


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{'— ' * (unit.depth - 1)}{unit.name}"


class AudienceForm(WagtailAdminModelForm):
    """Create or edit an audience, with the requesting user's choices (``for_user``)."""

    unit = UnitChoiceField(queryset=OrgUnit.objects.none(), label=_("Unit"))
    locales = BoundedListField(
        pattern=LOCALE_RE,
        item_label=_("locale"),
        required=False,
        label=_("Locales"),
        help_text=_("Separated by commas, e.g. fr, nl-BE."),
    )
    postal_prefixes = BoundedListField(
        pattern=POSTAL_PREFIX_RE,
        item_label=_("postal code prefix"),
        required=False,
        label=_("Postal code prefixes"),
        help_text=_("Separated by commas, e.g. 75, 92100. At most 50."),
    )
    birthday_month = forms.TypedChoiceField(
        choices=[("", _("Any month")), *MONTHS.items()],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Birthday month"),
    )

    class Meta:
        model = Audience
        fields = [
            "name", "unit", "communication_type", "base", "template", "tags", "locales",
            "postal_prefixes", "city", "birthday_month", "created_after", "created_before",
            "active_after", "active_before",
        ]  # fmt: skip
        widgets = {
            "tags": forms.CheckboxSelectMultiple,
            "created_after": AdminDateInput,
            "created_before": AdminDateInput,
            "active_after": AdminDateInput,
            "active_before": AdminDateInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        self.fields["unit"].queryset = OrgUnit.objects.for_user(user)
        self.fields["communication_type"].required = True
        self.fields["communication_type"].empty_label = None
        bases = Audience.objects.for_user(user).select_related("unit")
        if self.instance.pk:
            bases = bases.exclude(pk=self.instance.pk)
        self.fields["base"].queryset = bases
        self.fields["base"].help_text = _(
            "Start from this audience (e.g. head office's segment of a brand template): every "
            "filter of it applies too, so this audience can only narrow it."
        )
        if is_head_office(user):
            self.fields["template"].queryset = BrandTemplate.objects.order_by("name")
        else:
            del self.fields["template"]
        hidden = [name for name, field in FILTER_FIELDS.items()
                  if field not in visible_fields(user)]  # fmt: skip
        for name in hidden:
            del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        self.check_base(cleaned)
        self.check_ranges(cleaned)
        self.check_template(cleaned)
        return cleaned

    def check_base(self, cleaned) -> None:
        """``audiences.check_narrows``, its errors on the fields at fault."""
        base = cleaned.get("base")
        if base is not None and len(chain(base)) >= MAX_BASE_DEPTH:
            # recipients() follows at most MAX_BASE_DEPTH bases: a longer chain would drop one.
            self.add_error("base", _("This audience is built on too many others already."))
            return
        if not (base and cleaned.get("unit") and cleaned.get("communication_type")):
            return
        probe = Audience(
            pk=self.instance.pk,
            unit=cleaned["unit"],
            communication_type=cleaned["communication_type"],
            base=cleaned["base"],
        )
        try:
            check_narrows(probe)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)

    def check_ranges(self, cleaned) -> None:
        for start, end in (("created_after", "created_before"), ("active_after", "active_before")):
            if cleaned.get(start) and cleaned.get(end) and cleaned[start] >= cleaned[end]:
                self.add_error(end, _("This date must come after the start of the range."))

    def check_template(self, cleaned) -> None:
        """A brand template has one segment: the one units start from."""
        template = cleaned.get("template")
        if template is None:
            return
        others = Audience.objects.filter(template=template).exclude(pk=self.instance.pk)
        other = others.first()
        if other is not None:
            self.add_error(
                "template",
                _("“%(template)s” already has a segment: “%(audience)s”.")
                % {"template": template, "audience": other},
            )

    def save(self, commit=True):
        if self.instance.pk is None:
            self.instance.created_by = self.for_user
        return super().save(commit)
