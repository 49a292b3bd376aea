"""filtered_contacts: the listing's (and the export's) rows, searched, filtered and sorted
only by fields the user sees, from bounded parameters."""

import datetime

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from wagtail_distmark.contacts import filtering
from wagtail_distmark.contacts.consent import SUBSCRIBED, set_consent
from wagtail_distmark.contacts.filtering import (
    MAX_PARAM_LENGTH,
    bounded_params,
    contact_label,
    filtered_contacts,
    sort_keys,
)
from wagtail_distmark.contacts.links import link
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.models import CommunicationType, Contact

pytestmark = pytest.mark.django_db


def emails(user, params=None):
    return [contact.email for contact in filtered_contacts(user, params or {})]


def users(world):
    return world.net.users


def test_rows_are_the_scope_newest_first(contact_world):
    manager_a = users(contact_world)["manager_a"]
    assert emails(manager_a) == ["alex@example.org", "ann@example.org"]
    assert sorted(emails(users(contact_world)["regional_north"])) == [
        "alex@example.org", "ann@example.org", "bea@example.org", "bob@example.org"]  # fmt: skip
    assert emails(users(contact_world)["outsider"]) == []


def test_erased_contacts_are_left_out(contact_world):
    Contact.objects.filter(pk=contact_world.people["a1"].pk).update(erased_at=timezone.now())
    assert emails(users(contact_world)["manager_a"]) == ["alex@example.org"]


def test_search_looks_in_visible_fields_only(contact_world):
    manager, editor = users(contact_world)["manager_a"], users(contact_world)["editor_a"]
    assert emails(manager, {"q": "612345678"}) == ["ann@example.org"]
    assert emails(editor, {"q": "612345678"}) == []
    assert emails(editor, {"q": "75001"}) == []
    assert emails(editor, {"q": "archer"}) == ["ann@example.org"]
    assert emails(manager, {"q": "chloe"}) == []


def test_sorting_by_a_hidden_field_is_ignored(contact_world):
    manager, editor = users(contact_world)["manager_a"], users(contact_world)["editor_a"]
    assert "phone" in sort_keys(manager) and "phone" not in sort_keys(editor)
    assert "birth_date" not in sort_keys(editor)
    assert emails(manager, {"ordering": "phone"}) == ["ann@example.org", "alex@example.org"]
    assert emails(editor, {"ordering": "phone"}) == emails(editor)
    assert emails(editor, {"ordering": "email"}) == ["alex@example.org", "ann@example.org"]


def test_unit_filter_accepts_units_in_scope_only(contact_world):
    regional, units = users(contact_world)["regional_north"], contact_world.net.units
    assert sorted(emails(regional, {"unit": str(units["b"].pk)})) == [
        "bea@example.org", "bob@example.org"]  # fmt: skip
    # Store C is outside the scope: the filter is not valid and selects nothing (ignoring it
    # would widen a "select all" or an export to the whole scope).
    assert emails(regional, {"unit": str(units["c"].pk)}) == []


def test_consent_filter(contact_world):
    manager, newsletter = users(contact_world)["manager_a"], contact_world.newsletter
    assert emails(manager, {"consent": f"{newsletter.pk}-subscribed"}) == ["ann@example.org"]
    assert emails(manager, {"consent": f"{newsletter.pk}-unsubscribed"}) == ["alex@example.org"]


def test_per_unit_consent_counts_the_users_units_only(contact_world, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    events = CommunicationType.objects.create(name="Events", slug="events", scope="unit")
    ann, units = contact_world.people["a1"], contact_world.net.units
    link(ann, units["c"], Source.IMPORT)
    set_consent(ann, events, SUBSCRIBED, source=Source.ADMIN, unit=units["c"], evidence="x")
    query = {"consent": f"{events.pk}-subscribed"}
    assert emails(users(contact_world)["manager_a"], query) == []
    assert emails(users(contact_world)["manager_c"], query) == ["ann@example.org"]


def test_tag_filter_only_for_users_who_see_tags(contact_world):
    vip = str(contact_world.vip.pk)
    assert emails(users(contact_world)["manager_a"], {"tag": vip}) == ["ann@example.org"]
    assert len(emails(users(contact_world)["editor_a"], {"tag": vip})) == 2  # no such filter


def test_date_ranges(contact_world):
    ann, alex = contact_world.people["a1"], contact_world.people["a2"]
    old = timezone.make_aware(datetime.datetime(2020, 5, 1, 12))
    Contact.objects.filter(pk=ann.pk).update(created_at=old, last_activity_at=old)
    manager = users(contact_world)["manager_a"]
    assert emails(manager, {"created_to": "2020-12-31"}) == ["ann@example.org"]
    assert emails(manager, {"created_from": "2021-01-01"}) == [alex.email]
    assert emails(manager, {"last_activity_from": "2020-05-01",
                            "last_activity_to": "2020-05-01"}) == [ann.email]  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        {"unit": "99999999999999999999"},
        {"unit": "²"},
        {"consent": "²-subscribed"},
        {"consent": "1-" + "x" * 5000},
        {"tag": "99999999999999999999"},
        {"q": "\x00ann"},
        {"created_from": "0000-00-00"},
        {"ordering": "-" + "x" * 10000},
        {"ordering": "links__unit__name"},
    ],
)
def test_crafted_parameters_are_ignored_not_500(contact_world, params):
    manager = users(contact_world)["manager_a"]
    rows = emails(manager, params)
    assert set(rows) <= {"ann@example.org", "alex@example.org"}


def test_parameters_are_bounded():
    params = bounded_params(
        {"q": "a\x00" * 1000, "x" * 100: "y", "tag": [str(i) for i in range(50)]}
    )
    assert len(params["q"]) == MAX_PARAM_LENGTH and "\x00" not in params["q"]
    assert "x" * 100 not in params
    assert len(params.getlist("tag")) <= 10
    assert bounded_params(QueryDict("q=ann&q=bob")).getlist("q") == ["ann", "bob"]


def test_label_shows_visible_fields_only(contact_world, settings):
    ann = contact_world.people["a1"]
    assert contact_label(ann, users(contact_world)["manager_a"]) == "Ann Archer <ann@example.org>"
    settings.WAGTAIL_DISTMARK_CONTACT_FIELD_VISIBILITY = {"unit_editor": ["first_name"]}
    editor = contact_world.net.fresh("editor_a")
    assert contact_label(ann, editor) == "Ann"


def test_a_given_filterset_is_used_and_gives_the_same_rows(contact_world):
    manager_a = users(contact_world)["manager_a"]
    params = {"tag": str(contact_world.vip.pk)}
    filterset = filtering.ContactFilterSet(bounded_params(params), user=manager_a)
    rows = filtered_contacts(manager_a, params, filterset=filterset)
    assert [contact.email for contact in rows] == emails(manager_a, params) == ["ann@example.org"]


def test_the_listing_builds_its_filterset_once(contact_world, client_for, monkeypatch):
    """The unit, type and tag choices are queried once a request (the filterset the listing
    displays also filters its rows)."""
    calls = []
    for name in ("unit_choices", "consent_choices", "tag_choices"):
        original = getattr(filtering, name)
        monkeypatch.setattr(
            filtering, name, lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a)
        )
    client = client_for(users(contact_world)["manager_a"])
    response = client.get(reverse("distmark_contacts:index"), {"tag": contact_world.vip.pk})
    assert response.status_code == 200
    content = response.content.decode()
    assert "ann@example.org" in content and "alex@example.org" not in content
    assert sorted(calls) == ["consent_choices", "tag_choices", "unit_choices"]
