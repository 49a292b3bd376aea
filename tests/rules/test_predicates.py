"""Predicates on stub users and units: no database."""

from types import SimpleNamespace

import pytest

from wagtail_distmark.models import OrgUnit
from wagtail_distmark.rules import org as org_rules
from wagtail_distmark.rules.scope import Grant, Scope, get_scope

HQ, NORTH, STORE_A, SOUTH, STORE_C = "0001", "00010001", "000100010001", "00010002", "000100020001"


def user(*grants, superuser=False):
    scope = Scope(is_superuser=superuser, grants=tuple(Grant(p, r, 0) for p, r in grants))
    return SimpleNamespace(is_authenticated=True, is_active=True, _distmark_scope=scope)


def unit(path):
    return OrgUnit(path=path, depth=len(path) // OrgUnit.steplen)


def test_view_covers_the_subtree_of_a_membership_but_not_its_parent_or_siblings():
    manager = user((NORTH, "unit_editor"))
    assert org_rules.can_view_orgunit(manager, unit(NORTH))
    assert org_rules.can_view_orgunit(manager, unit(STORE_A))
    assert not org_rules.can_view_orgunit(manager, unit(HQ))
    assert not org_rules.can_view_orgunit(manager, unit(SOUTH))


def test_regional_manager_changes_units_below_the_region_not_the_region_itself():
    regional = user((NORTH, "regional_manager"))
    assert org_rules.can_change_orgunit(regional, unit(STORE_A))
    assert not org_rules.can_change_orgunit(regional, unit(NORTH))
    assert not org_rules.can_change_orgunit(regional, unit(STORE_C))


def test_unit_manager_may_edit_only_the_local_profile_fields():
    manager = user((STORE_A, "unit_manager"))
    assert org_rules.editable_fields(manager, unit(STORE_A)) == OrgUnit.LOCALLY_EDITABLE_FIELDS
    assert "code" not in org_rules.editable_fields(manager, unit(STORE_A))
    assert org_rules.editable_fields(manager, unit(STORE_C)) == ()
    assert org_rules.editable_fields(user((HQ, "hq_admin")), unit(STORE_A)) == org_rules.ALL


@pytest.mark.parametrize(
    ("role", "grantable"),
    [
        ("hq_admin", ["regional_manager", "unit_manager", "unit_editor"]),
        ("regional_manager", ["unit_manager", "unit_editor"]),
        ("unit_manager", ["unit_editor"]),
        ("unit_editor", []),
    ],
)
def test_nobody_grants_a_role_at_or_above_their_own(role, grantable):
    member = user((NORTH, role))
    assert org_rules.grantable_roles(member, unit(STORE_A)) == grantable
    assert org_rules.grantable_roles(member, unit(SOUTH)) == []
    assert org_rules.can_manage_members(member, unit(STORE_A)) == bool(grantable)


def test_removing_a_membership_needs_a_higher_rank_on_its_unit():
    manager = user((STORE_A, "unit_manager"))
    editor_membership = SimpleNamespace(role="unit_editor", unit=unit(STORE_A))
    peer_membership = SimpleNamespace(role="unit_manager", unit=unit(STORE_A))
    other_store = SimpleNamespace(role="unit_editor", unit=unit(STORE_C))
    assert org_rules.can_remove_membership(manager, editor_membership)
    assert not org_rules.can_remove_membership(manager, peer_membership)
    assert not org_rules.can_remove_membership(manager, other_store)


def test_only_an_hq_admin_above_a_unit_moves_or_deletes_it():
    hq = user((HQ, "hq_admin"))
    assert org_rules.can_move_orgunit(hq, unit(NORTH))
    assert not org_rules.can_move_orgunit(hq, unit(HQ))
    assert not org_rules.can_move_orgunit(user((HQ, "regional_manager")), unit(STORE_A))
    assert org_rules.can_delete_orgunit(hq, unit(STORE_A))


def test_model_level_checks_answer_whether_any_object_could_qualify():
    assert org_rules.can_view_orgunit(user((STORE_A, "unit_editor")), None)
    assert not org_rules.can_view_orgunit(user(), None)
    assert org_rules.can_add_child_orgunit(user((NORTH, "regional_manager")), None)
    assert not org_rules.can_add_child_orgunit(user((STORE_A, "unit_manager")), None)
    assert org_rules.can_access_admin(user((STORE_A, "unit_editor")))
    assert not org_rules.can_access_admin(user())


def test_superuser_may_do_everything_without_memberships():
    root = user(superuser=True)
    assert org_rules.can_move_orgunit(root, unit(NORTH))
    assert org_rules.grantable_roles(root, unit(STORE_A))[0] == "hq_admin"


def test_scope_prefixes_are_minimal_and_filter_by_role():
    scope = Scope(
        grants=(
            Grant(NORTH, "regional_manager", 0),
            Grant(STORE_A, "unit_manager", 0),
            Grant(STORE_C, "unit_editor", 0),
        )
    )
    assert scope.prefixes() == [NORTH, STORE_C]
    assert scope.prefixes(roles=("unit_manager",)) == [STORE_A]


def test_anonymous_and_inactive_users_have_an_empty_scope():
    anonymous = SimpleNamespace(is_authenticated=False, is_active=True)
    inactive = SimpleNamespace(is_authenticated=True, is_active=False)
    assert get_scope(anonymous).grants == ()
    assert get_scope(inactive).grants == ()
    assert get_scope(None).q().children == [("pk__in", [])]


def test_a_grant_never_hands_out_what_the_granter_cannot_do():
    """Issue 9, break 4: a regional manager may not change their region's profile, so may not
    make someone unit manager of the region (who could); on a store they may."""
    regional = user((NORTH, "regional_manager"))
    assert not org_rules.can_grant_role(regional, (unit(NORTH), "unit_manager"))
    assert org_rules.can_grant_role(regional, (unit(NORTH), "unit_editor"))
    assert org_rules.can_grant_role(regional, (unit(STORE_A), "unit_manager"))
    assert not org_rules.can_grant_role(regional, (unit(STORE_C), "unit_editor"))
    assert org_rules.grantable_roles(regional, unit(NORTH)) == ["unit_editor"]


def test_grant_rule_follows_a_sites_override_of_the_rules(monkeypatch):
    """Computed from the rules themselves: if unit managers lose the profile, the regional
    manager may appoint one on the region again."""
    import rules

    regional = user((NORTH, "regional_manager"))
    assert not org_rules.can_grant_role(regional, (unit(NORTH), "unit_manager"))
    rules.set_perm("wagtail_distmark.change_orgunit", org_rules.can_change_orgunit_structure)
    try:
        assert org_rules.can_grant_role(regional, (unit(NORTH), "unit_manager"))
    finally:
        rules.set_perm("wagtail_distmark.change_orgunit", org_rules.can_change_orgunit)


def test_removing_a_role_needs_the_right_to_grant_it():
    regional = user((NORTH, "regional_manager"))
    on_region = SimpleNamespace(role="unit_manager", unit=unit(NORTH))
    on_store = SimpleNamespace(role="unit_manager", unit=unit(STORE_A))
    assert not org_rules.can_remove_membership(regional, on_region)
    assert org_rules.can_remove_membership(regional, on_store)


def test_unknown_role_is_never_grantable():
    assert not org_rules.can_grant_role(user((HQ, "hq_admin")), (unit(STORE_A), "owner"))
