"""Forms of the Network admin, and a repair every admin form with a chooser can apply."""

import zoneinfo
from functools import cache
from unicodedata import normalize

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.widgets.chooser import BaseChooser

from wagtail_distmark import conf
from wagtail_distmark.org.models import Membership, OrgUnit, country_names
from wagtail_distmark.rules.org import ALL, grantable_roles, placed_below
from wagtail_distmark.rules.scope import get_scope

#: The unit form's sections, in order. The edit view keeps the fields a user may change.
PANEL_GROUPS = [
    (_("Identity"), ["name", "kind", "code"]),
    (_("Address"), ["address_line_1", "address_line_2", "city", "postal_code"]),
    (_("Contact"), ["phone", "email", "website", "opening_hours"]),
    (_("Sender identity"), ["sender_name", "sender_email", "reply_to"]),
    (_("Locale"), ["locale", "timezone", "country", "currency"]),
]
ALL_PROFILE_FIELDS = [name for _heading, names in PANEL_GROUPS for name in names]


def timezone_choices():
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


def country_choices():
    """Countries by name in the user's language (ISO 3166 codes are what is stored)."""
    names = country_names(get_language() or "en")
    by_name = sorted(names.items(), key=lambda item: normalize("NFKD", item[1]).casefold())
    return [("", "---------"), *by_name]


#: The longest text a profile's multi-line field (opening hours) may hold: it is merged
#: into every e-mail the unit sends.
TEXT_MAX_LENGTH = 1000


def bound_text_field(field: forms.Field, max_length: int = TEXT_MAX_LENGTH) -> None:
    """Give a form field for an unbounded ``TextField`` a length limit (no migration)."""
    field.max_length = max_length
    field.validators.append(MaxLengthValidator(max_length))
    field.widget.attrs["maxlength"] = str(max_length)


class OrgUnitForm(WagtailAdminModelForm):
    """The unit profile form; labels of kinds and the time zone list come from the site.

    An edit must post every field the form shows: one that leaves a field out (a script, a
    JSON body, a truncated request) is refused with an error on that field rather than
    emptying the saved value.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(model_field(name), models.TextField):
                bound_text_field(field)
        if "kind" in self.fields:
            self.fields["kind"].choices = list(conf.get_kind_labels().items())
        if "timezone" in self.fields:
            self.fields["timezone"] = forms.ChoiceField(
                label=self.fields["timezone"].label,
                choices=timezone_choices(),
                initial=self.instance.timezone,
            )
        if "country" in self.fields:
            field = self.fields["country"]
            self.fields["country"] = forms.ChoiceField(
                label=field.label, help_text=field.help_text, required=False,
                choices=country_choices,
            )  # fmt: skip

    def clean(self):
        editing = self.instance.pk is not None  # a new unit has nothing to lose
        for name in self.omitted_fields() if editing else ():
            if name not in self._errors:  # a required field already says so
                self.add_error(
                    name,
                    _("This field was missing from the form: reload the page and try again."),
                )
        return super().clean()

    def omitted_fields(self) -> list[str]:
        """The shown fields the POST left out (a checkbox left out just means "off")."""
        return [
            name
            for name, field in self.fields.items()
            if not field.disabled
            and field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name))
        ]


def model_field(name: str):
    try:
        return OrgUnit._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def indented_label(unit: OrgUnit) -> str:
    return f"{'— ' * (unit.depth - 1)}{unit.name} ({unit.code})"


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return indented_label(obj)


def placement_candidates(user, include: OrgUnit | None = None):
    """Units in the user's scope that can take children: never stores, unless explicitly
    included."""
    kinds = Q(kind__in=[OrgUnit.Kind.HEADQUARTERS, OrgUnit.Kind.REGION])
    if include is not None:
        kinds |= Q(pk=include.pk)
    return OrgUnit.objects.filter(get_scope(user).q("path")).filter(kinds)


def allowed_units(user, permission: str, candidates, judged=lambda unit: unit):
    """The ``candidates`` for which the named rule ``permission`` allows ``user``
    ``judged(unit)``: the lists follow the rules, and a site's ``rules.set_perm`` override."""
    allowed = [unit.pk for unit in candidates if user.has_perm(permission, judged(unit))]
    return candidates.filter(pk__in=allowed)


class OrgUnitCreateForm(OrgUnitForm):
    parent = ParentChoiceField(
        queryset=OrgUnit.objects.none(),
        label=_("Parent unit"),
        help_text=_("The new unit is created below this one."),
    )

    def __init__(self, *args, parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        targets = allowed_units(
            self.for_user,
            "wagtail_distmark.add_orgunit",
            placement_candidates(self.for_user, include=parent),
        )
        self.fields["parent"].queryset = targets
        if parent is None and len(choices := targets[:2]) == 1:
            parent = choices[0]  # the only place this user may create a unit
        if parent is not None:
            self.fields["parent"].initial = parent.pk
            self.inherit_from(parent)

    def inherit_from(self, parent: OrgUnit) -> None:
        """A new unit starts with its parent's locale, time zone, country and currency."""
        for name, value in parent.inherited_values().items():
            if name in self.fields and not self.is_bound:
                self.initial[name] = value
                self.fields[name].initial = value

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if not self.for_user.has_perm("wagtail_distmark.add_orgunit", parent):
            raise forms.ValidationError(
                _("You may not add units below %(unit)s.") % {"unit": parent}
            )
        return parent


def unit_edit_handler(fields, form_class=OrgUnitForm, extra_panels=()) -> ObjectList:
    """The panels for the given field names (``rules.org.ALL`` for every field)."""
    keep = ALL_PROFILE_FIELDS if fields == ALL else fields
    sections = [
        MultiFieldPanel([FieldPanel(name) for name in names if name in keep], heading=heading)
        for heading, names in PANEL_GROUPS
        if any(name in keep for name in names)
    ]
    return ObjectList([*extra_panels, *sections], base_form_class=form_class)


class MoveForm(forms.Form):
    target = ParentChoiceField(queryset=OrgUnit.objects.none(), label=_("New parent"))

    def __init__(self, *args, unit: OrgUnit, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        candidates = (
            placement_candidates(user)
            .exclude(path__startswith=unit.path)  # never into its own subtree
            .exclude(pk=unit.get_parent().pk)  # nor where it already is
        )
        # The rule judges the unit where it would land: may the user move it there?
        self.fields["target"].queryset = allowed_units(
            user, "wagtail_distmark.move_orgunit", candidates, lambda t: placed_below(unit, t)
        )


class RoleField(forms.ChoiceField):
    """Offers the grantable roles, but accepts any role name, so that the form's own
    ``clean_role`` refuses an ungrantable one with a message that says why."""

    def valid_value(self, value):
        return value in Membership.RANKS


class AddMemberForm(forms.Form):
    """Give a role on a unit to an existing user, or to a new user created here.

    Both halves ask the rules: ``grant_role`` for the role on this unit, ``attach_user`` for
    the account. An account the user may not attach gets the same answer as one that does not
    exist, so the form never tells who has an account elsewhere on the site.
    """

    role = RoleField(label=_("Role"))
    existing_user = forms.CharField(
        label=_("Existing user"),
        required=False,
        help_text=_("Username or e-mail address of someone who already has an account."),
    )
    username = forms.CharField(label=_("Username"), required=False, max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    password = forms.CharField(
        label=_("Password"), required=False, widget=forms.PasswordInput, strip=False
    )

    NEW_USER_FIELDS = ("username", "email", "first_name", "last_name", "password")
    #: The one answer for "no such account" and "an account you may not attach".
    NOT_FOUND = _("No user you may add here has this username or e-mail address.")

    def __init__(self, *args, unit: OrgUnit, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit, self.granter = unit, user
        labels = dict(Membership.Role.choices)
        self.fields["role"].choices = [(role, labels[role]) for role in grantable_roles(user, unit)]

    def clean_role(self):
        role = self.cleaned_data["role"]
        if not self.granter.has_perm("wagtail_distmark.grant_role", (self.unit, role)):
            raise forms.ValidationError(
                _(
                    "You may not make anyone %(role)s of %(unit)s: that role may do things "
                    "here that you may not."
                )
                % {"role": Membership.Role(role).label, "unit": self.unit}
            )
        return role

    def clean(self):
        data = super().clean()
        wants_new = any(data.get(name) for name in self.NEW_USER_FIELDS)
        if data.get("existing_user") and wants_new:
            raise forms.ValidationError(
                _("Either name an existing user or fill in a new user, not both.")
            )
        if data.get("existing_user"):
            data["user"] = self.find_existing_user(data["existing_user"])
        elif wants_new:
            self.check_new_user(data)
        else:
            raise forms.ValidationError(_("Name an existing user or fill in a new user."))
        return data

    def find_existing_user(self, identifier: str):
        User = get_user_model()
        matches = User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))
        attachable = [
            account
            for account in matches[:10]
            if self.granter.has_perm("wagtail_distmark.attach_user", account)
        ]
        if not attachable:
            self.add_error("existing_user", self.NOT_FOUND)
            return None
        if len(attachable) > 1:
            self.add_error(
                "existing_user",
                _("Several users share this e-mail address; enter the username instead."),
            )
            return None
        if Membership.objects.filter(user=attachable[0], unit=self.unit).exists():
            self.add_error(
                "existing_user",
                _("%(user)s already has a role on %(unit)s; remove it first to change it.")
                % {"user": attachable[0], "unit": self.unit},
            )
            return None
        return attachable[0]

    def check_new_user(self, data):
        User = get_user_model()
        for name in ("username", "email", "password"):
            if not data.get(name):
                self.add_error(name, _("This field is required for a new user."))
        if data.get("username") and User.objects.filter(username__iexact=data["username"]).exists():
            # Said without confirming who has the name: usernames are unique site-wide.
            self.add_error("username", _("This username is not available; choose another."))
        if data.get("password"):
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(data["password"], candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)

    def save(self) -> Membership:
        user = self.cleaned_data.get("user") or self.create_user()
        return Membership.objects.create(user=user, unit=self.unit, role=self.cleaned_data["role"])

    def create_user(self):
        data = self.cleaned_data
        return get_user_model().objects.create_user(
            username=data["username"],
            email=data["email"],
            password=data["password"],
            first_name=data["first_name"],
            last_name=data["last_name"],
        )


class TolerantChooser:
    """Mixin for Wagtail's chooser widgets: they look the posted id up to draw the form again
    and raise on an id that is not a number or overflows the column (a 500 on a crafted POST);
    such an id is drawn as nothing chosen, next to the field's "not a valid choice" error."""

    def get_instance(self, value):
        try:
            return super().get_instance(value)
        except (ValueError, TypeError, OverflowError):
            return None


@cache
def tolerant_class(widget_class: type) -> type:
    return type(widget_class.__name__, (TolerantChooser, widget_class), {})


def tolerate_unreadable_ids(form: forms.BaseForm) -> None:
    """Make every chooser widget of ``form`` a :class:`TolerantChooser` (call in ``__init__``)."""
    for form_field in form.fields.values():
        widget = form_field.widget
        if isinstance(widget, BaseChooser) and not isinstance(widget, TolerantChooser):
            widget.__class__ = tolerant_class(type(widget))
