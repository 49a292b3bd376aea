"""The rules and ``for_user()`` agree with a plain ancestor walk, on random trees.

The oracle below knows nothing of paths, prefixes or scopes: it walks parent links.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import UserFactory, add_unit
from wagtail_distmark.models import Membership, OrgUnit
from wagtail_distmark.rules import org as org_rules

ROLES = [role.value for role in Membership.Role]
RANK = {"hq_admin": 4, "regional_manager": 3, "unit_manager": 2, "unit_editor": 1}
PERMISSIONS = [
    "wagtail_distmark.view_orgunit",
    "wagtail_distmark.change_orgunit",
    "wagtail_distmark.add_orgunit",
    "wagtail_distmark.move_orgunit",
    "wagtail_distmark.delete_orgunit",
    "wagtail_distmark.manage_members",
]


@st.composite
def networks(draw):
    """A forest of up to 25 units, depth 1–7, and up to 5 users with random roles."""
    max_depth = draw(st.integers(1, 7))
    parents, depths = [None], [1]
    for _ in range(draw(st.integers(0, 24))):
        candidates = [i for i, d in enumerate(depths) if d < max_depth]
        parent = draw(st.one_of(st.none(), st.sampled_from(candidates))) if candidates else None
        if parent is None and draw(st.integers(0, 9)) > 0 and candidates:
            parent = candidates[0]  # mostly one tree, sometimes a second root
        parents.append(parent)
        depths.append(1 if parent is None else depths[parent] + 1)
    users = []
    for _ in range(draw(st.integers(1, 5))):
        units = draw(st.lists(st.integers(0, len(parents) - 1), max_size=3, unique=True))
        grants = [(unit, draw(st.sampled_from(ROLES))) for unit in units]
        users.append((draw(st.integers(0, 19)) == 0, grants))  # 1 in 20 is a superuser
    return parents, users


class Oracle:
    def __init__(self, parents, grants, superuser):
        self.parents, self.grants, self.superuser = parents, grants, superuser

    def ancestors(self, i, include_self=True):
        chain = [i] if include_self else []
        while self.parents[i] is not None:
            i = self.parents[i]
            chain.append(i)
        return chain

    def roles(self, i, strictly=False):
        above = self.ancestors(i, include_self=not strictly)
        return {role for unit, role in self.grants if unit in above}

    def best_rank(self, i):
        return max((RANK[role] for role in self.roles(i)), default=0)

    def allows(self, perm, i):
        if self.superuser:
            return True
        roles, strict = self.roles(i), self.roles(i, strictly=True)
        return {
            "wagtail_distmark.view_orgunit": bool(roles),
            "wagtail_distmark.change_orgunit": "hq_admin" in roles
            or "regional_manager" in strict
            or "unit_manager" in roles,
            "wagtail_distmark.add_orgunit": bool(roles & {"hq_admin", "regional_manager"}),
            "wagtail_distmark.move_orgunit": "hq_admin" in strict,
            "wagtail_distmark.delete_orgunit": "hq_admin" in strict,
            "wagtail_distmark.manage_members": self.best_rank(i) > RANK["unit_editor"],
        }[perm]

    def editable(self, i):
        if self.superuser or "hq_admin" in self.roles(i):
            return "all"
        if "regional_manager" in self.roles(i, strictly=True):
            return "all"
        return "local" if "unit_manager" in self.roles(i) else "none"


def build(parents, users):
    units = []
    for i, parent in enumerate(parents):
        units.append(add_unit(None if parent is None else units[parent], f"U{i}", f"U{i}", "unit"))
    for unit in units:
        unit.refresh_from_db()
    people = []
    for n, (superuser, grants) in enumerate(users):
        user = UserFactory(username=f"u{n}", is_superuser=superuser)
        for unit_index, role in grants:
            Membership.objects.create(user=user, unit=units[unit_index], role=role)
        people.append(user)
    return units, people


def fresh(user):
    return type(user).objects.get(pk=user.pk)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(network=networks())
def test_rules_and_for_user_agree_with_the_ancestor_walk(network):
    parents, users = network
    with transaction.atomic():
        units, people = build(parents, users)
        for user, (superuser, grants) in zip(people, users, strict=True):
            oracle = Oracle(parents, grants, superuser)
            user = fresh(user)
            for i, unit in enumerate(units):
                for perm in PERMISSIONS:
                    assert user.has_perm(perm, unit) == oracle.allows(perm, i), (perm, i, grants)
                fields = org_rules.editable_fields(user, unit)
                expected = oracle.editable(i)
                assert (
                    (fields == org_rules.ALL and expected == "all")
                    or (fields == OrgUnit.LOCALLY_EDITABLE_FIELDS and expected == "local")
                    or (fields == () and expected == "none")
                ), (fields, expected, i, grants)
            for membership in Membership.objects.select_related("unit"):
                unit_index = units.index(membership.unit)
                expected = superuser or (
                    RANK[membership.role] < oracle.best_rank(unit_index)
                    # a unit manager may edit the profile: only someone who may do so grants it
                    and (
                        membership.role != "unit_manager"
                        or oracle.allows("wagtail_distmark.change_orgunit", unit_index)
                    )
                )
                assert user.has_perm("wagtail_distmark.delete_membership", membership) == expected

            visible = {u.pk for i, u in enumerate(units) if oracle.allows(PERMISSIONS[0], i)}
            user = fresh(user)
            with CaptureQueriesContext(connection) as queries:
                listed = {unit.pk for unit in OrgUnit.objects.for_user(user)}
            assert listed == visible
            assert len(queries) <= 2  # memberships once, then the listing
        transaction.set_rollback(True)
