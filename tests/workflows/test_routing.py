"""Routing against an independent oracle, over random trees and memberships."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import MembershipFactory, UserFactory, add_unit
from wagtail_distmark.models import Membership, OrgUnit
from wagtail_distmark.workflows import routing

ROLES = list(Membership.Role)
RANK = {role: Membership.RANKS[role] for role in ROLES}


@st.composite
def networks(draw):
    """A forest as parent indexes (-1: a root), and memberships as (unit, user, role)."""
    size = draw(st.integers(1, 12))
    parents = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, size)]
    users = draw(st.integers(1, 5))
    grants = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(0, users - 1), st.sampled_from(ROLES)),
            max_size=10, unique_by=lambda g: (g[0], g[1]),
        )
    )  # fmt: skip
    submitter = draw(st.integers(-1, users - 1))
    return parents, users, grants, submitter


def oracle(units, parents, grants, users, start, role, submitter):
    """Walk the parent links in Python: the first unit with an approver other than the
    submitter holding the role or a higher one."""
    index = start
    while index != -1:
        approvers = {
            users[u] for (unit, u, r) in grants
            if unit == index and RANK[r] >= RANK[role] and users[u] != submitter
        }  # fmt: skip
        if approvers:
            return units[index], approvers
        index = parents[index]
    return None, set()


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(network=networks(), role=st.sampled_from(ROLES))
def test_route_matches_the_oracle(network, role):
    parents, user_count, grants, submitter_index = network
    OrgUnit.objects.all().delete()
    units = []
    for i, parent in enumerate(parents):
        parent_unit = OrgUnit.objects.get(pk=units[parent].pk) if parent >= 0 else None
        units.append(add_unit(parent_unit, f"U{i}", f"R-{i}", "unit"))
    users = [UserFactory() for _ in range(user_count)]
    for unit, user, member_role in grants:
        MembershipFactory(unit=units[unit], user=users[user], role=member_role)
    submitter = users[submitter_index] if submitter_index >= 0 else None
    for start in range(len(units)):
        unit = OrgUnit.objects.get(pk=units[start].pk)
        found = routing.route(unit, role, submitter=submitter)
        expected_unit, expected_users = oracle(
            units, parents, grants, users, start, role, submitter
        )
        assert found.unit == expected_unit
        approvers = set(routing.approvers(found.unit, found.rank)) - {submitter}
        assert approvers == expected_users
