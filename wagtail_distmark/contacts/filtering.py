"""The contacts listing's filters, search and sort, shared by the listing and the export.

One function, :func:`filtered_contacts`, turns the listing's query string into its rows, so the
export of a listing is exactly what the user saw. It starts from ``Contact.objects.for_user``
(never anything else), hides erased contacts, and only searches, filters and sorts by fields
the user sees (:func:`wagtail_distmark.rules.contacts.visible_fields`): a search for a phone
number by someone who does not see phones finds nothing, an ``?ordering=phone`` is ignored.
Every parameter is bounded before it is parsed; a value that is not valid is ignored, never
a 500.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, Min, OuterRef, Prefetch, Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from wagtail_distmark.contacts.models import (
    CommunicationType,
    Consent,
    ConsentStatus,
    Contact,
    ContactTag,
    ContactUnit,
    Tag,
)
from wagtail_distmark.ids import clean_search, parse_id
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.contacts import visible_fields
from wagtail_distmark.rules.scope import get_scope

#: The longest value of a query parameter looked at (a longer one is cut).
MAX_PARAM_LENGTH = 200
#: The most values of one query parameter looked at.
MAX_PARAM_VALUES = 10
#: The longest parameter name kept.
MAX_PARAM_NAME = 40
#: The most units the subtree filter offers (the top of the user's scope first).
MAX_UNIT_CHOICES = 300
#: How many levels below the top of the user's scope the subtree filter offers.
UNIT_CHOICE_LEVELS = 2

#: Text fields a search looks in, when the user sees them.
SEARCH_FIELDS = ("email", "first_name", "last_name", "phone", "postal_code", "city")
#: Fields the listing may be sorted by, when the user sees them: every personal field but
#: the tags (a contact has several).
SORT_FIELDS = tuple(name for name in Contact.PERSONAL_FIELDS if name != "tags")
#: Always sortable: not personal data.
PUBLIC_SORT_FIELDS = ("created_at",)
DEFAULT_ORDERING = "-created_at"


def bounded_params(params) -> QueryDict:
    """The parameters, each name and value cut to a bounded length, NUL removed.

    Args:
        params: a ``QueryDict``, or a dict of strings or lists of strings.
    """
    items = params.lists() if hasattr(params, "lists") else params.items()
    bounded = QueryDict(mutable=True)
    for name, values in items:
        if len(str(name)) > MAX_PARAM_NAME:
            continue
        if not isinstance(values, (list, tuple)):
            values = [values]
        bounded.setlist(
            str(name),
            [clean_search(str(value))[:MAX_PARAM_LENGTH] for value in values[:MAX_PARAM_VALUES]],
        )
    return bounded


def search_fields(user) -> list[str]:
    """The fields a search of this user looks in: the visible text fields."""
    visible = visible_fields(user)
    return [name for name in SEARCH_FIELDS if name in visible]


def sort_keys(user) -> list[str]:
    """The fields the user may sort by."""
    visible = visible_fields(user)
    return [name for name in SORT_FIELDS if name in visible] + list(PUBLIC_SORT_FIELDS)


def search(queryset, user, text: str):
    """Contacts whose visible text fields contain ``text``; nothing if none is visible."""
    text = clean_search(text or "").strip()[:MAX_PARAM_LENGTH]
    if not text:
        return queryset
    fields = search_fields(user)
    if not fields:
        return queryset.none()
    query = Q()
    for name in fields:
        query |= Q(**{f"{name}__icontains": text})
    return queryset.filter(query)


def valid_ordering(user, ordering: str | None) -> str:
    """``ordering`` if it sorts by a field the user may sort by, else the default."""
    ordering = ordering or ""
    if ordering.removeprefix("-") in sort_keys(user):
        return ordering
    return DEFAULT_ORDERING


def order(queryset, user, ordering: str | None):
    """Sorted by ``ordering`` (if allowed), then newest first, so pages are stable."""
    ordering = valid_ordering(user, ordering)
    return queryset.order_by(ordering, "-pk")


def unit_choices(user) -> list[tuple[str, str]]:
    """The units the subtree filter offers: the user's scope, down to a few levels below its
    top and at most :data:`MAX_UNIT_CHOICES` of them, in the tree's order."""
    units = OrgUnit.objects.for_user(user)
    top = units.aggregate(top=Min("depth"))["top"] or 1
    rows = (
        units.filter(depth__lte=top + UNIT_CHOICE_LEVELS)
        .order_by("path")
        .values_list("pk", "name", "depth")[:MAX_UNIT_CHOICES]
    )
    return [(str(pk), f"{'— ' * (depth - top)}{name}") for pk, name, depth in rows]


def consent_choices() -> list[tuple[str, str]]:
    """``<type id>-<status>`` for every communication type and status."""
    choices = []
    for pk, name in CommunicationType.objects.values_list("pk", "name"):
        for status, label in ConsentStatus.choices:
            choices.append((f"{pk}-{status}", f"{name}: {label}"))
    return choices


def tag_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Tag.objects.values_list("pk", "name")]


class ContactFilterSet(WagtailFilterSet):
    """The listing's filters. The values are checked against what the user may filter by
    (units in their scope, declared types and tags); the tag filter only exists for a user
    who sees tags."""

    unit = django_filters.ChoiceFilter(
        label=_("Unit (and the units below it)"), method="filter_unit", empty_label=_("All")
    )
    consent = django_filters.ChoiceFilter(
        label=_("Consent"), method="filter_consent", empty_label=_("Any")
    )
    tag = django_filters.ChoiceFilter(label=_("Tag"), method="filter_tag", empty_label=_("Any"))
    created = django_filters.DateFromToRangeFilter(
        label=_("Created"), method="filter_created", widget=DateRangePickerWidget
    )
    last_activity = django_filters.DateFromToRangeFilter(
        label=_("Last activity"), method="filter_last_activity", widget=DateRangePickerWidget
    )

    class Meta:
        model = Contact
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else request.user
        self.filters["unit"].extra["choices"] = unit_choices(self.user)
        self.filters["consent"].extra["choices"] = consent_choices()
        if "tags" in visible_fields(self.user):
            self.filters["tag"].extra["choices"] = tag_choices()
        else:
            del self.filters["tag"]

    def filter_unit(self, queryset, name, value):
        pk = parse_id(value)
        unit = OrgUnit.objects.for_user(self.user).filter(pk=pk).first() if pk else None
        return queryset.under(unit.path) if unit is not None else queryset.none()

    def filter_consent(self, queryset, name, value):
        type_id, _dash, status = value.partition("-")
        communication_type = CommunicationType.objects.filter(pk=parse_id(type_id)).first()
        if communication_type is None:
            return queryset.none()
        consents = Consent.objects.filter(
            contact=OuterRef("pk"), communication_type=communication_type, status=status
        )
        if communication_type.is_per_unit:  # only what the user's units asked
            consents = consents.filter(get_scope(self.user).q("unit__path"))
        return queryset.filter(Exists(consents))

    def filter_tag(self, queryset, name, value):
        tagged = ContactTag.objects.filter(contact=OuterRef("pk"), tag_id=parse_id(value))
        return queryset.filter(Exists(tagged))

    def filter_created(self, queryset, name, value):
        return date_range(queryset, "created_at", value)

    def filter_last_activity(self, queryset, name, value):
        return date_range(queryset, "last_activity_at", value)


def date_range(queryset, field: str, value: slice):
    """Rows whose date of ``field`` is in the range (either end may be open)."""
    if value.start:
        queryset = queryset.filter(**{f"{field}__date__gte": value.start})
    if value.stop:
        queryset = queryset.filter(**{f"{field}__date__lte": value.stop})
    return queryset


def base_queryset(user):
    """Every contact the listing may show the user: in their scope, not erased."""
    return Contact.objects.for_user(user).live()


def apply_filters(queryset, user, params: QueryDict, filterset=None):
    """``queryset`` narrowed by the filters of ``params``; a filter that cannot be read (a unit
    out of scope, a crafted value) selects nothing: ignoring it would widen the rows — and a
    bulk action's "select all" or an export — to every contact (found by the attacker review).

    Args:
        filterset: a :class:`ContactFilterSet` already bound to ``params`` for ``user`` (the
            listing's, which it also displays), so its choice queries run once a request.
    """
    if filterset is None:
        filterset = ContactFilterSet(params, queryset, user=user)
    if not filterset.is_valid():
        return queryset.none()
    return filterset.filter_queryset(queryset)


def filtered_contacts(user, params, filterset=None):
    """The contacts the user may see, filtered, searched (``q``) and sorted (``ordering``) by
    ``params`` (the listing's query string as a ``QueryDict`` or a dict of lists or strings),
    only on fields the user sees: exactly the listing's rows, in its order.

    Args:
        filterset: optional, a :class:`ContactFilterSet` bound to ``bounded_params(params)``
            for ``user`` (the listing passes the one it displays).
    """
    params = bounded_params(params)
    queryset = apply_filters(base_queryset(user), user, params, filterset)
    queryset = search(queryset, user, params.get("q", ""))
    return order(queryset, user, params.get("ordering"))


def contact_label(contact: Contact, user) -> str:
    """How a screen names the contact to this user: the visible name and e-mail, else its
    number (``str(contact)`` would show the e-mail to whoever may not see it)."""
    if contact.erased_at:
        return str(contact)
    visible = visible_fields(user)
    parts = [getattr(contact, name) for name in ("first_name", "last_name") if name in visible]
    name = " ".join(part for part in parts if part)
    email = (contact.email or "") if "email" in visible else ""
    if name and email:
        return f"{name} <{email}>"
    return name or email or str(_("Contact #%(pk)s") % {"pk": contact.pk})


def scoped_links_prefetch(user) -> Prefetch:
    """The contact's links to units in the user's scope, as ``contact.scoped_links``: in
    "lists" mode a person may also be on another unit's list, which the user must not learn."""
    links = ContactUnit.objects.filter(get_scope(user).q("unit__path")).select_related("unit")
    return Prefetch("links", queryset=links.order_by("unit__path"), to_attr="scoped_links")
