"""Wagtail's bulk actions for images and documents (tag, add to collection, delete).

Each case has its twin: the user acts on a file of their unit (the row changes), and another
unit's file named in the same URL is neither shown on the page nor changed.
"""

import pytest
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from tests.library.conftest import needs_policy_registry
from wagtail_distmark.library.collections import unit_collection

pytestmark = [pytest.mark.django_db, needs_policy_registry]

Image, Document = get_image_model(), get_document_model()
KINDS = {"images": ("wagtailimages", "image"), "documents": ("wagtaildocs", "document")}
ACTIONS = ["add_tags", "add_to_collection", "delete"]


def bulk_url(kind, action, *files):
    url = reverse("wagtail_bulk_action", args=(*KINDS[kind], action))
    return url + "?" + "&".join(f"id={file.pk}" for file in files)


def files_of(library, kind):
    return getattr(library, kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("user", ["editor_a", "manager_a", "regional_north"])
def test_another_units_file_is_not_named(net, library, client_for, kind, action, user):
    client = client_for(net.users[user])
    secret = files_of(library, kind)["c"]
    for response in (client.get(bulk_url(kind, action, secret)),
                     client.post(bulk_url(kind, action, secret), {"tags": "x"})):  # fmt: skip
        assert response.status_code == 404
        assert secret.title not in response.content.decode()
    assert type(secret).objects.filter(pk=secret.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ACTIONS)
def test_own_file_is_listed_and_another_units_file_in_the_same_url_is_not(
    net, library, client_for, kind, action
):
    own, secret = files_of(library, kind)["a"], files_of(library, kind)["c"]
    response = client_for(net.users["manager_a"]).get(bulk_url(kind, action, own, secret))
    assert response.status_code == 200
    page = response.content.decode()
    assert own.title in page and secret.title not in page


@pytest.mark.parametrize("kind", KINDS)
def test_tagging_changes_own_file_and_not_another_units(net, library, client_for, kind):
    own, secret = files_of(library, kind)["a"], files_of(library, kind)["c"]
    client = client_for(net.users["manager_a"])
    response = client.post(bulk_url(kind, "add_tags", own, secret), {"tags": "autumn"})
    assert response.status_code == 302
    assert list(own.tags.names()) == ["autumn"]
    assert list(secret.tags.names()) == []


def test_editor_tags_own_upload(net, library, client_for):
    own = library.images["a_editor"]
    response = client_for(net.users["editor_a"]).post(
        bulk_url("images", "add_tags", own), {"tags": "window"}
    )
    assert response.status_code == 302
    assert list(own.tags.names()) == ["window"]


@pytest.mark.parametrize("kind", KINDS)
def test_delete_removes_own_file_and_not_another_units(net, library, client_for, kind):
    own, secret = files_of(library, kind)["a"], files_of(library, kind)["c"]
    client = client_for(net.users["manager_a"])
    response = client.post(bulk_url(kind, "delete", own, secret))
    assert response.status_code == 302
    assert not type(own).objects.filter(pk=own.pk).exists()
    assert type(secret).objects.filter(pk=secret.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_seen_but_not_changeable_is_not_acted_on(net, library, client_for, kind):
    brand = files_of(library, kind)["brand"]
    client = client_for(net.users["manager_a"])
    page = client.get(bulk_url(kind, "delete", brand)).content.decode()
    assert brand.title in page  # listed as "no access": the user sees it anyway
    assert client.post(bulk_url(kind, "delete", brand)).status_code == 302
    assert type(brand).objects.filter(pk=brand.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_add_to_collection_moves_a_file_within_the_users_scope(net, library, client_for, kind):
    """North's regional manager moves Store A's file to North's collection; C's stays."""
    own, secret = files_of(library, kind)["a"], files_of(library, kind)["c"]
    target = unit_collection(net.units["north"])
    client = client_for(net.users["regional_north"])
    url = bulk_url(kind, "add_to_collection", own, secret)
    response = client.post(url, {"collection": target.pk})
    assert response.status_code == 302
    own.refresh_from_db(), secret.refresh_from_db()
    assert own.collection == target
    assert secret.collection == unit_collection(net.units["c"])


@pytest.mark.parametrize("kind", KINDS)
def test_a_forged_collection_is_refused_on_the_field(net, library, client_for, kind):
    own = files_of(library, kind)["a"]
    store_b = unit_collection(net.units["b"])  # Store A's sibling: its manager may not add there
    client = client_for(net.users["manager_a"])
    response = client.post(bulk_url(kind, "add_to_collection", own), {"collection": store_b.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["collection"]
    assert store_b.name not in str(response.context["form"]["collection"])
    own.refresh_from_db()
    assert own.collection == unit_collection(net.units["a"])


@pytest.mark.parametrize("collection", ["x", "", "99999999"])
def test_a_crafted_collection_value_is_a_field_error(net, library, client_for, collection):
    own = library.images["a"]
    response = client_for(net.users["manager_a"]).post(
        bulk_url("images", "add_to_collection", own), {"collection": collection}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["collection"]


def test_non_numeric_ids_are_not_a_crash(net, library, client_for):
    url = reverse("wagtail_bulk_action", args=KINDS["images"] + ("add_tags",)) + "?id=abc"
    assert client_for(net.users["manager_a"]).get(url).status_code == 404


def test_hq_tags_a_stores_file(net, library, client_for):
    secret = library.images["c"]
    response = client_for(net.users["hq"]).post(
        bulk_url("images", "add_tags", secret), {"tags": "checked"}
    )
    assert response.status_code == 302
    assert list(secret.tags.names()) == ["checked"]


@pytest.mark.parametrize("kind", KINDS)
def test_select_all_acts_on_the_users_files_only(net, library, client_for, kind):
    url = reverse("wagtail_bulk_action", args=(*KINDS[kind], "add_tags")) + "?id=all"
    response = client_for(net.users["manager_a"]).post(url, {"tags": "all"})
    assert response.status_code == 302
    tagged = set(type(files_of(library, kind)["a"]).objects.filter(tags__name="all"))
    assert files_of(library, kind)["a"] in tagged
    assert files_of(library, kind)["c"] not in tagged
    assert files_of(library, kind)["brand"] not in tagged


@pytest.mark.parametrize("next_url", ["{{", "index", "https://evil.example/x"])
def test_a_next_that_is_not_a_path_returns_to_the_page(net, library, client_for, next_url):
    """Found by the form fuzz: ``redirect("{{")`` was a NoReverseMatch, a 500."""
    own = files_of(library, "images")["a"]
    client = client_for(net.users["manager_a"])
    url = bulk_url("images", "add_tags", own)
    response = client.post(url, {"tags": "autumn", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == url.split("?")[0]
    assert list(own.tags.names()) == ["autumn"]
    response = client.post(url, {"tags": "winter", "next": "/admin/images/"})
    assert response["Location"] == "/admin/images/"
