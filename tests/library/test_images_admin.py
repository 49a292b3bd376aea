"""Wagtail's own image screens, for units: their files and the brand's, never another unit's."""

import pytest
from django.urls import reverse
from wagtail.images import get_image_model

from tests.factories import MembershipFactory
from tests.library.conftest import needs_policy_registry, png_upload
from wagtail_distmark.library.collections import unit_collection
from wagtail_distmark.models import ImageUsageRights

pytestmark = [pytest.mark.django_db, needs_policy_registry]

Image = get_image_model()


def html_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def chooser(client, **params):
    return html_of(client, reverse("wagtailimages_chooser:choose"), **params)


def test_manager_chooser_shows_brand_and_own_store_images_only(net, library, client_for):
    html = chooser(client_for(net.users["manager_a"]))
    for title in ("Brand hero", "North banner", "Store A window", "Store A team"):
        assert title in html
    assert "Store C window" not in html


def test_other_region_manager_sees_neither_store_a_nor_north_imagery(net, library, client_for):
    client = client_for(net.users["manager_c"])
    html = chooser(client)
    assert "Brand hero" in html and "Store C window" in html
    assert "Store A window" not in html and "North banner" not in html
    # Searching does not reach them either.
    assert "Store A window" not in chooser(client, q="window")
    results = reverse("wagtailimages_chooser:choose_results")
    assert "Store A window" not in html_of(client, results, q="Store A")


@pytest.mark.parametrize("layout", ["grid", "list"])
def test_index_lists_own_files_and_the_brand_library_read_only(net, library, client_for, layout):
    html = html_of(
        client_for(net.users["manager_a"]), reverse("wagtailimages:index"), layout=layout
    )
    assert "Store A window" in html and "Store A team" in html
    assert "Brand hero" in html and "North banner" in html  # the brand library, to browse
    assert "Store C window" not in html
    own, brand = library.images["a"], library.images["brand"]
    assert reverse("wagtailimages:edit", args=[own.pk]) in html
    assert reverse("wagtailimages:edit", args=[brand.pk]) not in html  # read-only
    assert f'data-object-id="{own.pk}"' in html  # bulk actions: own files only
    assert f'data-object-id="{brand.pk}"' not in html
    html = html_of(client_for(net.users["manager_c"]), reverse("wagtailimages:index"), q="Store")
    assert "Store A" not in html
    hq_html = html_of(client_for(net.users["hq"]), reverse("wagtailimages:index"))
    assert "Store C window" in hq_html and "Brand hero" in hq_html


@pytest.mark.parametrize(
    "name, args",
    [
        ("wagtailimages:edit", []),
        ("wagtailimages:delete", []),
        ("wagtailimages:url_generator", []),
        ("wagtailimages:preview", ["fill-100x100"]),
        ("wagtailimages:image_usage", []),
        ("wagtailimages:edit_multiple", []),
        ("wagtailimages:delete_multiple", []),
        ("wagtailimages_chooser:chosen", []),
    ],
)
def test_every_image_url_refuses_another_stores_image(net, library, client_for, name, args):
    image = library.images["a"]
    url = reverse(name, args=[image.pk, *args])
    client = client_for(net.users["manager_c"])
    response = client.get(url)
    assert response.status_code == 404, (name, response.status_code)
    assert "Store A window" not in response.content.decode()
    response = client.post(url, {"title": "Hacked"})
    assert response.status_code == 404, (name, response.status_code)
    image.refresh_from_db()
    assert image.title == "Store A window"
    # Its twin: store A's manager gets past the guard to Wagtail's own view.
    expected = {"wagtailimages:edit_multiple": 405, "wagtailimages:delete_multiple": 405,
                "wagtailimages:url_generator": 404}.get(name, 200)  # fmt: skip
    assert client_for(net.users["manager_a"]).get(url).status_code == expected, name


def test_units_cannot_change_or_delete_brand_images(net, library, client_for):
    image = library.images["brand"]
    client = client_for(net.users["manager_a"])
    assert client.get(reverse("wagtailimages:edit", args=[image.pk])).status_code == 403
    response = client.post(reverse("wagtailimages:delete", args=[image.pk]))
    assert response.status_code == 403
    assert Image.objects.filter(pk=image.pk).exists()
    # HQ can.
    hq = client_for(net.users["hq"])
    assert hq.get(reverse("wagtailimages:edit", args=[image.pk])).status_code == 200


def test_editor_changes_own_uploads_but_not_the_managers(net, library, client_for):
    client = client_for(net.users["editor_a"])
    own, managers = library.images["a_editor"], library.images["a"]
    assert client.get(reverse("wagtailimages:edit", args=[own.pk])).status_code == 200
    assert client.get(reverse("wagtailimages:edit", args=[managers.pk])).status_code == 403
    # The store manager may change any image of the store.
    manager = client_for(net.users["manager_a"])
    assert manager.get(reverse("wagtailimages:edit", args=[own.pk])).status_code == 200


def test_upload_goes_into_the_users_own_store_collection(net, library, client_for):
    client = client_for(net.users["editor_a"])
    form_html = html_of(client, reverse("wagtailimages:add"))
    assert 'name="collection"' not in form_html  # only one collection: no choice to make
    response = client.post(
        reverse("wagtailimages:add"), {"title": "New poster", "file": png_upload()}
    )
    assert response.status_code == 302
    image = Image.objects.get(title="New poster")
    assert image.collection == unit_collection(net.units["a"])


def test_forged_upload_into_another_stores_collection_is_refused(net, library, client_for):
    other = unit_collection(net.units["c"])
    forged = {"title": "Forged", "file": png_upload(), "collection": other.pk}
    # One collection of their own: Wagtail ignores the posted one and uses it.
    for username, own in (("manager_a", "a"), ("regional_north", "north")):
        client = client_for(net.users[username])
        response = client.post(reverse("wagtailimages:add"), {**forged, "file": png_upload()})
        assert response.status_code == 302
        assert Image.objects.get(title="Forged").collection == unit_collection(net.units[own])
        Image.objects.filter(title="Forged").delete()
    # Two collections of their own: the posted one must be one of them.
    MembershipFactory(user=net.users["manager_a"], unit=net.units["b"], role="unit_manager")
    client = client_for(net.fresh("manager_a"))
    response = client.post(reverse("wagtailimages:add"), {**forged, "file": png_upload()})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Image.objects.filter(title="Forged").exists()
    html = client.get(reverse("wagtailimages:add")).content.decode()
    assert "Store A (C-A)" in html and "Store B (C-B)" in html and "Store C" not in html


def test_expired_images_vanish_from_units_choosers_not_from_hqs(net, library, client_for):
    import datetime

    from django.utils import timezone

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ImageUsageRights.objects.create(image=library.images["brand"], expires_on=yesterday)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    ImageUsageRights.objects.create(image=library.images["north"], starts_on=tomorrow)
    html = chooser(client_for(net.users["manager_a"]))
    assert "Brand hero" not in html and "North banner" not in html
    assert "Store A window" in html
    chosen = reverse("wagtailimages_chooser:chosen", args=[library.images["brand"].pk])
    # Searching applies the same filter (the search backend accepts it: a filter on ids).
    assert chosen not in chooser(client_for(net.users["manager_a"]), q="Brand hero")
    assert chosen in chooser(client_for(net.users["hq"]), q="Brand hero")
    assert client_for(net.users["manager_a"]).get(chosen).status_code in (403, 404)
    assert "Brand hero" in chooser(client_for(net.users["hq"]))


def test_usage_rights_are_edited_on_the_image_form(net, library, client_for):
    image = library.images["brand"]
    client = client_for(net.users["hq"])
    url = reverse("wagtailimages:edit", args=[image.pk])
    data = {"title": image.title, "collection": image.collection_id, "tags": ""}
    response = client.post(url, {**data, "usage_starts_on": "2026-12-01",
                                 "usage_expires_on": "2026-11-01"})  # fmt: skip
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert not ImageUsageRights.objects.filter(pk=image.pk).exists()
    response = client.post(url, {**data, "usage_expires_on": "2027-01-31"})
    assert response.status_code == 302
    assert str(ImageUsageRights.objects.get(pk=image.pk).expires_on) == "2027-01-31"


def collection_options(html) -> dict[str, int]:
    """The chooser's collection menu: option label -> indentation level."""
    import re

    select = re.search(r'<select name="collection_id".*?</select>', html, re.S).group(0)
    options = re.findall(r"<option value=\"\d+\"[^>]*>(.*?)</option>", select, re.S)
    levels = {}
    for label in options:
        name = re.sub(r"^(&nbsp;)*(&#x21b3)?\s*", "", label.strip())
        levels[name] = label.count("&nbsp;") // 4
    return levels


@pytest.mark.parametrize(
    "user, expected",
    [
        ("manager_a", {"Brand library": 0, "Photos": 1, "North imagery": 1, "Store A (C-A)": 0}),
        (
            "regional_north",
            {"Brand library": 0, "Photos": 1, "North imagery": 1, "North (C-NORTH)": 0},
        ),
        ("manager_c", {"Brand library": 0, "Photos": 1, "Store C (C-C)": 0}),
    ],
)
def test_chooser_collection_menu_follows_the_real_tree(net, library, client_for, user, expected):
    """A unit's collection is not indented under an unrelated (brand) collection; brand
    sub-collections stay under the brand library."""
    import json

    response = client_for(net.users[user]).get(reverse("wagtailimages_chooser:choose"))
    assert collection_options(json.loads(response.content)["html"]) == expected
