"""A user's scope: the tree paths their memberships cover, read once and cached.

Every per-object rule and every ``for_user()`` queryset is answered from this one
structure, so they cannot disagree: a rule asks "does one of my paths prefix the unit's
path?", a queryset filters ``path__startswith`` on the same prefixes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q

from wagtail_distmark.rules.roles import HQ_ADMIN, RANKS

CACHE_ATTR = "_distmark_scope"
MEMO_ATTR = "_distmark_scope_memo"


@dataclass(frozen=True)
class Grant:
    """One membership, reduced to what the rules need."""

    path: str
    role: str
    unit_id: int

    @property
    def rank(self) -> int:
        return RANKS[self.role]

    def covers(self, path: str) -> bool:
        """The unit at ``path`` is this grant's unit or lies below it."""
        return path.startswith(self.path)

    def covers_strictly(self, path: str) -> bool:
        """The unit at ``path`` lies below this grant's unit."""
        return path != self.path and path.startswith(self.path)


@dataclass(frozen=True)
class Scope:
    is_superuser: bool = False
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    def grants_on(self, path: str) -> list[Grant]:
        """The grants that apply to the unit at ``path`` (on it or an ancestor)."""
        return [grant for grant in self.grants if grant.covers(path)]

    def best_rank_on(self, path: str) -> int:
        return max((grant.rank for grant in self.grants_on(path)), default=0)

    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.grants)

    @property
    def highest_role(self) -> str | None:
        """The highest-ranking role the user holds anywhere (``None`` without a membership)."""
        return max(self.grants, key=lambda grant: grant.rank).role if self.grants else None

    @property
    def is_hq_admin(self) -> bool:
        """An HQ admin somewhere: HQ's own screens (brand templates, banned words, catalogue,
        the whole library) are theirs, whatever unit the role is on."""
        return self.has_role(HQ_ADMIN)

    @property
    def is_head_office(self) -> bool:
        """A superuser or an HQ admin: sees and manages what HQ owns, everywhere."""
        return self.is_superuser or self.is_hq_admin

    @property
    def is_network_member(self) -> bool:
        """Holds a role in the network and is no superuser: the network's rules, not
        Wagtail's groups alone, decide what they see of Wagtail's own objects (files, …).
        Superusers and accounts outside the network keep Wagtail's behaviour."""
        return bool(self.grants) and not self.is_superuser

    def prefixes(self, roles: tuple[str, ...] | None = None) -> list[str]:
        """The minimal set of paths whose subtrees make up the scope."""
        paths = sorted({g.path for g in self.grants if roles is None or g.role in roles})
        minimal: list[str] = []
        for path in paths:  # sorted, so an ancestor always comes before its descendants
            if not minimal or not path.startswith(minimal[-1]):
                minimal.append(path)
        return minimal

    def q(self, path_lookup: str = "path", roles: tuple[str, ...] | None = None) -> Q:
        """A filter selecting the rows whose unit path lies in the scope."""
        if self.is_superuser:
            return Q()
        prefixes = self.prefixes(roles)
        if not prefixes:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{path_lookup}__startswith": p}) for p in prefixes))


EMPTY_SCOPE = Scope()


def get_scope(user) -> Scope:
    """The user's scope, from one query, cached on the user object (i.e. per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, CACHE_ATTR, None)
    if cached is None:
        cached = load_scope(user)
        setattr(user, CACHE_ATTR, cached)
    return cached


def is_network_member(user) -> bool:
    """:attr:`Scope.is_network_member` of the user's scope; a superuser's answer (no) needs
    no query, so Wagtail's own pages keep their query counts for superusers."""
    if user is None or getattr(user, "is_superuser", False):
        return False
    return get_scope(user).is_network_member


def load_scope(user) -> Scope:
    # Through the reverse relation: this module imports no model (it sits below them all).
    rows = user.distmark_memberships.values_list("unit__path", "role", "unit_id")
    return Scope(
        is_superuser=user.is_superuser,
        grants=tuple(Grant(path, role, unit_id) for path, role, unit_id in rows),
    )


def memo(user, key, compute):
    """A value derived from the user's scope, computed once per user object (i.e. per
    request) and forgotten with the scope."""
    values = getattr(user, MEMO_ATTR, None)
    if values is None:
        values = {}
        setattr(user, MEMO_ATTR, values)
    if key not in values:
        values[key] = compute()
    return values[key]


def clear_scope_cache(user) -> None:
    """Forget the cached scope, e.g. after the user's memberships changed."""
    for attr in (CACHE_ATTR, MEMO_ATTR):
        with contextlib.suppress(AttributeError):
            delattr(user, attr)  # works through SimpleLazyObject too
