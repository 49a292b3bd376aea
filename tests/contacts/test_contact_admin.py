"""The Contacts screens: listing, detail, create and edit, the chooser; scope twins for each,
and field visibility (an editor never sees, searches, sorts or filters by the phone)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail_distmark.contacts.consent import SUBSCRIBED, current_status, set_consent
from wagtail_distmark.contacts.import_rows import read_attribute
from wagtail_distmark.contacts.links import link
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.models import CommunicationType, ConsentEvent, Contact, ContactAttribute

pytestmark = pytest.mark.django_db

INDEX = "distmark_contacts:index"


def index(client, **params):
    return client.get(reverse(INDEX), params)


def body(response) -> str:
    return response.content.decode()


def login(world, client_for, username):
    return client_for(world.net.users[username])


# --- listing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("manager_a", ["ann@", "alex@"], ["bea@", "bob@", "chloe@", "carl@"]),
        ("editor_a", ["ann@", "alex@"], ["bea@", "bob@", "chloe@", "carl@"]),
        ("regional_north", ["ann@", "alex@", "bea@", "bob@"], ["chloe@", "carl@"]),
        ("hq", ["ann@", "bea@", "chloe@", "carl@"], []),
        ("manager_c", ["chloe@", "carl@"], ["ann@", "alex@", "bea@", "bob@"]),
    ],
)
def test_listing_shows_the_contacts_of_the_scope_only(
    contact_world, client_for, username, shown, hidden
):
    response = index(login(contact_world, client_for, username))
    assert response.status_code == 200
    for text in shown:
        assert text in body(response)
    for text in hidden:
        assert text not in body(response)
    assert f'data-contact-count="{len(shown) if username != "hq" else 6}"' in body(response)


def test_outsider_sees_no_contact(contact_world, client_for):
    response = index(login(contact_world, client_for, "outsider"))
    assert response.status_code in (302, 403)
    assert "ann@" not in body(response)


def test_erased_contacts_are_hidden(contact_world, client_for):
    Contact.objects.filter(pk=contact_world.people["a2"].pk).update(erased_at="2026-01-01T00:00Z")
    response = index(login(contact_world, client_for, "manager_a"))
    assert "alex@" not in body(response)
    assert 'data-contact-count="1"' in body(response)


def test_manager_sees_the_phone_column_and_the_editor_does_not(contact_world, client_for):
    manager = index(login(contact_world, client_for, "manager_a"))
    assert "+33612345678" in body(manager)
    assert ">Phone<" in body(manager) or "Phone" in body(manager)
    editor = index(login(contact_world, client_for, "editor_a"))
    assert "+33612345678" not in body(editor)
    assert "Phone" not in body(editor)
    assert "75001" not in body(editor)


def test_search_finds_in_visible_fields_only(contact_world, client_for):
    manager = login(contact_world, client_for, "manager_a")
    assert "ann@" in body(index(manager, q="612345678"))
    assert "chloe@" not in body(index(manager, q="chloe"))
    response = index(manager, q="Archer")
    assert "ann@" in body(response) and "alex@" not in body(response)
    editor = login(contact_world, client_for, "editor_a")
    response = index(editor, q="612345678")
    assert response.status_code == 200
    assert "ann@" not in body(response)


def test_sorting_by_a_hidden_field_is_ignored(contact_world, client_for):
    editor = login(contact_world, client_for, "editor_a")
    response = index(editor, ordering="phone")
    assert response.status_code == 200
    assert response.context["ordering"] != "phone"
    manager = login(contact_world, client_for, "manager_a")
    response = index(manager, ordering="-phone")
    assert response.context["ordering"] == "-phone"
    rows = [contact.email for contact in response.context["object_list"]]
    assert rows == ["alex@example.org", "ann@example.org"]  # +…679 before +…678


def test_filters_narrow_the_listing(contact_world, client_for):
    manager = login(contact_world, client_for, "manager_a")
    newsletter = contact_world.newsletter
    response = index(manager, consent=f"{newsletter.pk}-unsubscribed")
    assert "alex@" in body(response) and "ann@" not in body(response)
    response = index(manager, tag=str(contact_world.vip.pk))
    assert "ann@" in body(response) and "alex@" not in body(response)
    response = index(manager, unit=str(contact_world.net.units["a"].pk))
    assert "ann@" in body(response)


def test_a_unit_outside_the_scope_filters_nothing_in(contact_world, client_for):
    manager = login(contact_world, client_for, "manager_c")
    response = index(manager, unit=str(contact_world.net.units["a"].pk))
    assert response.status_code == 200
    assert "ann@" not in body(response)
    assert "chloe@" not in body(response)  # an invalid filter selects nothing, never more


def test_editor_cannot_filter_by_tag(contact_world, client_for):
    editor = login(contact_world, client_for, "editor_a")
    response = index(editor, tag=str(contact_world.vip.pk))
    assert response.status_code == 200
    assert "alex@" in body(response)  # not filtered: the tag filter does not exist for them
    assert 'name="tag"' not in body(response)


@pytest.mark.parametrize(
    "params",
    [
        {"unit": "99999999999999999999"},
        {"unit": "²"},
        {"consent": "99999999999999999999-subscribed"},
        {"tag": "²"},
        {"q": "\x00"},
        {"q": "a" * 10000},
        {"created_from": "99999-99-99", "created_to": "x"},
        {"last_activity_from": "2026-13-45"},
        {"ordering": "attributes__x"},
        {"ordering": "-" * 500},
        {"p": "99999999999999999999"},
        {"id": "²"},
    ],
)
def test_crafted_query_parameters_are_no_500(contact_world, client_for, params):
    response = index(login(contact_world, client_for, "manager_a"), **params)
    assert response.status_code == 200
    assert "chloe@" not in body(response)


def test_export_button_follows_the_export_permission(contact_world, client_for):
    export_url = reverse("wagtail_distmark:contacts_export")
    manager = index(login(contact_world, client_for, "manager_a"), q="ann")
    assert f"{export_url}?q=ann" in body(manager)
    editor = index(login(contact_world, client_for, "editor_a"))
    assert export_url not in body(editor)


# --- detail -----------------------------------------------------------------------------


def inspect_url(contact):
    return reverse("distmark_contacts:inspect", args=[contact.pk])


def test_detail_shows_visible_fields_units_and_consent(contact_world, client_for):
    ann = contact_world.people["a1"]
    response = login(contact_world, client_for, "manager_a").get(inspect_url(ann))
    assert response.status_code == 200
    content = body(response)
    assert "+33612345678" in content and "Store A" in content
    assert 'data-consent-status="newsletter">Subscribed' in content
    assert "data-consent-event" in content and "test" in content
    assert "Deliveries" in content


def test_detail_hides_the_phone_from_editors(contact_world, client_for):
    ann = contact_world.people["a1"]
    response = login(contact_world, client_for, "editor_a").get(inspect_url(ann))
    assert response.status_code == 200
    assert "+33612345678" not in body(response)
    assert "75001" not in body(response)


@pytest.mark.parametrize(("username", "key"), [("manager_a", "b1"), ("manager_a", "c1"),
                                               ("editor_a", "c1"), ("manager_c", "a1"),
                                               ("regional_north", "c1")])  # fmt: skip
def test_detail_of_another_units_contact_is_404(contact_world, client_for, username, key):
    contact = contact_world.people[key]
    response = login(contact_world, client_for, username).get(inspect_url(contact))
    assert response.status_code == 404
    assert contact.email not in body(response)


def test_lists_mode_detail_names_only_the_units_in_scope(contact_world, client_for, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    ann = contact_world.people["a1"]
    link(ann, contact_world.net.units["c"], Source.IMPORT)
    response = login(contact_world, client_for, "manager_a").get(inspect_url(ann))
    assert "Store A" in body(response) and "Store C" not in body(response)
    response = login(contact_world, client_for, "manager_c").get(inspect_url(ann))
    assert "Store C" in body(response) and "Store A" not in body(response)
    listing = index(login(contact_world, client_for, "manager_a"))
    assert "Store A" in body(listing) and "Store C" not in body(listing)


def test_per_unit_consent_of_another_unit_is_not_shown(contact_world, client_for, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    events = CommunicationType.objects.create(name="Events", slug="events", scope="unit")
    ann = contact_world.people["a1"]
    link(ann, contact_world.net.units["c"], Source.IMPORT)
    set_consent(ann, events, SUBSCRIBED, source=Source.ADMIN, unit=contact_world.net.units["c"],
                evidence="secret-c-evidence")  # fmt: skip
    response = login(contact_world, client_for, "manager_a").get(inspect_url(ann))
    assert "secret-c-evidence" not in body(response)
    assert "Store C" not in body(response)
    response = login(contact_world, client_for, "manager_c").get(inspect_url(ann))
    assert "secret-c-evidence" in body(response)


def test_no_delete_or_copy_url(contact_world, client_for):
    ann = contact_world.people["a1"]
    client = login(contact_world, client_for, "hq")
    for name in ("delete", "copy"):
        response = client.post(f"/admin/distmark/contacts/{name}/{ann.pk}/")
        assert response.status_code == 404
    assert Contact.objects.filter(pk=ann.pk).exists()
    edit = client.get(reverse("distmark_contacts:edit", args=[ann.pk]))
    assert "/delete/" not in body(edit)


# --- create and edit ----------------------------------------------------------------------


def form_data(world, **overrides):
    data = {
        "email": "Nina@EXAMPLE.org",
        "first_name": "Nina",
        "last_name": "Noël",
        "locale": "fr",
        "phone": "06 12 34 56 99",
        "country": "FR",
        "unit": str(world.net.units["a"].pk),
        f"consent_{world.newsletter.pk}": "subscribed",
        "consent_evidence": "Signed the in-store form",
    }
    data.update(overrides)
    return data


def test_manager_creates_a_contact(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    response = client.post(reverse("distmark_contacts:add"), form_data(contact_world))
    assert response.status_code == 302, response.context["form"].errors
    nina = Contact.objects.get(first_name="Nina")
    assert nina.email == "Nina@example.org"
    assert nina.phone == "+33612345699"
    assert list(nina.units.all()) == [contact_world.net.units["a"]]
    assert current_status(nina, contact_world.newsletter) == "subscribed"
    event = ConsentEvent.objects.get(contact=nina)
    assert event.evidence == "Signed the in-store form"
    assert event.set_by == contact_world.net.users["manager_a"]


def test_consent_needs_its_source(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    response = client.post(
        reverse("distmark_contacts:add"), form_data(contact_world, consent_evidence="")
    )
    assert response.status_code == 200
    assert "consent_evidence" in response.context["form"].errors
    assert not Contact.objects.filter(first_name="Nina").exists()


def test_duplicate_email_is_an_error_on_the_field_naming_no_unit(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    data = form_data(contact_world, email="CHLOE@example.org")
    response = client.post(reverse("distmark_contacts:add"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "email" in errors
    assert "Store C" not in str(errors)
    assert Contact.objects.filter(email__iexact="chloe@example.org").count() == 1


def test_a_unit_outside_the_scope_cannot_be_chosen(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    data = form_data(contact_world, unit=str(contact_world.net.units["c"].pk))
    response = client.post(reverse("distmark_contacts:add"), data)
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Contact.objects.filter(first_name="Nina").exists()


def test_editor_form_has_no_hidden_field_and_keeps_its_value(contact_world, client_for):
    ann = contact_world.people["a1"]
    client = login(contact_world, client_for, "editor_a")
    url = reverse("distmark_contacts:edit", args=[ann.pk])
    form = client.get(url).context["form"]
    assert "phone" not in form.fields and "birth_date" not in form.fields
    assert "tags" not in form.fields
    data = {"email": ann.email, "first_name": "Annie", "last_name": ann.last_name,
            "unit": str(contact_world.net.units["a"].pk),
            f"consent_{contact_world.newsletter.pk}": "subscribed",
            "phone": "+33699999999"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    ann.refresh_from_db()
    assert ann.first_name == "Annie"
    assert ann.phone == "+33612345678"
    assert ann.postal_code == "75001"
    assert list(ann.tags.values_list("name", flat=True)) == ["VIP"]


def test_editing_another_units_contact_is_404(contact_world, client_for):
    ann = contact_world.people["a1"]
    client = login(contact_world, client_for, "manager_c")
    url = reverse("distmark_contacts:edit", args=[ann.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"first_name": "Hacked"}).status_code == 404
    ann.refresh_from_db()
    assert ann.first_name == "Ann"


def test_resubscribing_without_reconsent_is_refused_on_the_field(contact_world, client_for):
    alex, newsletter = contact_world.people["a2"], contact_world.newsletter
    client = login(contact_world, client_for, "manager_a")
    url = reverse("distmark_contacts:edit", args=[alex.pk])
    data = {
        "email": alex.email,
        "first_name": "Alex",
        "last_name": "Abel",
        "phone": alex.phone,
        "unit": str(contact_world.net.units["a"].pk),
        f"consent_{newsletter.pk}": "subscribed",
        "consent_evidence": "Asked by phone",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"consent_{newsletter.pk}" in response.context["form"].errors
    assert current_status(alex, newsletter) == "unsubscribed"
    response = client.post(url, {**data, "reconsent": "on"})
    assert response.status_code == 302
    assert current_status(alex, newsletter) == "subscribed"
    assert ConsentEvent.objects.filter(contact=alex).first().source == Source.RECONSENT


# --- chooser ------------------------------------------------------------------------------


def test_chooser_lists_and_accepts_contacts_in_scope_only(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    response = client.get(reverse("distmark_contact_chooser:choose"))
    assert response.status_code == 200
    assert "ann@" in body(response) and "chloe@" not in body(response)
    response = client.get(reverse("distmark_contact_chooser:choose_results"), {"q": "chloe"})
    assert "chloe@" not in body(response)
    chloe, ann = contact_world.people["c1"], contact_world.people["a1"]
    assert (
        client.get(reverse("distmark_contact_chooser:chosen", args=[chloe.pk])).status_code == 404
    )
    assert client.get(reverse("distmark_contact_chooser:chosen", args=[ann.pk])).status_code == 200
    response = client.get(
        reverse("distmark_contact_chooser:chosen_multiple"), {"id": [chloe.pk, "²"]}
    )
    assert "chloe@" not in body(response)


def test_chooser_shows_the_editor_no_hidden_field(contact_world, client_for):
    client = login(contact_world, client_for, "editor_a")
    response = client.get(reverse("distmark_contact_chooser:choose"))
    assert "ann@" in body(response)
    assert "Paris" not in body(response) and "75001" not in body(response)
    response = client.get(reverse("distmark_contact_chooser:choose_results"), {"q": "612345678"})
    assert "ann@" not in body(response)


def test_chooser_has_no_create_url(contact_world, client_for):
    client = login(contact_world, client_for, "hq")
    assert client.post(reverse("distmark_contact_chooser:create"), {}).status_code == 404


# --- attributes and query counts ------------------------------------------------------------


def test_attributes_are_typed_and_hidden_ones_are_kept(contact_world, client_for, settings):
    ContactAttribute.objects.create(key="points", label="Loyalty points", kind="number")
    ContactAttribute.objects.create(key="member_since", label="Member since", kind="date")
    ContactAttribute.objects.create(key="secret_score", label="Score", kind="text")
    settings.WAGTAIL_DISTMARK_CONTACT_FIELD_VISIBILITY = {
        "unit_manager": ["email", "first_name", "last_name", "points", "member_since"]
    }
    ann = contact_world.people["a1"]
    Contact.objects.filter(pk=ann.pk).update(attributes={"secret_score": "A+", "points": "3"})
    client = login(contact_world, client_for, "manager_a")
    url = reverse("distmark_contacts:edit", args=[ann.pk])
    form = client.get(url).context["form"]
    assert "attribute_points" in form.fields and "attribute_secret_score" not in form.fields
    data = {
        "email": ann.email,
        "first_name": "Ann",
        "last_name": "Archer",
        "unit": str(contact_world.net.units["a"].pk),
        "attribute_points": "12.5",
        "attribute_member_since": "2024-02-29",
        f"consent_{contact_world.newsletter.pk}": "subscribed",
    }
    assert client.post(url, {**data, "attribute_points": "many"}).status_code == 200
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    ann.refresh_from_db()
    assert ann.attributes == {"secret_score": "A+", "points": 12.5, "member_since": "2024-02-29"}
    assert ann.phone == "+33612345678"  # hidden from the role now: kept


def count_queries(client):
    with CaptureQueriesContext(connection) as run:
        assert client.get(reverse(INDEX)).status_code == 200
    return len(run.captured_queries)


@pytest.mark.parametrize("username", ["manager_a", "regional_north", "hq"])
def test_listing_query_count_does_not_grow_with_contacts(contact_world, client_for, username):
    client = login(contact_world, client_for, username)
    client.get(reverse(INDEX))  # warm the content types and the like
    before = count_queries(client)
    for number in range(15):
        unit = contact_world.net.units["ab"[number % 2]]
        contact = Contact.objects.create(email=f"extra{number}@example.org", first_name="X")
        link(contact, unit, Source.ADMIN)
        contact.tags.add(contact_world.vip)
    assert count_queries(client) == before


# --- units on edit ------------------------------------------------------------------------


def edit_data(world, contact, unit_key, **extra):
    return {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": contact.phone,
        "unit": str(world.net.units[unit_key].pk),
        f"consent_{world.newsletter.pk}": "subscribed",
        **extra,
    }


def test_regional_manager_moves_a_home_unit(contact_world, client_for):
    ann, units = contact_world.people["a1"], contact_world.net.units
    url = reverse("distmark_contacts:edit", args=[ann.pk])
    manager = login(contact_world, client_for, "manager_a")
    assert manager.post(url, edit_data(contact_world, ann, "b")).status_code == 200
    assert list(ann.units.all()) == [units["a"]]
    regional = login(contact_world, client_for, "regional_north")
    assert regional.post(url, edit_data(contact_world, ann, "b")).status_code == 302
    assert list(ann.units.all()) == [units["b"]]


def test_lists_mode_edit_keeps_the_other_units_lists(contact_world, client_for, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    ann, units = contact_world.people["a1"], contact_world.net.units
    link(ann, units["c"], Source.IMPORT)
    client = login(contact_world, client_for, "manager_a")
    url = reverse("distmark_contacts:edit", args=[ann.pk])
    assert client.get(url).context["form"].initial["unit"] == units["a"].pk
    response = client.post(url, edit_data(contact_world, ann, "a", first_name="Anne"))
    assert response.status_code == 302
    assert set(ann.units.all()) == {units["a"], units["c"]}


def test_phone_is_read_with_the_units_country(contact_world, client_for):
    unit = contact_world.net.units["a"]
    unit.country = "FR"
    unit.save()
    client = login(contact_world, client_for, "manager_a")
    data = form_data(contact_world, country="", phone="06 12 34 56 98")
    assert client.post(reverse("distmark_contacts:add"), data).status_code == 302
    assert Contact.objects.get(first_name="Nina").phone == "+33612345698"
    data = form_data(contact_world, email="zoe@example.org", first_name="Zoé", phone="12")
    response = client.post(reverse("distmark_contacts:add"), data)
    assert "phone" in response.context["form"].errors


@pytest.mark.parametrize(
    "crafted",
    [{"tags": ["99999999999999999999"]}, {"tags": ["²"]}, {"unit": "99999999999999999999"},
     {"unit": "\x00"}, {"tags": ["\x00"]}, {"attribute_x": "1"}, {"email": "a@" + "b" * 300}],
)  # fmt: skip
def test_crafted_form_values_are_form_errors(contact_world, client_for, crafted):
    client = login(contact_world, client_for, "manager_a")
    response = client.post(reverse("distmark_contacts:add"), form_data(contact_world, **crafted))
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors


def test_subtree_filter_offers_the_users_units_only(contact_world, client_for):
    response = index(login(contact_world, client_for, "manager_a"))
    assert f'value="{contact_world.net.units["a"].pk}"' in body(response)
    assert "Store B" not in body(response) and "Store C" not in body(response)
    response = index(login(contact_world, client_for, "regional_north"))
    assert "Store B" in body(response) and "Store C" not in body(response)


@pytest.mark.parametrize(
    ("username", "erase", "access"),
    [("hq", True, True), ("manager_a", True, False), ("editor_a", False, False)],
)
def test_the_contact_page_offers_the_persons_rights_to_who_may(
    contact_world, client_for, username, erase, access
):
    ann = contact_world.people["a1"]
    client = client_for(contact_world.net.users[username])
    page = client.get(reverse("distmark_contacts:inspect", args=[ann.pk])).content.decode()
    assert (reverse("wagtail_distmark:contact_erase", args=[ann.pk]) in page) is erase
    assert (reverse("wagtail_distmark:contact_access_request", args=[ann.pk]) in page) is access


# --- the form agrees with the import ------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [("100", 100), ("12.50", 12.5), ("0", 0)])
def test_number_attributes_are_stored_as_the_import_stores_them(
    contact_world, client_for, typed, stored
):
    ContactAttribute.objects.create(key="points", label="Loyalty points", kind="number")
    ann = contact_world.people["a1"]
    client = login(contact_world, client_for, "hq")
    data = edit_data(contact_world, ann, "a", attribute_points=typed)
    response = client.post(reverse("distmark_contacts:edit", args=[ann.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    ann.refresh_from_db()
    assert ann.attributes["points"] == stored
    assert type(ann.attributes["points"]) is type(stored)
    assert ann.attributes["points"] == read_attribute("number", typed)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "2999-01-01"),
        ("birth_date", "1899-12-31"),
        ("country", "ZZ"),
        ("country", "France"),
    ],
)
def test_values_the_import_refuses_are_refused_on_the_field(
    contact_world, client_for, field, value
):
    client = login(contact_world, client_for, "manager_a")
    response = client.post(
        reverse("distmark_contacts:add"), form_data(contact_world, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Contact.objects.filter(first_name="Nina").exists()


def test_a_lower_case_country_and_a_past_birth_date_are_kept(contact_world, client_for):
    client = login(contact_world, client_for, "manager_a")
    data = form_data(contact_world, country="be", birth_date="1980-05-04", phone="+33612345699")
    response = client.post(reverse("distmark_contacts:add"), data)
    assert response.status_code == 302, response.context["form"].errors
    nina = Contact.objects.get(first_name="Nina")
    assert nina.country == "BE" and str(nina.birth_date) == "1980-05-04"


@pytest.mark.parametrize("typed", ["ANN@example.org", "Ann@Example.ORG", " ann@example.org "])
def test_an_email_differing_by_case_is_a_duplicate(contact_world, client_for, typed):
    client = login(contact_world, client_for, "manager_c")  # Ann is Store A's
    response = client.post(reverse("distmark_contacts:add"), form_data(contact_world, email=typed,
                           unit=str(contact_world.net.units["c"].pk)))  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["email"] == ["A contact with this e-mail address already exists."]
    assert Contact.objects.filter(email__iexact="ann@example.org").count() == 1


def test_editing_a_contacts_email_case_is_not_a_duplicate_of_itself(contact_world, client_for):
    ann = contact_world.people["a1"]
    client = login(contact_world, client_for, "manager_a")
    data = edit_data(contact_world, ann, "a", email="ANN@example.org")
    response = client.post(reverse("distmark_contacts:edit", args=[ann.pk]), data)
    assert response.status_code == 302, response.context["form"].errors


# --- re-consent: rule wagtail_distmark.reconsent_contact -----------------------------------


def resubscribe_data(world, contact, **extra):
    return {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "unit": str(world.net.units["a"].pk),
        f"consent_{world.newsletter.pk}": "subscribed",
        "consent_evidence": "Asked by phone",
        **extra,
    }


@pytest.mark.parametrize(("username", "offered"), [("manager_a", True), ("editor_a", False)])
def test_reconsent_tick_is_offered_to_who_may_reconsent(
    contact_world, client_for, username, offered
):
    alex = contact_world.people["a2"]
    client = login(contact_world, client_for, username)
    response = client.get(reverse("distmark_contacts:edit", args=[alex.pk]))
    assert ("reconsent" in response.context["form"].fields) is offered
    assert ('name="reconsent"' in body(response)) is offered


def test_an_editor_posting_reconsent_is_refused_on_the_field(contact_world, client_for):
    alex, newsletter = contact_world.people["a2"], contact_world.newsletter
    client = login(contact_world, client_for, "editor_a")
    url = reverse("distmark_contacts:edit", args=[alex.pk])
    response = client.post(url, resubscribe_data(contact_world, alex, reconsent="on"))
    assert response.status_code == 200
    assert f"consent_{newsletter.pk}" in response.context["form"].errors
    assert current_status(alex, newsletter) == "unsubscribed"
    assert not ConsentEvent.objects.filter(contact=alex, source=Source.RECONSENT).exists()


def test_a_manager_of_one_unit_only_gets_no_reconsent_tick(contact_world, client_for, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    alex, newsletter = contact_world.people["a2"], contact_world.newsletter
    link(alex, contact_world.net.units["c"], Source.IMPORT)  # also on Store C's list
    client = login(contact_world, client_for, "manager_a")
    url = reverse("distmark_contacts:edit", args=[alex.pk])
    assert "reconsent" not in client.get(url).context["form"].fields
    response = client.post(url, resubscribe_data(contact_world, alex, reconsent="on"))
    assert response.status_code == 200
    assert current_status(alex, newsletter) == "unsubscribed"
