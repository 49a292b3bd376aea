"""``for_user()`` on unit-scoped models other than the tree itself."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail_distmark.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db


def usernames(queryset):
    return sorted(queryset.values_list("user__username", flat=True))


def test_memberships_for_user_follow_the_unit_scope(net):
    assert usernames(Membership.objects.for_user(net.fresh("regional_north"))) == [
        "editor_a",
        "manager_a",
        "regional_north",
    ]
    assert usernames(Membership.objects.for_user(net.fresh("manager_c"))) == ["manager_c"]
    assert usernames(Membership.objects.for_user(net.fresh("outsider"))) == []


def test_scope_is_read_once_per_user_object(net):
    user = net.fresh("regional_north")
    with CaptureQueriesContext(connection) as queries:
        list(OrgUnit.objects.for_user(user))
        list(Membership.objects.for_user(user))
        for unit in net.units.values():
            user.has_perm("wagtail_distmark.change_orgunit", unit)
    assert len(queries) == 3  # memberships once, then one query per listing


def test_saving_a_membership_refreshes_the_scope_of_that_user_object(net):
    user = net.fresh("outsider")
    assert not user.has_perm("wagtail_distmark.view_orgunit", net.units["c"])
    Membership.objects.create(user=user, unit=net.units["c"], role="unit_editor")
    assert user.has_perm("wagtail_distmark.view_orgunit", net.units["c"])
