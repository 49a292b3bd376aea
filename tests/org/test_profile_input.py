"""The unit profile form (issue 9): sender addresses are HQ's and the region's to choose and
each unit's own; an edit that leaves fields out is refused instead of emptying them; the
opening hours have a length limit; codes are unique whatever their case, with one message
that confirms nothing about units out of scope."""

import pytest

from tests.org.test_unit_profile import profile_post, url
from wagtail_distmark.models import OrgUnit
from wagtail_distmark.org.forms import TEXT_MAX_LENGTH

pytestmark = pytest.mark.django_db

LOCAL = {"phone": "+33 1 02 03 04 05", "website": "https://a.brand.example/",
         "opening_hours": "Mon–Sat 10–19", "sender_name": "Claire — Store A",
         "sender_email": "store-a@brand.example", "reply_to": "claire@brand.example"}  # fmt: skip
NOT_AVAILABLE = "This code is not available."
MISSING = "This field was missing from the form"


@pytest.fixture
def brand_domains(settings):
    settings.DEFAULT_FROM_EMAIL = "Brand <news@brand.example>"
    settings.WAGTAIL_DISTMARK_SENDER_DOMAINS = ["brand.example"]


@pytest.fixture
def store_a(net, brand_domains):
    """Store A with all six locally edited fields filled in; Store B and HQ have senders."""
    OrgUnit.objects.filter(pk=net.units["a"].pk).update(**LOCAL)
    OrgUnit.objects.filter(pk=net.units["b"].pk).update(sender_email="store-b@brand.example")
    OrgUnit.objects.filter(pk=net.units["hq"].pk).update(sender_email="ceo@brand.example")
    return OrgUnit.objects.get(pk=net.units["a"].pk)


def saved(unit) -> dict:
    unit.refresh_from_db()
    return {name: getattr(unit, name) for name in LOCAL}


# --- the sender address ----------------------------------------------------------------


def test_unit_manager_cannot_set_the_sender_address(net, client_for, store_a):
    client = client_for(net.users["manager_a"])
    assert 'name="sender_email"' not in client.get(url("edit", store_a.pk)).content.decode()
    client.post(url("edit", store_a.pk), profile_post(store_a, sender_email="ceo@brand.example"))
    assert saved(store_a)["sender_email"] == "store-a@brand.example"
    assert "sender_email" not in OrgUnit.LOCALLY_EDITABLE_FIELDS


def test_unit_manager_still_sets_sender_name_and_reply_to(net, client_for, store_a):
    response = client_for(net.users["manager_a"]).post(
        url("edit", store_a.pk),
        profile_post(store_a, sender_name="Claire", reply_to="c@brand.example"),
    )
    assert response.status_code == 302
    assert saved(store_a)["sender_name"] == "Claire"
    assert saved(store_a)["reply_to"] == "c@brand.example"


@pytest.mark.parametrize("taken", ["store-b@brand.example", "CEO@Brand.Example"])
def test_a_unit_may_not_take_another_units_sender_address(net, client_for, store_a, taken):
    response = client_for(net.users["regional_north"]).post(
        url("edit", store_a.pk), profile_post(store_a, sender_email=taken)
    )
    assert response.status_code == 200
    assert "This sender address is not available" in response.content.decode()
    assert saved(store_a)["sender_email"] == "store-a@brand.example"


def test_a_regional_manager_sets_a_free_sender_address(net, client_for, store_a):
    response = client_for(net.users["regional_north"]).post(
        url("edit", store_a.pk), profile_post(store_a, sender_email="Store-A2@brand.example")
    )
    assert response.status_code == 302
    assert saved(store_a)["sender_email"] == "Store-A2@brand.example"


# --- omitted fields --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"phone": "+1"}', "application/json"),
        (b"phone=%2B1&website=\xff\xfe", "application/x-www-form-urlencoded"),
        ("phone=%2B1", "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
    ],
)
def test_an_edit_leaving_fields_out_is_refused(net, client_for, store_a, body, content_type):
    response = client_for(net.users["manager_a"]).generic(
        "POST", url("edit", store_a.pk), body, content_type=content_type
    )
    assert response.status_code == 200
    assert MISSING in response.content.decode()
    assert saved(store_a) == LOCAL


def test_hq_leaving_one_field_out_is_refused(net, client_for, store_a):
    data = profile_post(store_a, city="Lille")
    del data["opening_hours"]
    response = client_for(net.users["hq"]).post(url("edit", store_a.pk), data)
    assert response.status_code == 200
    assert MISSING in response.content.decode()
    store_a.refresh_from_db()
    assert store_a.city == "" and store_a.opening_hours == LOCAL["opening_hours"]


def test_a_complete_edit_still_saves_and_may_empty_fields(net, client_for, store_a):
    response = client_for(net.users["manager_a"]).post(
        url("edit", store_a.pk), profile_post(store_a, phone="", opening_hours="Closed")
    )
    assert response.status_code == 302
    assert saved(store_a)["phone"] == "" and saved(store_a)["opening_hours"] == "Closed"


# --- length of the opening hours -------------------------------------------------------


@pytest.mark.parametrize("length", [TEXT_MAX_LENGTH + 1, 2_000_000])
def test_overlong_opening_hours_are_refused(net, client_for, store_a, length):
    response = client_for(net.users["manager_a"]).post(
        url("edit", store_a.pk), profile_post(store_a, opening_hours="x" * length)
    )
    assert response.status_code == 200
    assert f"at most {TEXT_MAX_LENGTH} characters" in response.content.decode()
    assert saved(store_a)["opening_hours"] == LOCAL["opening_hours"]


def test_opening_hours_up_to_the_limit_are_saved(net, client_for, store_a):
    hours = "x" * TEXT_MAX_LENGTH
    response = client_for(net.users["manager_a"]).post(
        url("edit", store_a.pk), profile_post(store_a, opening_hours=hours)
    )
    assert response.status_code == 302
    assert saved(store_a)["opening_hours"] == hours


# --- codes -----------------------------------------------------------------------------


def new_unit_post(parent, code):
    return {"parent": parent.pk, "name": "Store New", "kind": "unit", "code": code,
            "locale": "fr", "timezone": "Europe/Paris"}  # fmt: skip


@pytest.mark.parametrize("code", ["C-C", "c-c", "C-NORTH", "c-a"])
def test_a_taken_code_in_any_case_is_not_available(net, client_for, code):
    north = net.units["north"]
    response = client_for(net.users["regional_north"]).post(
        url("create"), new_unit_post(north, code)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert NOT_AVAILABLE in html and "already exists" not in html
    assert not OrgUnit.objects.filter(name="Store New").exists()


def test_a_free_code_creates_the_unit(net, client_for):
    north = net.units["north"]
    response = client_for(net.users["regional_north"]).post(
        url("create"), new_unit_post(north, "C-NEW")
    )
    assert response.status_code == 302
    assert OrgUnit.objects.get(code="C-NEW").get_parent() == north


def test_changing_the_case_of_a_units_own_code_is_allowed(net, client_for):
    store = net.units["b"]
    client = client_for(net.users["hq"])
    assert client.post(url("edit", store.pk), profile_post(store, code="c-b")).status_code == 302
    response = client.post(url("edit", store.pk), profile_post(store, code="C-a"))
    assert NOT_AVAILABLE in response.content.decode()
    store.refresh_from_db()
    assert store.code == "c-b"
