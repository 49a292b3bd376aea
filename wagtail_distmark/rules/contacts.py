"""Who may see, change, import, export and erase which contacts, and which of their fields.

A contact is judged by its unit links: a user reaches it through a link inside their scope
(``Contact.objects.for_user``, the queryset twin of :func:`can_view_contact`). Which *fields*
a user sees follows their highest role (:func:`visible_fields`), and every screen, search,
filter, sort, export and report asks that one function.
"""

from __future__ import annotations

from collections import defaultdict

import rules
from django.db.models import Exists, OuterRef

from wagtail_distmark.conf import get_contact_field_visibility
from wagtail_distmark.contacts.models import (
    Audience,
    Contact,
    ContactAttribute,
    ContactFieldPolicy,
    ContactUnit,
    ExportJob,
    ImportJob,
)
from wagtail_distmark.rules.org import (
    has_role_on_unit,
    is_distmark_superuser,
    is_head_office,
    is_member_or_superuser,
)
from wagtail_distmark.rules.roles import RANKS, UNIT_MANAGER
from wagtail_distmark.rules.scope import get_scope, memo

ALL = "*"


def all_field_names() -> list[str]:
    """Every field a role may be given: the standard ones, then HQ's attributes by key."""
    keys = ContactAttribute.objects.order_by("label").values_list("key", flat=True)
    return [*Contact.PERSONAL_FIELDS, *keys]


def visible_fields(user) -> frozenset[str]:
    """The contact fields (and attribute keys) the user sees: everything for a superuser,
    else what every role they hold may see — HQ's choice for the role (``ContactFieldPolicy``),
    else the defaults of ``conf.get_contact_field_visibility``. A manager of one store who is
    an editor of another sees an editor's fields everywhere: one set of columns, searches and
    sorts per user, never more than a role of theirs allows on any contact. Cached per
    request."""
    return memo(user, "contact_fields", lambda: frozenset(load_visible_fields(user)))


def load_visible_fields(user) -> list[str]:
    scope = get_scope(user)
    known = all_field_names()
    if scope.is_superuser:
        return known
    roles = {grant.role for grant in scope.grants}
    if not roles:
        return []
    declared = dict(ContactFieldPolicy.objects.filter(role__in=roles).values_list("role", "fields"))
    visible = set(known)
    for role in roles:
        names = declared.get(role)
        if names is None:
            names = get_contact_field_visibility(role)
        if ALL not in names:
            visible &= set(names)
    return [name for name in known if name in visible]


def manager_rank_over(user, unit) -> bool:
    """A unit manager or higher on ``unit`` (or above it)."""
    return get_scope(user).best_rank_on(unit.path) >= RANKS[UNIT_MANAGER]


@rules.predicate
def can_view_contact(user, contact=None) -> bool:
    """Through a link in the user's scope (the queryset twin decides)."""
    if contact is None:
        return is_member_or_superuser(user)
    return Contact.objects.for_user(user).filter(pk=contact.pk).exists()


@rules.predicate
def can_add_contact(user, unit=None) -> bool:
    """Any member, on a unit in their scope."""
    if unit is None:
        return is_member_or_superuser(user)
    return is_distmark_superuser(user) or has_role_on_unit(user, unit)


@rules.predicate
def is_manager_somewhere(user) -> bool:
    return any(grant.rank >= RANKS[UNIT_MANAGER] for grant in get_scope(user).grants)


def manages_all(scope, paths) -> bool:
    """A manager (or higher) over every one of ``paths``; a contact on no unit is HQ's."""
    if not paths:
        return scope.is_hq_admin
    return all(scope.best_rank_on(path) >= RANKS[UNIT_MANAGER] for path in paths)


@rules.predicate
def manages_every_link(user, contact=None) -> bool:
    """A manager (or higher) over every unit the contact is on: erasing or unsubscribing a
    person shared with another unit is not one unit's decision."""
    if contact is None:
        return is_manager_somewhere(user)
    scope = get_scope(user)
    if scope.is_superuser:
        return True
    return manages_all(scope, list(contact.links.values_list("unit__path", flat=True)))


#: Contacts whose links are read in one query (a bound on the SQL ``IN`` list).
ID_CHUNK = 900


def erasable_ids(user, contacts) -> set:
    """The ids of ``contacts`` the user may erase (or unsubscribe from everything): the batch
    twin of :func:`manages_every_link` (``wagtail_distmark.erase_contact``), one query per
    :data:`ID_CHUNK` contacts instead of one per contact."""
    ids = [contact.pk for contact in contacts]
    scope = get_scope(user)
    if scope.is_superuser:
        return set(ids)
    paths = defaultdict(list)
    for start in range(0, len(ids), ID_CHUNK):
        links = ContactUnit.objects.filter(contact_id__in=ids[start : start + ID_CHUNK])
        for contact_id, path in links.values_list("contact_id", "unit__path"):
            paths[contact_id].append(path)
    return {pk for pk in ids if manages_all(scope, paths[pk])}


@rules.predicate
def can_export_for_unit(user, unit=None) -> bool:
    """Exporting personal data: unit managers and above, for a unit in their scope."""
    if unit is None:
        return is_distmark_superuser(user) or is_manager_somewhere(user)
    return is_distmark_superuser(user) or manager_rank_over(user, unit)


@rules.predicate
def can_import_for_unit(user, unit=None) -> bool:
    """Importing (and recording consent for) contacts: unit managers and above."""
    return can_export_for_unit(user, unit)


@rules.predicate
def owns_job(user, job=None) -> bool:
    """An import or export is seen by whoever started it (HQ sees every one)."""
    if job is None:
        return is_member_or_superuser(user)
    return is_head_office(user) or job.created_by_id == user.pk


@rules.predicate
def can_view_audience(user, audience=None) -> bool:
    if audience is None:
        return is_member_or_superuser(user)
    return Audience.objects.for_user(user).filter(pk=audience.pk).exists()


@rules.predicate
def can_change_audience(user, audience=None) -> bool:
    """A unit's audiences: its members; HQ's template segments: HQ."""
    if audience is None:
        return is_member_or_superuser(user)
    if audience.template_id is not None:
        return is_head_office(user)
    return is_distmark_superuser(user) or has_role_on_unit(user, audience.unit)


can_change_contact = can_view_contact
can_erase_contact = is_distmark_superuser | manages_every_link
#: Subscribing again someone who unsubscribed (an explicit re-consent, with its evidence):
#: a manager over every unit the person is on, as for erasing.
can_reconsent_contact = is_distmark_superuser | manages_every_link
#: Everything held about one person (an access request): HQ's.
can_request_access = is_head_office
#: Communication types, tags, attributes, field visibility and the suppression list: HQ's.
can_manage_contact_setup = is_head_office


#: The roles that may export (and import) a unit's contacts: unit managers and above.
EXPORTING_ROLES = tuple(role for role, rank in RANKS.items() if rank >= RANKS[UNIT_MANAGER])


def exportable_contacts(user):
    """:func:`can_export_for_unit`'s queryset twin: the contacts on a unit where the user is a
    unit manager or above (a manager of Store A who is an editor of Store B exports A's)."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Contact.objects.all()
    if not scope.prefixes(EXPORTING_ROLES):
        return Contact.objects.none()
    links = ContactUnit.objects.filter(
        scope.q("unit__path", roles=EXPORTING_ROLES), contact=OuterRef("pk")
    )
    return Contact.objects.filter(Exists(links))


def jobs_for_user(model, user):
    """Imports or exports the user may see: :func:`owns_job`'s queryset twin."""
    return model.objects.for_user(user)


def imports_for_user(user):
    return jobs_for_user(ImportJob, user)


def exports_for_user(user):
    return jobs_for_user(ExportJob, user)
