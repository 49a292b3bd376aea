"""The collection rules and their queryset filter give the same answers, for every user,
collection and action; and the answers are the ones the product promises."""

import pytest
from wagtail.models import Collection

from wagtail_distmark.rules import library as access
from wagtail_distmark.rules.scope import get_scope

pytestmark = pytest.mark.django_db

RULES = {
    "choose": "wagtail_distmark.choose_from_collection",
    "add": "wagtail_distmark.add_to_collection",
    "change": "wagtail_distmark.change_in_collection",
}
USERS = ["hq", "regional_north", "manager_a", "editor_a", "manager_c", "outsider"]


def test_rule_and_queryset_agree_everywhere(net, library):
    collections = list(Collection.objects.all())
    for username in USERS:
        user = net.fresh(username)
        scope = get_scope(user)
        for action in access.ACTIONS:
            in_queryset = set(
                Collection.objects.filter(access.collections_q(scope, action)).values_list(
                    "pk", flat=True
                )
            )
            for collection in collections:
                expected = access.may(scope, action, collection)
                assert (collection.pk in in_queryset) == expected, (username, action, collection)
                rule = RULES[action]
                assert user.has_perm(rule, collection) == expected, (username, action, collection)


def names(user, action):
    scope = get_scope(user)
    return set(
        Collection.objects.filter(access.collections_q(scope, action)).values_list(
            "name", flat=True
        )
    )


def test_store_manager_chooses_brand_and_own_store_only(net, library):
    assert names(net.fresh("manager_a"), "choose") == {
        "Brand library", "Photos", "North imagery", "Store A (C-A)",
    }  # fmt: skip
    # Store C is in the South: the North-only collection and store A are not theirs.
    assert names(net.fresh("manager_c"), "choose") == {
        "Brand library", "Photos", "Store C (C-C)",
    }  # fmt: skip


def test_units_upload_only_into_their_own_collections(net, library):
    assert names(net.fresh("editor_a"), "add") == {"Store A (C-A)"}
    assert names(net.fresh("regional_north"), "add") == {
        "North (C-NORTH)", "Store A (C-A)", "Store B (C-B)",
    }  # fmt: skip
    assert names(net.fresh("editor_a"), "change") == set()  # own uploads only (ownership)
    assert names(net.fresh("manager_a"), "change") == {"Store A (C-A)"}
    assert "Photos" in names(net.fresh("hq"), "change")
    assert names(net.fresh("outsider"), "choose") == set()


def test_hq_admins_manage_every_collection_even_outside_the_library(net, library):
    press = Collection.get_first_root_node().add_child(name="Press kit")
    hq = get_scope(net.fresh("hq"))
    for action in access.ACTIONS:
        assert access.may(hq, action, press)
        assert Collection.objects.filter(access.collections_q(hq, action), pk=press.pk).exists()
    # Nobody else: not even the brand library's audience.
    for username in ("regional_north", "manager_a", "outsider"):
        scope = get_scope(net.fresh(username))
        assert not access.may(scope, "choose", press)
        assert "Press kit" not in names(net.fresh(username), "choose")
