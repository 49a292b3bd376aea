"""Predicates on the org tree: units, memberships and the grants between them.

Pure functions of the user's cached scope and the object's tree path: no query per object.
``obj is None`` is a model-level check (Wagtail's menus and ``user_can_create``): it answers
"could this user do this to some object?". The predicates on "an object's unit" (a
campaign's, a product row's) live here too: every feature above the tree uses them.
"""

import copy
from types import SimpleNamespace

import rules

from wagtail_distmark.org.models import Membership, OrgUnit
from wagtail_distmark.rules.roles import (
    HQ_ADMIN,
    RANKS,
    REGIONAL_MANAGER,
    UNIT_EDITOR,
    UNIT_MANAGER,
)
from wagtail_distmark.rules.scope import Grant, Scope, get_scope

#: Fields an HQ admin or a regional manager may change; unit managers get
#: ``OrgUnit.LOCALLY_EDITABLE_FIELDS`` only.
ALL = "__all__"

ALL_ROLES = tuple(Membership.Role)


@rules.predicate
def is_distmark_superuser(user) -> bool:
    return get_scope(user).is_superuser


@rules.predicate
def has_any_membership(user) -> bool:
    """A role somewhere in the network."""
    return bool(get_scope(user).grants)


@rules.predicate
def is_hq_admin_anywhere(user) -> bool:
    """An HQ admin on some unit (:attr:`Scope.is_hq_admin`)."""
    return get_scope(user).is_hq_admin


@rules.predicate
def is_head_office(user) -> bool:
    """A superuser or an HQ admin (:attr:`Scope.is_head_office`): HQ's own screens (brand
    templates, banned words, the catalogue, the brand library, the approval set-up)."""
    return get_scope(user).is_head_office


#: Any role in the network, or a superuser (a superuser's memberships change nothing).
is_member_or_superuser = is_distmark_superuser | has_any_membership


def _covered(user, unit, roles, strictly=False) -> bool:
    scope = get_scope(user)
    if unit is None:
        return scope.has_role(*roles)
    test = "covers_strictly" if strictly else "covers"
    return any(g.role in roles and getattr(g, test)(unit.path) for g in scope.grants)


@rules.predicate
def has_role_on_unit(user, unit) -> bool:
    """Any role on the unit or on one of its ancestors."""
    return _covered(user, unit, ALL_ROLES)


@rules.predicate
def is_hq_admin_of(user, unit) -> bool:
    return _covered(user, unit, (HQ_ADMIN,))


@rules.predicate
def is_hq_admin_above(user, unit) -> bool:
    """HQ admin of a strict ancestor: may restructure (move, delete) the unit."""
    return _covered(user, unit, (HQ_ADMIN,), strictly=True)


@rules.predicate
def is_regional_manager_of(user, unit) -> bool:
    return _covered(user, unit, (REGIONAL_MANAGER,))


@rules.predicate
def is_regional_manager_above(user, unit) -> bool:
    """Regional manager of a strict ancestor (their region's units, not the region)."""
    return _covered(user, unit, (REGIONAL_MANAGER,), strictly=True)


@rules.predicate
def is_unit_manager_of(user, unit) -> bool:
    return _covered(user, unit, (UNIT_MANAGER,))


@rules.predicate
def has_grantable_roles(user, unit) -> bool:
    """May grant at least one role on the unit."""
    if unit is None:
        return any(g.role != UNIT_EDITOR for g in get_scope(user).grants)
    return bool(grantable_roles(user, unit))


#: The rules a role hands out on a unit (and on the units below it), compared by
#: :func:`can_grant_role`. Managing members is left out on purpose: whom a grantee may
#: appoint is itself limited by this comparison, so it can never exceed the granter's.
GRANTED_PERMISSIONS = (
    "wagtail_distmark.view_orgunit",
    "wagtail_distmark.change_orgunit",
    "wagtail_distmark.change_orgunit_structure",
    "wagtail_distmark.add_orgunit",
    "wagtail_distmark.move_orgunit",
    "wagtail_distmark.delete_orgunit",
    "wagtail_distmark.add_localcampaign",
)


def phantom_member(unit, role: str):
    """A stand-in user holding exactly ``role`` on ``unit``: what would the grant allow?"""
    scope = Scope(grants=(Grant(unit.path, role, getattr(unit, "pk", None)),))
    return SimpleNamespace(
        pk=None, is_authenticated=True, is_active=True, is_superuser=False,
        is_staff=False, _distmark_scope=scope,
    )  # fmt: skip


def child_path(parent) -> str:
    """A path for a stand-in unit just below ``parent`` (never saved)."""
    return parent.path + "Z" * OrgUnit.steplen


def granted_targets(unit) -> list:
    """The unit, and a stand-in for any unit below it (a role covers the subtree)."""
    below = OrgUnit(
        path=child_path(unit), depth=getattr(unit, "depth", 0) + 1, kind=OrgUnit.Kind.UNIT
    )
    return [unit, below]


def placed_below(unit, parent):
    """A stand-in for ``unit`` as it would be once moved below ``parent`` (never saved):
    the rules judge a move by where the unit would land."""
    moved = copy.copy(unit)
    moved.path, moved.depth = child_path(parent), parent.depth + 1
    return moved


def permissions_of(user, targets) -> set[tuple[str, int]]:
    """The (rule name, target index) pairs the named rules allow ``user``."""
    return {
        (name, i)
        for i, target in enumerate(targets)
        for name in GRANTED_PERMISSIONS
        if rules.has_perm(name, user, target)
    }


@rules.predicate
def can_grant_role(user, unit_and_role) -> bool:
    """May give ``role`` on ``unit``: a role strictly below the user's own there, and
    everything that role may do on the unit (or below it), the user may do too.

    The second half is computed by asking the named rules for a stand-in member holding
    only the granted role, so it follows every rule (and a site's overrides) by itself.
    """
    if unit_and_role is None:
        return has_grantable_roles(user, None)
    unit, role = unit_and_role
    if role not in RANKS:
        return False
    if get_scope(user).is_superuser:
        return True
    if RANKS[role] not in _ranks_below(user, unit):
        return False
    targets = granted_targets(unit)
    granted = permissions_of(phantom_member(unit, role), targets)
    return granted <= permissions_of(user, targets)


@rules.predicate
def outranks_membership(user, membership) -> bool:
    """May remove this membership: its role is one the user may grant on its unit."""
    if membership is None:
        return has_grantable_roles(user, None)
    return rules.has_perm("wagtail_distmark.grant_role", user, (membership.unit, membership.role))


def has_site_wide_access(account) -> bool:
    """Staff, superuser, or rights through Wagtail's groups: an account of the whole site."""
    return (
        account.is_superuser
        or account.is_staff
        or account.groups.exists()
        or account.user_permissions.exists()
    )


@rules.predicate
def can_attach_account(user, account) -> bool:
    """May give a role to this existing account: every unit it already belongs to lies in
    the user's scope. An account with no membership may be attached, unless it is an
    account of the whole site (staff, superuser, Wagtail groups): those only by HQ."""
    scope = get_scope(user)
    if account is None or scope.is_superuser:
        return scope.is_superuser or has_grantable_roles(user, None)
    if has_site_wide_access(account):
        return scope.is_hq_admin
    prefixes = scope.prefixes()
    paths = Membership.objects.filter(user=account).values_list("unit__path", flat=True)
    return all(any(path.startswith(prefix) for prefix in prefixes) for path in paths)


def _ranks_below(user, unit) -> set:
    best = get_scope(user).best_rank_on(unit.path)
    return {rank for rank in RANKS.values() if rank < best}


def grantable_roles(user, unit) -> list[str]:
    """Roles the user may grant on ``unit`` (the ``grant_role`` rule, role by role)."""
    return [
        role
        for role in Membership.Role
        if rules.has_perm("wagtail_distmark.grant_role", user, (unit, role))
    ]


def editable_fields(user, unit) -> tuple[str, ...] | str:
    """Which fields of ``unit`` the user may change: ``ALL``, a tuple of names, or ``()``.

    Asks the registered rules by name, so a site's override of either rule is followed.
    """
    if rules.has_perm("wagtail_distmark.change_orgunit_structure", user, unit):
        return ALL
    if rules.has_perm("wagtail_distmark.change_orgunit", user, unit):
        return tuple(unit.LOCALLY_EDITABLE_FIELDS)
    return ()


def unit_of(obj):
    """The org unit an object belongs to (the object itself for a unit)."""
    return obj if obj is None or isinstance(obj, OrgUnit) else obj.unit


@rules.predicate
def has_role_on_its_unit(user, obj) -> bool:
    """Any role on the object's unit or an ancestor (e.g. a campaign's unit)."""
    return _covered(user, unit_of(obj), ALL_ROLES)


@rules.predicate
def manages_its_unit(user, obj) -> bool:
    """Unit manager or above on the object's unit (or an ancestor)."""
    return _covered(user, unit_of(obj), (HQ_ADMIN, REGIONAL_MANAGER, UNIT_MANAGER))


@rules.predicate
def is_hq_admin_of_its_unit(user, obj) -> bool:
    return _covered(user, unit_of(obj), (HQ_ADMIN,))


can_view_orgunit = is_distmark_superuser | has_role_on_unit
can_change_orgunit_structure = is_distmark_superuser | is_hq_admin_of | is_regional_manager_above
can_change_orgunit = can_change_orgunit_structure | is_unit_manager_of
can_add_child_orgunit = is_distmark_superuser | is_hq_admin_of | is_regional_manager_of
can_move_orgunit = is_distmark_superuser | is_hq_admin_above
can_delete_orgunit = is_distmark_superuser | is_hq_admin_above
can_manage_members = is_distmark_superuser | has_grantable_roles
can_remove_membership = is_distmark_superuser | outranks_membership
can_access_admin = is_member_or_superuser
