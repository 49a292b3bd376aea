"""The Network admin, view by view: what each role sees, may do, and is refused.

Every permission test has its twin: the other store's user gets 404 and sees nothing.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.admin_html import breadcrumbs
from wagtail_distmark.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db

PREFIX = "distmark_network_modeladmin_"


def url(action, *args):
    return reverse(PREFIX + action, args=args)


def listed_names(response):
    html = response.content.decode()
    return [name for name in ("HQ", "North", "South", "Store A", "Store B", "Store C")
            if f">{name}</span>" in html]  # fmt: skip


# --- index -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("hq", ["HQ", "North", "South", "Store A", "Store B", "Store C"]),
        ("regional_north", ["North", "Store A", "Store B"]),
        ("manager_a", ["Store A"]),
        ("editor_a", ["Store A"]),
        ("manager_c", ["Store C"]),
    ],
)
def test_index_lists_exactly_the_units_in_scope(net, client_for, username, expected):
    response = client_for(net.users[username]).get(url("index"))
    assert response.status_code == 200
    assert listed_names(response) == expected


def test_index_is_searchable_and_filterable(net, client_for):
    client = client_for(net.users["hq"])
    assert listed_names(client.get(url("index"), {"q": "C-C"})) == ["Store C"]
    assert listed_names(client.get(url("index"), {"kind": "region"})) == ["North", "South"]
    within = client.get(url("index"), {"within": net.units["north"].pk})
    assert listed_names(within) == ["North", "Store A", "Store B"]
    assert breadcrumbs(within.content.decode())[-2:] == [  # the position in the network
        ("HQ", f"{url('index')}?within={net.units['hq'].pk}"),
        ("North", None),
    ]


def test_search_never_reaches_outside_the_scope(net, client_for):
    response = client_for(net.users["manager_a"]).get(url("index"), {"q": "C-C"})
    assert response.status_code == 200
    assert listed_names(response) == []
    within = client_for(net.users["manager_a"]).get(url("index"), {"within": net.units["c"].pk})
    assert listed_names(within) == []
    assert "Store C" not in within.content.decode()


def test_user_without_membership_cannot_enter_the_admin(net, client_for):
    response = client_for(net.users["outsider"]).get(url("index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_franchisee_menu_shows_network_but_no_settings_users_or_groups(net, client_for):
    html = client_for(net.users["manager_a"]).get(reverse("wagtailadmin_home")).content.decode()
    assert url("index") in html
    assert reverse("wagtailusers_users:index") not in html
    assert reverse("wagtailusers_groups:index") not in html
    assert '"name": "settings"' not in html
    hq_html = client_for(net.users["hq"]).get(reverse("wagtailadmin_home")).content.decode()
    assert url("index") in hq_html


# --- inspect ---------------------------------------------------------------------------


def test_inspect_shows_profile_members_sub_units_and_breadcrumbs(net, client_for):
    response = client_for(net.users["regional_north"]).get(url("inspect", net.units["north"].pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "regional_north" in html and "Regional manager" in html
    assert "Store A" in html and "Store B" in html  # sub-units
    assert ">HQ<" not in html  # the HQ is above the regional manager's scope: no breadcrumb
    store = client_for(net.users["manager_a"]).get(url("inspect", net.units["a"].pk))
    assert "+33 1 00 00 00 01" in store.content.decode()
    assert "editor_a" in store.content.decode()


def test_inspect_outside_scope_is_404_and_reveals_nothing(net, client_for):
    response = client_for(net.users["manager_c"]).get(url("inspect", net.units["a"].pk))
    assert response.status_code == 404
    assert "Store A" not in response.content.decode()
    assert client_for(net.users["manager_a"]).get(url("inspect", 999999)).status_code == 404


# --- edit ------------------------------------------------------------------------------


def profile_post(unit, **changes):
    data = {
        field: getattr(unit, field)
        for field in ("name", "kind", "code", "address_line_1", "address_line_2", "city",
                      "postal_code", "country", "phone", "email", "website", "opening_hours",
                      "sender_name", "sender_email", "reply_to", "locale", "timezone",
                      "currency")
    }  # fmt: skip
    return {**data, **changes}


def test_unit_manager_edits_local_fields_and_cannot_touch_code_or_name(net, client_for):
    store = net.units["a"]
    client = client_for(net.users["manager_a"])
    form_page = client.get(url("edit", store.pk)).content.decode()
    assert 'name="phone"' in form_page and 'name="code"' not in form_page
    response = client.post(
        url("edit", store.pk),
        profile_post(store, phone="+33 4 11 22 33 44", code="HACKED", name="Hacked", kind="region"),
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.phone == "+33 4 11 22 33 44"
    assert (store.code, store.name, store.kind) == ("C-A", "Store A", "unit")


def test_edit_by_the_other_store_is_404_and_changes_nothing(net, client_for):
    store = net.units["a"]
    client = client_for(net.users["manager_c"])
    assert client.get(url("edit", store.pk)).status_code == 404
    assert client.post(url("edit", store.pk), profile_post(store, phone="x")).status_code == 404
    store.refresh_from_db()
    assert store.phone == "+33 1 00 00 00 01"


def test_editor_is_refused_with_403_and_a_message(net, client_for):
    response = client_for(net.users["editor_a"]).get(url("edit", net.units["a"].pk))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Permission denied" in html and "You may not change this unit&#x27;s profile." in html


def test_regional_manager_edits_stores_but_not_the_region(net, client_for):
    client = client_for(net.users["regional_north"])
    store = net.units["b"]
    response = client.post(url("edit", store.pk), profile_post(store, code="NEW-B", city="Lille"))
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.code, store.city) == ("NEW-B", "Lille")
    assert client.get(url("edit", net.units["north"].pk)).status_code == 403


def test_bad_input_is_a_form_error_and_nothing_is_saved(net, client_for):
    store = net.units["b"]
    client = client_for(net.users["hq"])
    response = client.post(
        url("edit", store.pk), profile_post(store, code="C-A", timezone="Mars/Olympus")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This code is not available." in html
    assert "Select a valid choice" in html
    store.refresh_from_db()
    assert store.code == "C-B" and store.timezone == "UTC"


# --- create ----------------------------------------------------------------------------


def new_unit_post(parent, code="C-NEW", **changes):
    return {"parent": parent.pk, "name": "Store New", "kind": "unit", "code": code,
            "locale": "fr", "timezone": "Europe/Paris", **changes}  # fmt: skip


def test_regional_manager_creates_a_store_in_their_region(net, client_for):
    north = net.units["north"]
    client = client_for(net.users["regional_north"])
    assert client.get(url("create"), {"parent": north.pk}).status_code == 200
    response = client.post(url("create") + f"?parent={north.pk}", new_unit_post(north))
    assert response.status_code == 302
    created = OrgUnit.objects.get(code="C-NEW")
    assert created.get_parent() == north
    assert ModelLogEntry.objects.filter(object_id=str(created.pk), action="wagtail.create")


def test_create_form_preselects_the_only_possible_parent(net, client_for):
    html = client_for(net.users["regional_north"]).get(url("create")).content.decode()
    assert f'<option value="{net.units["north"].pk}" selected>' in html
    assert "(C-SOUTH)" not in html and "(C-NORTH)" in html


def test_create_under_another_region_is_refused_and_creates_nothing(net, client_for):
    south = net.units["south"]
    client = client_for(net.users["regional_north"])
    assert client.get(url("create"), {"parent": south.pk}).status_code == 404
    response = client.post(url("create"), new_unit_post(south))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not OrgUnit.objects.filter(code="C-NEW").exists()


def test_create_racing_another_request_keeps_the_input_and_explains(net, client_for, monkeypatch):
    def collide(self, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(OrgUnit, "add_child", collide)
    north = net.units["north"]
    response = client_for(net.users["hq"]).post(url("create"), new_unit_post(north))
    html = response.content.decode()
    assert response.status_code == 200
    assert "The network changed while you were saving this unit." in html
    assert 'value="Store New"' in html
    assert not OrgUnit.objects.filter(code="C-NEW").exists()


def test_bad_locale_is_refused_with_a_clear_error(net, client_for):
    north = net.units["north"]
    response = client_for(net.users["hq"]).post(
        url("create"), new_unit_post(north, locale="French!")
    )
    assert "Enter a language tag such as" in response.content.decode()
    assert not OrgUnit.objects.filter(code="C-NEW").exists()


def test_unit_manager_cannot_create_units(net, client_for):
    client = client_for(net.users["manager_a"])
    assert client.get(url("create"), {"parent": net.units["a"].pk}).status_code == 403
    assert client.post(url("create"), new_unit_post(net.units["a"])).status_code == 403
    assert not OrgUnit.objects.filter(code="C-NEW").exists()


# --- move ------------------------------------------------------------------------------


def test_hq_moves_a_store_to_another_region_and_it_is_logged(net, client_for):
    store = net.units["a"]
    client = client_for(net.users["hq"])
    assert client.get(url("move", store.pk)).status_code == 200
    response = client.post(url("move", store.pk), {"target": net.units["south"].pk})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.get_parent() == net.units["south"]
    assert ModelLogEntry.objects.filter(action="wagtail_distmark.move_unit").count() == 1
    # The store's manager now sees it under South, and the North manager no longer does.
    assert listed_names(client_for(net.fresh("regional_north")).get(url("index"))) == [
        "North",
        "Store B",
    ]


def test_move_into_its_own_subtree_is_refused(net, client_for):
    north = net.units["north"]
    response = client_for(net.users["hq"]).post(
        url("move", north.pk), {"target": net.units["a"].pk}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    north.refresh_from_db()
    assert north.get_parent() == net.units["hq"]


@pytest.mark.parametrize(("username", "status"), [("regional_north", 403), ("manager_c", 404)])
def test_only_hq_moves_units(net, client_for, username, status):
    store = net.units["a"]
    client = client_for(net.users[username])
    assert client.get(url("move", store.pk)).status_code == status
    assert client.post(url("move", store.pk), {"target": net.units["south"].pk}).status_code == (
        status
    )
    store.refresh_from_db()
    assert store.get_parent() == net.units["north"]


# --- delete ----------------------------------------------------------------------------


def test_hq_deletes_an_empty_store_but_not_a_region_with_stores(net, client_for):
    client = client_for(net.users["hq"])
    refused = client.post(url("delete", net.units["south"].pk))
    assert refused.status_code == 302
    assert OrgUnit.objects.filter(pk=net.units["south"].pk).exists()
    page = client.get(url("delete", net.units["south"].pk), follow=True)
    assert "still has 1 sub-unit(s)" in page.content.decode()
    assert client.post(url("delete", net.units["b"].pk)).status_code == 302
    assert not OrgUnit.objects.filter(pk=net.units["b"].pk).exists()


@pytest.mark.parametrize(("username", "status"), [("regional_north", 403), ("manager_c", 404)])
def test_delete_refused_below_hq(net, client_for, username, status):
    client = client_for(net.users[username])
    response = client.post(url("delete", net.units["b"].pk))
    assert response.status_code == status
    if status == 403:
        assert "Only an HQ admin above this unit may delete it." in response.content.decode()
    else:
        assert "Store B" not in response.content.decode()
    assert OrgUnit.objects.filter(pk=net.units["b"].pk).exists()


# --- members ---------------------------------------------------------------------------


def test_unit_manager_adds_an_existing_user_as_editor(net, client_for):
    client = client_for(net.users["manager_a"])
    page = client.get(url("add_member", net.units["a"].pk)).content.decode()
    assert 'value="unit_editor"' in page and 'value="unit_manager"' not in page
    response = client.post(
        url("add_member", net.units["a"].pk),
        {"role": "unit_editor", "existing_user": "outsider@example.com"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=net.users["outsider"]).unit == net.units["a"]
    assert ModelLogEntry.objects.filter(action="wagtail_distmark.add_member").exists()


def test_unit_manager_cannot_grant_their_own_role(net, client_for):
    response = client_for(net.users["manager_a"]).post(
        url("add_member", net.units["a"].pk),
        {"role": "unit_manager", "existing_user": "outsider"},
    )
    assert response.status_code == 200
    assert "You may not make anyone Unit manager of Store A" in response.content.decode()
    assert not Membership.objects.filter(user=net.users["outsider"]).exists()


def test_regional_manager_creates_a_new_user_for_a_store(net, client_for):
    response = client_for(net.users["regional_north"]).post(
        url("add_member", net.units["b"].pk),
        {"role": "unit_manager", "username": "newbie", "email": "newbie@example.com",
         "first_name": "New", "last_name": "Bie", "password": "a-Long-enough-pass-42"},
    )  # fmt: skip
    assert response.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    assert newbie.check_password("a-Long-enough-pass-42")
    assert not newbie.groups.exists()  # never through Wagtail's groups
    assert newbie.has_perm("wagtail_distmark.change_orgunit", net.units["b"])
    assert newbie.has_perm("wagtailadmin.access_admin")


def test_add_member_errors_are_clear_and_save_nothing(net, client_for):
    client = client_for(net.users["manager_a"])
    target = url("add_member", net.units["a"].pk)
    cases = [
        ({"role": "unit_editor"}, "Name an existing user or fill in a new user."),
        ({"role": "unit_editor", "existing_user": "nobody"}, "No user you may add here has this"),
        ({"role": "unit_editor", "existing_user": "editor_a"}, "already has a role on Store A"),
        ({"role": "unit_editor", "username": "x2"}, "This field is required for a new user."),
        ({"role": "unit_editor", "username": "hq", "email": "a@b.c", "password": "Zq9!long-pw"},
         "This username is not available; choose another."),
        ({"role": "unit_editor", "username": "x3", "email": "x3@b.c", "password": "123"},
         "This password is too short."),
    ]  # fmt: skip
    before = Membership.objects.count()
    for data, message in cases:
        response = client.post(target, data)
        assert response.status_code == 200, data
        assert message in response.content.decode(), message
    assert Membership.objects.count() == before
    assert not get_user_model().objects.filter(username__in=["x2", "x3"]).exists()


@pytest.mark.parametrize(("username", "status"), [("editor_a", 403), ("manager_c", 404)])
def test_add_member_refused(net, client_for, username, status):
    client = client_for(net.users[username])
    target = url("add_member", net.units["a"].pk)
    assert client.get(target).status_code == status
    data = {"role": "unit_editor", "existing_user": "outsider"}
    assert client.post(target, data).status_code == status
    assert not Membership.objects.filter(user=net.users["outsider"]).exists()


def test_unit_manager_removes_their_editor(net, client_for):
    membership = Membership.objects.get(user=net.users["editor_a"])
    client = client_for(net.users["manager_a"])
    target = url("remove_member", net.units["a"].pk, membership.pk)
    assert "Yes, remove" in client.get(target).content.decode()
    assert client.post(target).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert ModelLogEntry.objects.filter(action="wagtail_distmark.remove_member").exists()


def test_removing_a_peer_or_another_store_member_is_refused(net, client_for):
    own = Membership.objects.get(user=net.users["manager_a"])
    other = Membership.objects.get(user=net.users["manager_c"])
    client = client_for(net.users["manager_a"])
    assert client.post(url("remove_member", net.units["a"].pk, own.pk)).status_code == 403
    assert client.post(url("remove_member", net.units["c"].pk, other.pk)).status_code == 404
    # A membership id paired with the wrong unit is not found either.
    assert client.post(url("remove_member", net.units["a"].pk, other.pk)).status_code == 404
    assert Membership.objects.filter(pk__in=[own.pk, other.pk]).count() == 2


# --- history and malformed URLs --------------------------------------------------------


def test_history_shows_the_units_audit_trail_to_its_members_only(net, client_for):
    store = net.units["a"]
    client_for(net.users["manager_a"]).post(
        url("edit", store.pk), profile_post(store, phone="+33 4 99 99 99 99")
    )
    response = client_for(net.users["manager_a"]).get(url("history", store.pk))
    assert response.status_code == 200
    rows = response.content.decode().split("<tbody>")[1]
    assert "Edited" in rows and "manager_a" in rows
    other = client_for(net.users["manager_c"]).get(url("history", store.pk))
    assert other.status_code == 404
    assert "Store A" not in other.content.decode()


@pytest.mark.parametrize("action", ["inspect", "edit", "delete", "history"])
def test_malformed_unit_id_is_404_not_500(net, client_for, action):
    client = client_for(net.users["hq"])
    assert client.get(f"/admin/distmark/network/{action}/not-a-number/").status_code == 404


def test_site_history_report_does_not_leak_other_units_changes(net, client_for):
    store_c = net.units["c"]
    hq = Client()
    hq.force_login(net.users["hq"])
    hq.post(url("edit", store_c.pk), profile_post(store_c, city="Nice"))
    assert ModelLogEntry.objects.filter(object_id=str(store_c.pk)).exists()
    response = client_for(net.users["manager_a"]).get(reverse("wagtailadmin_reports:site_history"))
    assert response.status_code == 200
    assert "Store C" not in response.content.decode()


def test_subtree_filter_offers_two_levels_and_deeper_ones_still_work(net, client_for):
    net.unit("district", "north", "District", kind="region")
    net.unit("zone", "district", "Zone", kind="region")
    net.unit("d", "zone", "Store D")
    client = client_for(net.users["hq"])
    page = client.get(url("index")).content.decode()
    assert "— — District" in page  # two levels below HQ
    assert "Zone</a>" not in page  # three levels below: reached from breadcrumbs instead
    deep = client.get(url("index"), {"within": net.units["zone"].pk})
    assert listed_names(deep) == []  # neither HQ nor the regions of the small network
    assert ">Store D</span>" in deep.content.decode()
    regional = client_for(net.fresh("regional_north")).get(url("index")).content.decode()
    assert "— — Zone" in regional  # two levels below the regional manager's own region
