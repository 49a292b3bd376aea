"""Bulk actions of the contacts listing: tag, unsubscribe, erase. Every id is re-checked
against the user's contacts: one id out of scope (or crafted) refuses the request, nothing
changes; the action's rule is asked per contact."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.contacts.conftest import make_contact
from wagtail_distmark.contacts import bulk_actions, erasure
from wagtail_distmark.contacts.consent import SUBSCRIBED, current_status, set_consent
from wagtail_distmark.contacts.links import link
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.models import (
    CommunicationType,
    ConsentEvent,
    Contact,
    ContactTag,
    Suppression,
    Tag,
)
from wagtail_distmark.rules.contacts import erasable_ids

pytestmark = pytest.mark.django_db


def bulk_url(action, *ids, **params):
    url = reverse("wagtail_bulk_action", args=("wagtail_distmark", "contact", action))
    query = "&".join([*(f"id={pk}" for pk in ids), *(f"{k}={v}" for k, v in params.items())])
    return f"{url}?{query}"


def login(world, client_for, username):
    return client_for(world.net.users[username])


def tagged(world):
    return set(ContactTag.objects.values_list("contact__email", flat=True))


def test_manager_tags_contacts(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    alex = contact_world.people["a2"]
    response = client.get(bulk_url("add_tag", alex.pk))
    assert response.status_code == 200 and "alex@" in response.content.decode()
    response = client.post(bulk_url("add_tag", alex.pk), {"tag": contact_world.vip.pk})
    assert response.status_code == 302
    assert tagged(contact_world) == {"ann@example.org", "alex@example.org"}


@pytest.mark.parametrize(
    ("username", "own", "foreign"),
    [
        ("manager_a", "a2", "b1"),
        ("manager_a", "a2", "c1"),
        ("editor_a", "a2", "c1"),
        ("manager_c", "c2", "a1"),
        ("regional_north", "b2", "c1"),
    ],
)
def test_an_id_out_of_scope_refuses_the_whole_request(
    contact_world, client_for, username, own, foreign
):
    client = login(contact_world, client_for, username)
    own, target = contact_world.people[own], contact_world.people[foreign]
    before = tagged(contact_world)
    url = bulk_url("add_tag", own.pk, target.pk)
    get = client.get(url)
    assert get.status_code == 404
    assert target.email not in get.content.decode()
    assert client.post(url, {"tag": contact_world.vip.pk}).status_code == 404
    assert tagged(contact_world) == before
    url = bulk_url("unsubscribe", target.pk)
    data = {"communication": "all", "evidence": "x"}
    assert client.post(url, data).status_code == 404
    assert current_status(target, contact_world.newsletter) == "subscribed"
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("crafted", ["%C2%B2", "99999999999999999999", "abc", "%00", "0"])
def test_crafted_ids_are_404(contact_world, client_for, crafted):
    client = login(contact_world, client_for, "manager_a")
    for action in ("add_tag", "unsubscribe", "erase"):
        assert client.get(bulk_url(action, crafted)).status_code == 404


def test_editor_cannot_tag_since_they_do_not_see_tags(contact_world, client_for):
    client = login(contact_world, client_for, "editor_a")
    alex = contact_world.people["a2"]
    response = client.post(bulk_url("add_tag", alex.pk), {"tag": contact_world.vip.pk})
    assert response.status_code == 302
    assert tagged(contact_world) == {"ann@example.org"}


def test_select_all_acts_on_the_filtered_listing_only(contact_world, client_for):
    client = login(contact_world, client_for, "regional_north")
    Tag.objects.create(name="Lille")
    tag = Tag.objects.get(name="Lille")
    response = client.post(bulk_url("add_tag", "all", q="Lille"), {"tag": tag.pk})
    assert response.status_code == 302
    rows = set(ContactTag.objects.filter(tag=tag).values_list("contact__email", flat=True))
    assert rows == {"bea@example.org", "bob@example.org"}


def test_unsubscribe_from_one_type_with_evidence(contact_world, client_for):
    client = login(contact_world, client_for, "editor_a")
    ann, newsletter = contact_world.people["a1"], contact_world.newsletter
    url = bulk_url("unsubscribe", ann.pk)
    response = client.post(url, {"communication": newsletter.pk, "evidence": ""})
    assert response.status_code == 200  # evidence is required
    assert current_status(ann, newsletter) == "subscribed"
    response = client.post(url, {"communication": newsletter.pk, "evidence": "Phoned the store"})
    assert response.status_code == 302
    assert current_status(ann, newsletter) == "unsubscribed"
    event = ConsentEvent.objects.filter(contact=ann).first()
    assert event.evidence == "Phoned the store"
    assert event.set_by == contact_world.net.users["editor_a"]
    assert not Suppression.objects.exists()


def test_unsubscribe_from_everything_suppresses_the_address(contact_world, client_for):
    ann, newsletter = contact_world.people["a1"], contact_world.newsletter
    editor = login(contact_world, client_for, "editor_a")
    editor.post(bulk_url("unsubscribe", ann.pk), {"communication": "all", "evidence": "Asked"})
    assert current_status(ann, newsletter) == "subscribed"  # not the editor's decision
    manager = login(contact_world, client_for, "manager_a")
    response = manager.post(
        bulk_url("unsubscribe", ann.pk), {"communication": "all", "evidence": "Asked"}
    )
    assert response.status_code == 302
    assert current_status(ann, newsletter) == "unsubscribed"
    assert Suppression.objects.filter(email_hash=email_hash(ann.email)).exists()


@pytest.fixture
def erased(monkeypatch):
    """erase_contact is the export helper's; here it records whom it was asked to erase."""
    calls = []
    monkeypatch.setattr(erasure, "erase_contact", lambda contact, user: calls.append(contact.pk))
    return calls


def test_manager_erases_with_confirmation(contact_world, client_for, erased):
    ann = contact_world.people["a1"]
    client = login(contact_world, client_for, "manager_a")
    assert client.post(bulk_url("erase", ann.pk), {}).status_code == 200
    assert erased == []
    response = client.post(bulk_url("erase", ann.pk), {"confirm": "on"})
    assert response.status_code == 302
    assert erased == [ann.pk]


def test_editor_may_not_erase(contact_world, client_for, erased):
    ann = contact_world.people["a1"]
    client = login(contact_world, client_for, "editor_a")
    response = client.get(bulk_url("erase", ann.pk))
    assert "You may not do this" in response.content.decode()
    client.post(bulk_url("erase", ann.pk), {"confirm": "on"})
    assert erased == []


def test_erasing_another_stores_contact_is_404(contact_world, client_for, erased):
    chloe = contact_world.people["c1"]
    client = login(contact_world, client_for, "manager_a")
    assert client.post(bulk_url("erase", chloe.pk), {"confirm": "on"}).status_code == 404
    assert erased == []


def test_listing_offers_the_bulk_actions(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    content = client.get(reverse("distmark_contacts:index")).content.decode()
    assert "/admin/bulk/wagtail_distmark/contact/add_tag/" in content
    assert "/admin/bulk/wagtail_distmark/contact/erase/" in content
    assert "/admin/bulk/wagtail_distmark/contact/delete/" not in content


def test_per_unit_unsubscribe_touches_the_users_units_only(contact_world, client_for, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    events = CommunicationType.objects.create(name="Events", slug="events", scope="unit")
    ann, units = contact_world.people["a1"], contact_world.net.units
    link(ann, units["c"], Source.IMPORT)
    for key in ("a", "c"):
        set_consent(ann, events, SUBSCRIBED, source=Source.ADMIN, unit=units[key], evidence="x")
    client = login(contact_world, client_for, "manager_a")
    response = client.post(
        bulk_url("unsubscribe", ann.pk), {"communication": events.pk, "evidence": "Asked"}
    )
    assert response.status_code == 302
    assert current_status(ann, events, units["a"].pk) == "unsubscribed"
    assert current_status(ann, events, units["c"].pk) == "subscribed"


def test_select_all_refuses_more_rows_than_one_request_may_change(
    contact_world, client_for, monkeypatch
):
    monkeypatch.setattr(bulk_actions, "MAX_SELECT_ALL", 1)
    client = login(contact_world, client_for, "manager_a")
    response = client.post(bulk_url("add_tag", "all"), {"tag": contact_world.vip.pk})
    assert response.status_code == 400
    assert tagged(contact_world) == {"ann@example.org"}


def many_contacts(world, count):
    """``count`` contacts at Store A (one also at Store C, so "Everything" refuses it)."""
    units = world.net.units
    people = [
        make_contact(units["a"], f"p{count}-{n}@example.org", f"P{n}", "Many") for n in range(count)
    ]
    link(people[0], units["c"], Source.IMPORT)
    return [person.pk for person in people]


def queries_of(client, method, url, data=None):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302)
    return len(captured)


@pytest.mark.parametrize(
    ("method", "action", "data"),
    [
        ("get", "add_tag", None),
        ("post", "add_tag", "tag"),
        ("get", "unsubscribe", None),
        ("post", "unsubscribe", {"communication": "all", "evidence": ""}),  # form refused
        ("get", "erase", None),
        ("post", "erase", {"confirm": "on"}),
    ],
)
def test_bulk_queries_do_not_grow_with_the_selection(
    contact_world, client_for, erased, settings, method, action, data
):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    client = login(contact_world, client_for, "manager_a")
    data = {"tag": contact_world.vip.pk} if data == "tag" else data
    few, lots = many_contacts(contact_world, 5), many_contacts(contact_world, 50)
    client.get(bulk_url(action, *few))  # warm the session
    counts = [queries_of(client, method, bulk_url(action, *pks), data) for pks in (few, lots)]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("username", ["hq", "regional_north", "manager_a", "editor_a", "manager_c"])
def test_erasable_ids_agrees_with_the_erase_rule(contact_world, settings, username):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    units, people = contact_world.net.units, contact_world.people
    link(people["a1"], units["b"], Source.IMPORT)
    link(people["b1"], units["c"], Source.IMPORT)
    orphan = Contact.objects.create(email="nobody@example.org")
    user = contact_world.net.users[username]
    contacts = [*people.values(), orphan]
    expected = {c.pk for c in contacts if user.has_perm("wagtail_distmark.erase_contact", c)}
    assert erasable_ids(user, contacts) == expected


def test_unsubscribe_confirmation_names_who_everything_leaves_alone(
    contact_world, client_for, settings
):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    ann, alex = contact_world.people["a1"], contact_world.people["a2"]
    link(ann, contact_world.net.units["c"], Source.IMPORT)  # Store C is not manager_a's
    client = login(contact_world, client_for, "manager_a")
    page = client.get(bulk_url("unsubscribe", ann.pk, alex.pk)).content.decode()
    left_alone = page.split("Everything”, these contacts are left as they are")[1]
    assert "ann@example.org" in left_alone and "alex@example.org" not in left_alone
    url = bulk_url("unsubscribe", ann.pk, alex.pk)
    response = client.post(url, {"communication": "all", "evidence": "Asked"})
    said = [str(message).strip() for message in get_messages(response.wsgi_request)]
    assert said == ["1 contact unsubscribed. 1 contact skipped: you may not do this to them."]
    assert current_status(ann, contact_world.newsletter) == "subscribed"
    assert not Suppression.objects.filter(email_hash=email_hash(ann.email)).exists()
    assert Suppression.objects.filter(email_hash=email_hash(alex.email)).exists()


def test_unsubscribe_from_everything_lists_the_refused_when_the_form_is_refused(
    contact_world, client_for, settings
):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    ann = contact_world.people["a1"]
    link(ann, contact_world.net.units["c"], Source.IMPORT)
    client = login(contact_world, client_for, "manager_a")
    response = client.post(bulk_url("unsubscribe", ann.pk), {"communication": "all"})
    content = response.content.decode()
    assert "You may not do this to these contacts" in content and "ann@example.org" in content


def test_too_many_selected_is_a_translated_wagtail_page(contact_world, client_for, monkeypatch):
    monkeypatch.setattr(bulk_actions, "MAX_SELECT_ALL", 1)
    client = login(contact_world, client_for, "manager_a")
    for response in (
        client.get(bulk_url("add_tag", "all")),
        client.post(bulk_url("erase", "all"), {"confirm": "on"}),
    ):
        assert response.status_code == 400
        content = response.content.decode()
        assert "Narrow the selection" in content and "Go back" in content
        assert "w-header" in content  # Wagtail's admin page, not Django's bare 400
    assert tagged(contact_world) == {"ann@example.org"}
