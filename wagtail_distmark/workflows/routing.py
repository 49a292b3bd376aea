"""Who approves a unit's campaign: computed from the org tree, never from per-store groups.

The approvers of a campaign of unit ``U`` for a task asking for role ``R`` are found by walking
up from ``U`` (``U`` itself, its parent, … the root): at each unit, the members holding ``R``
or a higher role *on that very unit*. The first unit with at least one such member approves.
So "the unit's own manager" falls back to the regional manager above when a store has no
manager, and "the nearest regional manager" is the first one up the tree. Walking up past the
first unit is recorded (``Route.skipped``) so it can be logged. Nobody approves their own
submission: a unit whose only approver is the submitter does not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from wagtail_distmark.org.models import Membership, OrgUnit, path_and_ancestors


@dataclass(frozen=True)
class Route:
    """The unit whose members approve, the lowest role that may, and the units skipped."""

    unit: OrgUnit | None
    rank: int
    skipped: tuple[OrgUnit, ...] = field(default=())
    #: Someone at the unit holds exactly the role asked for (not only a higher one).
    exact: bool = True

    @property
    def found(self) -> bool:
        return self.unit is not None


def route(unit: OrgUnit, role: str, start_above: bool = False, submitter=None) -> Route:
    """The nearest unit at or above ``unit`` (strictly above with ``start_above``) with a member
    holding ``role`` or higher, other than the ``submitter``. Two queries whatever the depth."""
    rank = Membership.RANKS[role]
    paths = list(reversed(path_and_ancestors(unit.path)))  # the unit first, the root last
    if start_above:
        paths = paths[1:]
    roles = [r for r, r_rank in Membership.RANKS.items() if r_rank >= rank]
    members = Membership.objects.filter(unit__path__in=paths, role__in=roles, user__is_active=True)
    if submitter is not None:
        members = members.exclude(user=submitter)
    staffed: dict[str, set[str]] = {}
    for path, member_role in members.values_list("unit__path", "role"):
        staffed.setdefault(path, set()).add(member_role)
    units = {u.path: u for u in OrgUnit.objects.filter(path__in=paths)}
    skipped = []
    for path in paths:
        if path in staffed:
            return Route(units[path], rank, tuple(skipped), exact=role in staffed[path])
        skipped.append(units[path])
    return Route(None, rank, tuple(skipped))


def approvers(unit: OrgUnit | None, rank: int):
    """The active users who approve for ``unit`` at ``rank`` (a queryset)."""
    if unit is None:
        return get_user_model().objects.none()
    roles = [r for r, r_rank in Membership.RANKS.items() if r_rank >= rank]
    return (
        get_user_model()
        .objects.filter(
            is_active=True, distmark_memberships__unit=unit, distmark_memberships__role__in=roles
        )
        .distinct()
    )
