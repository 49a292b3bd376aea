"""HQ's contact set-up screens: HQ uses them; everyone else gets a 403 and no menu item."""

import re

import pytest
from django.urls import reverse

from wagtail_distmark.contacts.audiences import recipients
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.models import (
    Audience,
    CommunicationType,
    ContactAttribute,
    ContactFieldPolicy,
    Suppression,
    Tag,
)
from wagtail_distmark.rules.contacts import visible_fields

pytestmark = pytest.mark.django_db

SETUP = {
    "distmark_communication_types": CommunicationType,
    "distmark_contact_tags": Tag,
    "distmark_contact_attributes": ContactAttribute,
    "distmark_contact_field_visibility": ContactFieldPolicy,
    "distmark_suppression": Suppression,
}
NON_HQ = ("regional_north", "manager_a", "editor_a", "manager_c", "outsider")


def url(viewset, view="index", *args):
    return reverse(f"{viewset}:{view}", args=args)


@pytest.mark.parametrize("viewset", SETUP)
def test_hq_opens_every_setup_screen(contact_world, client_for, viewset):
    client = client_for(contact_world.net.users["hq"])
    assert client.get(url(viewset)).status_code == 200
    assert client.get(url(viewset, "add")).status_code == 200


@pytest.mark.parametrize("username", NON_HQ)
@pytest.mark.parametrize("viewset", SETUP)
def test_others_get_403_on_every_setup_url(contact_world, client_for, viewset, username):
    client = client_for(contact_world.net.users[username])
    for view in ("index", "add"):
        response = client.get(url(viewset, view))
        assert response.status_code in (403, 302), (view, response.status_code)
        if username != "outsider":  # the outsider is sent to the login page
            assert response.status_code == 403
            assert "managed by head office" in response.content.decode()


def test_others_cannot_post_to_setup_screens(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    tag = contact_world.vip
    response = client.post(url("distmark_contact_tags", "add"), {"name": "Crafted"})
    assert response.status_code == 403
    response = client.post(url("distmark_contact_tags", "edit", tag.pk), {"name": "Renamed"})
    assert response.status_code == 403
    response = client.post(url("distmark_contact_tags", "delete", tag.pk))
    assert response.status_code == 403
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]


def test_menu_items_only_for_hq(contact_world, client_for):
    hq_page = client_for(contact_world.net.users["hq"]).get(reverse("wagtailadmin_home"))
    assert url("distmark_suppression") in hq_page.content.decode()
    manager_page = client_for(contact_world.net.users["manager_a"]).get(
        reverse("wagtailadmin_home")
    )
    assert url("distmark_suppression") not in manager_page.content.decode()
    assert url("distmark_communication_types") not in manager_page.content.decode()


def test_hq_adds_a_communication_type(contact_world, client_for):
    client = client_for(contact_world.net.users["hq"])
    response = client.post(
        url("distmark_communication_types", "add"),
        {"name": "Events", "slug": "events", "description": "Store events", "scope": "unit"},
    )
    assert response.status_code == 302
    events = CommunicationType.objects.get(slug="events")
    assert events.is_per_unit
    assert "Events" in client.get(url("distmark_communication_types")).content.decode()


def test_tag_names_are_unique_whatever_the_case(contact_world, client_for):
    client = client_for(contact_world.net.users["hq"])
    response = client.post(url("distmark_contact_tags", "add"), {"name": "vip"})
    assert response.status_code == 200
    assert "A tag with this name already exists." in response.content.decode()
    assert Tag.objects.count() == 1
    assert client.post(url("distmark_contact_tags", "add"), {"name": "Gold"}).status_code == 302
    assert Tag.objects.filter(name="Gold").exists()


def test_attribute_key_cannot_be_a_standard_field(contact_world, client_for):
    client = client_for(contact_world.net.users["hq"])
    add = url("distmark_contact_attributes", "add")
    response = client.post(add, {"key": "phone", "label": "Phone 2", "kind": "text"})
    assert response.status_code == 200
    assert "is a standard contact field" in response.content.decode()
    assert not ContactAttribute.objects.exists()
    response = client.post(add, {"key": "shoe_size", "label": "Shoe size", "kind": "number"})
    assert response.status_code == 302
    assert ContactAttribute.objects.get().key == "shoe_size"


def test_field_visibility_lists_every_role_with_its_default(contact_world, client_for):
    client = client_for(contact_world.net.users["hq"])
    page = client.get(url("distmark_contact_field_visibility")).content.decode()
    for role in ("HQ admin", "Regional manager", "Unit manager", "Unit editor"):
        assert role in page
    assert page.count("Default (settings)") == 4
    form = client.get(url("distmark_contact_field_visibility", "add") + "?role=unit_editor")
    assert form.status_code == 200
    checked = set(
        re.findall(r'name="fields" value="(\w+)" id="\w+" checked', form.content.decode())
    )
    assert checked == {"email", "first_name", "last_name"}  # the editor's default
    assert '<option value="unit_editor" selected>' in form.content.decode()


def test_hq_sets_what_editors_see(contact_world, client_for):
    client = client_for(contact_world.net.users["hq"])
    response = client.post(
        url("distmark_contact_field_visibility", "add"),
        {"role": "unit_editor", "fields": ["email", "city"]},
    )
    assert response.status_code == 302
    assert ContactFieldPolicy.objects.get(role="unit_editor").fields == ["email", "city"]
    assert visible_fields(contact_world.net.users["editor_a"]) == {"email", "city"}
    page = client.get(url("distmark_contact_field_visibility")).content.decode()
    assert "Chosen by head office" in page
    assert page.count("Default (settings)") == 3


def test_a_role_has_one_row(contact_world, client_for):
    ContactFieldPolicy.objects.create(role="unit_editor", fields=["email"])
    client = client_for(contact_world.net.users["hq"])
    response = client.post(
        url("distmark_contact_field_visibility", "add"),
        {"role": "unit_editor", "fields": ["phone"]},
    )
    assert response.status_code == 200
    assert ContactFieldPolicy.objects.get(role="unit_editor").fields == ["email"]


def test_suppressing_an_address_stores_only_its_hash(contact_world, client_for):
    client = client_for(contact_world.net.users["hq"])
    response = client.post(
        url("distmark_suppression", "add"),
        {"address": "  Someone@EXAMPLE.org ", "reason": "manual", "note": "asked by phone"},
    )
    assert response.status_code == 302
    row = Suppression.objects.get()
    assert row.email_hash == email_hash("someone@example.org")
    assert row.reason == "manual"
    assert "someone" not in str(list(Suppression.objects.values()))
    listing = client.get(url("distmark_suppression")).content.decode()
    assert row.email_hash[:12] in listing
    assert row.email_hash not in listing
    assert "someone" not in listing.lower()
    edit = client.get(url("distmark_suppression", "edit", row.pk)).content.decode()
    assert "someone" not in edit.lower()
    assert row.email_hash not in edit


def test_suppressing_twice_or_a_bad_address_is_a_form_error(contact_world, client_for):
    client = client_for(contact_world.net.users["hq"])
    add = url("distmark_suppression", "add")
    client.post(add, {"address": "ann@example.org", "reason": "manual"})
    response = client.post(add, {"address": "Ann@Example.ORG", "reason": "complaint"})
    assert "already on the suppression list" in response.content.decode()
    response = client.post(add, {"address": "not an address", "reason": "manual"})
    assert response.status_code == 200
    assert "Enter a valid e-mail address." in response.content.decode()
    response = client.post(add, {"address": "a" * 5000 + "@x.org", "reason": "manual"})
    assert response.status_code == 200
    assert Suppression.objects.count() == 1


def test_a_suppressed_contact_leaves_the_audience(contact_world, client_for):
    audience = Audience.objects.create(
        name="All of A", unit=contact_world.net.units["a"],
        communication_type=contact_world.newsletter,
    )  # fmt: skip
    assert recipients(audience).count() == 1  # a1 (a2 unsubscribed)
    client = client_for(contact_world.net.users["hq"])
    client.post(url("distmark_suppression", "add"), {"address": "ann@example.org",
                                                     "reason": "complaint"})  # fmt: skip
    assert recipients(audience).count() == 0


def test_manager_cannot_read_suppression_rows(contact_world, client_for):
    row = Suppression.objects.create(email_hash=email_hash("x@example.org"), reason="manual")
    client = client_for(contact_world.net.users["manager_c"])
    response = client.get(url("distmark_suppression", "edit", row.pk))
    assert response.status_code == 403
    assert row.email_hash[:12] not in response.content.decode()


def test_hq_finds_a_suppressed_address_by_typing_it(contact_world, client_for):
    Suppression.objects.create(email_hash=email_hash("ann@example.org"), reason="complaint")
    Suppression.objects.create(email_hash=email_hash("bob@example.org"), reason="hard_bounce")
    client = client_for(contact_world.net.users["hq"])
    listing = url("distmark_suppression")
    found = client.get(listing, {"q": "Ann@EXAMPLE.org"}).content.decode()
    assert email_hash("ann@example.org")[:12] in found
    assert email_hash("bob@example.org")[:12] not in found
    by_prefix = client.get(listing, {"q": email_hash("bob@example.org")[:8]}).content.decode()
    assert email_hash("bob@example.org")[:12] in by_prefix
    assert email_hash("ann@example.org")[:12] not in by_prefix
    assert client.get(listing, {"q": "x" * 5000}).status_code == 200


@pytest.mark.parametrize("username", ["regional_north", "manager_a", "editor_a", "manager_c"])
def test_others_get_403_on_every_setup_object_url(contact_world, client_for, username):
    objects = {
        "distmark_communication_types": contact_world.newsletter,
        "distmark_contact_tags": contact_world.vip,
        "distmark_contact_attributes": ContactAttribute.objects.create(key="size", label="Size"),
        "distmark_contact_field_visibility": ContactFieldPolicy.objects.create(
            role="unit_editor", fields=["email"]
        ),
        "distmark_suppression": Suppression.objects.create(
            email_hash=email_hash("x@example.org"), reason="manual"
        ),
    }
    client = client_for(contact_world.net.users[username])
    for viewset, obj in objects.items():
        for view in ("edit", "delete", "history", "usage"):
            response = client.get(url(viewset, view, obj.pk))
            assert response.status_code == 403, (viewset, view, response.status_code)
            assert str(obj) not in response.content.decode()
    assert client.post(url("distmark_communication_types", "delete", objects[
        "distmark_communication_types"].pk)).status_code == 403  # fmt: skip
    assert CommunicationType.objects.filter(pk=contact_world.newsletter.pk).exists()


def test_a_communication_type_people_consented_to_is_kept(contact_world, client_for):
    """Its consents and their history are a legal record: the delete says so, never a 500."""
    newsletter = contact_world.newsletter
    client = client_for(contact_world.net.users["hq"])
    response = client.post(
        url("distmark_communication_types", "delete", newsletter.pk), follow=True
    )
    assert response.status_code == 200
    assert "is in use" in response.content.decode()
    assert CommunicationType.objects.filter(pk=newsletter.pk).exists()
