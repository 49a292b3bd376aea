"""The audiences screens: each user lists, counts, builds and narrows only what their scope
allows; HQ alone attaches a segment to a brand template; nobody widens a base."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail_distmark.models import Audience, CommunicationType

pytestmark = pytest.mark.django_db

INDEX = "distmark_audiences:index"


def url(view, *args):
    return reverse(f"distmark_audiences:{view}", args=args)


def row_of(html: str, name: str) -> str:
    """The listing row naming ``name`` ('' if it is not listed)."""
    rows = re.findall(r"<tr.*?</tr>", html, re.S)
    return next((row for row in rows if name in row), "")


def count_on_edit_page(client, audience) -> int:
    """The recipients count of the audience's edit page."""
    page = client.get(url("edit", audience.pk)).content.decode()
    return int(re.search(r"This audience reaches (\d+) contact", page).group(1))


@pytest.fixture
def audiences(contact_world, brand_template):
    units, newsletter = contact_world.net.units, contact_world.newsletter
    segment = Audience.objects.create(
        name="Autumn segment", unit=units["hq"], communication_type=newsletter,
        template=brand_template,
    )  # fmt: skip
    store_a = Audience.objects.create(
        name="Store A regulars", unit=units["a"], communication_type=newsletter
    )
    store_c = Audience.objects.create(
        name="Store C regulars", unit=units["c"], communication_type=newsletter
    )
    return {"segment": segment, "a": store_a, "c": store_c}


def form_data(**values):
    data = {"name": "New audience", "locales": "", "postal_prefixes": "", "city": ""}
    data.update(values)
    return data


def test_listing_shows_each_user_their_audiences_with_counts_on_their_pages(
    audiences, client_for, contact_world
):
    users = contact_world.net.users
    hq = client_for(users["hq"])
    listing = hq.get(reverse(INDEX)).content.decode()
    assert all(row_of(listing, name) for name in ("Autumn segment", "Store A regulars"))
    assert count_on_edit_page(hq, audiences["segment"]) == 5  # a1, b1, b2, c1, c2 (a2 unsub.)
    assert count_on_edit_page(hq, audiences["a"]) == 1
    assert count_on_edit_page(hq, audiences["c"]) == 2

    manager_a = client_for(users["manager_a"])
    listing = manager_a.get(reverse(INDEX)).content.decode()
    assert row_of(listing, "Store A regulars") and "Store C regulars" not in listing
    assert count_on_edit_page(manager_a, audiences["a"]) == 1
    assert count_on_edit_page(manager_a, audiences["segment"]) == 1  # only Store A's contacts
    assert url("delete", audiences["a"].pk) in listing
    assert url("delete", audiences["segment"].pk) not in listing  # HQ's, to narrow only


def test_listing_counts_no_recipients(audiences, client_for, contact_world):
    """No recipients COUNT per row (0.7-1 s each on a large contact base): the listing's
    queries do not grow with its audiences, and it has no Recipients column."""
    client = client_for(contact_world.net.users["hq"])
    client.get(reverse(INDEX))  # warm the session

    def listing_queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse(INDEX)).content.decode()
        assert "Recipients" not in page
        return len(captured)

    few = listing_queries()
    units, newsletter = contact_world.net.units, contact_world.newsletter
    for n in range(10):
        Audience.objects.create(name=f"More {n}", unit=units["b"], communication_type=newsletter)
    assert listing_queries() == few


def test_manager_c_never_sees_counts_or_opens_store_a_audiences(audiences, client_for,
                                                                contact_world):  # fmt: skip
    client = client_for(contact_world.net.users["manager_c"])
    page = client.get(reverse(INDEX)).content.decode()
    assert "Store A regulars" not in page
    assert count_on_edit_page(client, audiences["segment"]) == 2  # c1, c2: none of Store A
    assert client.get(url("edit", audiences["a"].pk)).status_code == 404
    assert client.post(url("edit", audiences["a"].pk), form_data()).status_code == 404
    assert client.post(url("delete", audiences["a"].pk)).status_code == 404
    assert Audience.objects.get(pk=audiences["a"].pk).name == "Store A regulars"


def test_manager_creates_an_audience_for_their_unit(audiences, client_for, contact_world):
    world = contact_world
    client = client_for(world.net.users["manager_a"])
    response = client.post(url("add"), form_data(
        name="VIPs of A", unit=world.net.units["a"].pk, communication_type=world.newsletter.pk,
        tags=[world.vip.pk], postal_prefixes="75, 92100", locales="fr, nl-BE",
    ))  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    audience = Audience.objects.get(name="VIPs of A")
    assert audience.unit == world.net.units["a"]
    assert audience.created_by == world.net.users["manager_a"]
    assert audience.postal_prefixes == ["75", "92100"]
    assert audience.locales == ["fr", "nl-BE"]
    assert list(audience.tags.all()) == [world.vip]


def test_nobody_builds_an_audience_for_a_unit_outside_their_scope(audiences, client_for,
                                                                  contact_world):  # fmt: skip
    world = contact_world
    client = client_for(world.net.users["manager_c"])
    response = client.post(url("add"), form_data(
        name="Stolen", unit=world.net.units["a"].pk, communication_type=world.newsletter.pk,
    ))  # fmt: skip
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url("add"), form_data(
        name="Stolen", unit=world.net.units["c"].pk, communication_type=world.newsletter.pk,
        base=audiences["a"].pk,
    ))  # fmt: skip
    assert response.status_code == 200
    assert not Audience.objects.filter(name="Stolen").exists()
    form = client.get(url("add")).content.decode()
    assert "Store A" not in form
    assert "Store A regulars" not in form


def test_only_hq_attaches_a_segment_to_a_template(audiences, client_for, contact_world,
                                                  brand_template):  # fmt: skip
    world = contact_world
    audiences["segment"].delete()
    manager = client_for(world.net.users["manager_a"])
    assert 'name="template"' not in manager.get(url("add")).content.decode()
    response = manager.post(url("add"), form_data(
        name="Crafted", unit=world.net.units["a"].pk, communication_type=world.newsletter.pk,
        template=brand_template.pk,
    ))  # fmt: skip
    assert response.status_code == 302
    assert Audience.objects.get(name="Crafted").template is None
    response = manager.post(url("edit", audiences["a"].pk), form_data(
        name="Store A regulars", unit=world.net.units["a"].pk,
        communication_type=world.newsletter.pk, template=brand_template.pk,
    ))  # fmt: skip
    assert response.status_code == 302
    assert Audience.objects.get(pk=audiences["a"].pk).template is None

    hq = client_for(world.net.users["hq"])
    response = hq.post(url("add"), form_data(
        name="HQ segment", unit=world.net.units["hq"].pk, communication_type=world.newsletter.pk,
        template=brand_template.pk,
    ))  # fmt: skip
    assert response.status_code == 302
    assert Audience.objects.get(name="HQ segment").template == brand_template


def test_a_template_has_one_segment(audiences, client_for, contact_world, brand_template):
    world = contact_world
    response = client_for(world.net.users["hq"]).post(url("add"), form_data(
        name="Second", unit=world.net.units["hq"].pk, communication_type=world.newsletter.pk,
        template=brand_template.pk,
    ))  # fmt: skip
    assert "already has a segment" in response.content.decode()
    assert not Audience.objects.filter(name="Second").exists()


def test_units_cannot_change_hq_segments(audiences, client_for, contact_world):
    world = contact_world
    page = client_for(world.net.users["manager_a"]).get(url("edit", audiences["segment"].pk))
    assert "you may narrow it in an audience of your own" in page.content.decode()
    assert 'name="name" value="Autumn segment"' in page.content.decode()
    assert "disabled" in re.search(r'<input[^>]*name="name"[^>]*>', page.content.decode())[0]
    hq_page = client_for(world.net.users["hq"]).get(url("edit", audiences["segment"].pk))
    assert "you may narrow it" not in hq_page.content.decode()
    response = client_for(world.net.users["manager_a"]).post(
        url("edit", audiences["segment"].pk),
        form_data(name="Hijacked", unit=world.net.units["a"].pk,
                  communication_type=world.newsletter.pk),
    )  # fmt: skip
    assert response.status_code == 403
    assert Audience.objects.get(pk=audiences["segment"].pk).name == "Autumn segment"


def test_an_audience_cannot_widen_its_base(audiences, client_for, contact_world):
    world = contact_world
    promotions = CommunicationType.objects.create(name="Promotions", slug="promotions")
    manager = client_for(world.net.users["manager_a"])
    response = manager.post(url("add"), form_data(
        name="Other consent", unit=world.net.units["a"].pk, communication_type=promotions.pk,
        base=audiences["segment"].pk,
    ))  # fmt: skip
    assert response.status_code == 200
    assert "keeps its communication type" in response.content.decode()
    regional = client_for(world.net.users["regional_north"])
    response = regional.post(url("add"), form_data(
        name="Whole region", unit=world.net.units["north"].pk,
        communication_type=world.newsletter.pk, base=audiences["a"].pk,
    ))  # fmt: skip
    assert response.status_code == 200
    assert "stays inside its units" in response.content.decode()
    assert not Audience.objects.filter(name__in=["Other consent", "Whole region"]).exists()


def test_narrowing_a_segment_keeps_its_filters(audiences, client_for, contact_world):
    world = contact_world
    segment = audiences["segment"]
    segment.city = "Paris"
    segment.save()
    response = client_for(world.net.users["regional_north"]).post(url("add"), form_data(
        name="North of the segment", unit=world.net.units["north"].pk,
        communication_type=world.newsletter.pk, base=segment.pk,
    ))  # fmt: skip
    assert response.status_code == 302
    narrowed = Audience.objects.get(name="North of the segment")
    page = client_for(world.net.users["regional_north"]).get(url("edit", narrowed.pk))
    assert "reaches 1 contact you may see" in page.content.decode()  # Ann, in Paris


def test_edit_page_shows_count_and_sample_with_visible_fields_only(audiences, client_for,
                                                                   contact_world):  # fmt: skip
    users = contact_world.net.users
    editor = client_for(users["editor_a"]).get(url("edit", audiences["a"].pk)).content.decode()
    assert "reaches 1 contact you may see" in editor
    assert "ann@example.org" in editor
    assert "+33612345678" not in editor  # an editor does not see phones
    assert "alex@example.org" not in editor  # unsubscribed
    manager = client_for(users["manager_a"]).get(url("edit", audiences["a"].pk)).content.decode()
    assert "+33612345678" in manager


def test_editors_are_not_offered_filters_on_fields_they_cannot_see(audiences, client_for,
                                                                   contact_world):  # fmt: skip
    world = contact_world
    client = client_for(world.net.users["editor_a"])
    form = client.get(url("add")).content.decode()
    for name in ("city", "postal_prefixes", "birthday_month", "tags", "locales"):
        assert f'name="{name}"' not in form
    response = client.post(url("add"), form_data(
        name="By city", unit=world.net.units["a"].pk, communication_type=world.newsletter.pk,
        city="Paris",
    ))  # fmt: skip
    assert response.status_code == 302
    assert Audience.objects.get(name="By city").city == ""


def test_list_filters_are_bounded(audiences, client_for, contact_world):
    world = contact_world
    client = client_for(world.net.users["manager_a"])
    base = {"unit": world.net.units["a"].pk, "communication_type": world.newsletter.pk}
    too_many = ", ".join(str(n) for n in range(100, 151))
    response = client.post(url("add"), form_data(name="Many", postal_prefixes=too_many, **base))
    assert "At most 50 values." in response.content.decode()
    response = client.post(url("add"), form_data(name="Long", postal_prefixes="7" * 5000, **base))
    assert "At most 1000 characters." in response.content.decode()
    response = client.post(url("add"), form_data(name="Bad", locales="fr, <script>", **base))
    assert "is not a valid locale" in response.content.decode()
    assert not Audience.objects.filter(name__in=["Many", "Long", "Bad"]).exists()


def test_audiences_menu_item_for_members_only(audiences, client_for, contact_world):
    users = contact_world.net.users
    home = reverse("wagtailadmin_home")
    assert url("index") in client_for(users["editor_a"]).get(home).content.decode()
    assert client_for(users["outsider"]).get(reverse(INDEX)).status_code in (302, 403)


def test_an_audience_in_use_is_not_deleted(audiences, client_for, contact_world):
    narrowed = Audience.objects.create(
        name="Narrowed", unit=contact_world.net.units["a"],
        communication_type=contact_world.newsletter, base=audiences["a"],
    )  # fmt: skip
    client = client_for(contact_world.net.users["manager_a"])
    response = client.post(url("delete", audiences["a"].pk))
    assert response.status_code in (302, 403)
    assert Audience.objects.filter(pk=audiences["a"].pk).exists()
    assert client.post(url("delete", narrowed.pk)).status_code == 302
    assert not Audience.objects.filter(pk=narrowed.pk).exists()


def test_a_chain_of_bases_stays_within_what_recipients_follows(audiences, client_for,
                                                               contact_world):  # fmt: skip
    world = contact_world
    base = audiences["a"]
    for level in range(4):  # Store A regulars + 4 = the 5 bases recipients() follows
        base = Audience.objects.create(name=f"Level {level}", unit=world.net.units["a"],
                                       communication_type=world.newsletter, base=base)  # fmt: skip
    response = client_for(world.net.users["manager_a"]).post(url("add"), form_data(
        name="Too deep", unit=world.net.units["a"].pk, communication_type=world.newsletter.pk,
        base=base.pk,
    ))  # fmt: skip
    assert "built on too many others" in response.content.decode()
    assert not Audience.objects.filter(name="Too deep").exists()
