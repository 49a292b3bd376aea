"""Files outside the choosers: the admin API, document downloads, the dashboard's counts.

Each case has its twin: the user who may see the file gets it, another unit's user (and an
anonymous visitor) gets a 404 and never the file's name.
"""

import pytest
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from tests.library.conftest import make_document, needs_policy_registry
from wagtail_distmark.library.collections import add_brand_collection, unit_collection
from wagtail_distmark.library.files import in_network, may_download, visible_files

pytestmark = [pytest.mark.django_db, needs_policy_registry]

Image, Document = get_image_model(), get_document_model()


def api(client, kind, pk=None):
    name = f"wagtailadmin_api:{kind}:" + ("detail" if pk else "listing")
    return client.get(reverse(name, args=[pk] if pk else []))


def listed(response) -> dict[int, str]:
    assert response.status_code == 200
    return {item["id"]: item["title"] for item in response.json()["items"]}


# The admin API -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind, files", [("images", "images"), ("documents", "documents")])
@pytest.mark.parametrize("user", ["manager_a", "editor_a", "manager_c", "regional_north"])
def test_admin_api_lists_exactly_the_files_the_user_sees(
    net, library, client_for, kind, files, user
):
    client = client_for(net.users[user])
    model = Image if kind == "images" else Document
    expected = {f.pk: f.title for f in visible_files(net.users[user], model)}
    assert listed(api(client, kind)) == expected
    assert expected  # every member sees something: the brand library at least
    others = [f for f in getattr(library, files).values() if f.pk not in expected]
    assert others  # and not everything
    for other in others:
        response = api(client, kind, other.pk)
        assert response.status_code == 404
        assert other.title not in response.content.decode()
        assert other.title not in api(client, kind).content.decode()


def test_admin_api_detail_of_own_and_brand_files(net, library, client_for):
    client = client_for(net.users["manager_a"])
    for file in (library.images["a"], library.images["brand"], library.images["north"]):
        response = api(client, "images", file.pk)
        assert response.status_code == 200 and response.json()["title"] == file.title
    for file in (library.documents["a"], library.documents["brand"]):
        assert api(client, "documents", file.pk).status_code == 200
    other = client_for(net.users["manager_c"])
    assert api(other, "images", library.images["a"].pk).status_code == 404
    assert api(other, "images", library.images["north"].pk).status_code == 404  # North only
    assert api(other, "documents", library.documents["a"].pk).status_code == 404


def test_admin_api_search_and_find_do_not_reach_other_units(net, library, client_for):
    client = client_for(net.users["manager_c"])
    listing = reverse("wagtailadmin_api:images:listing")
    html = client.get(listing, {"search": "Store A"}).content.decode()
    assert "Store A" not in html
    find = reverse("wagtailadmin_api:documents:find")
    response = client.get(find, {"id": library.documents["a"].pk})
    assert response.status_code == 404


def test_hq_and_superusers_keep_every_file_in_the_admin_api(
    net, library, client_for, django_user_model
):
    all_images = set(Image.objects.values_list("pk", flat=True))
    assert set(listed(api(client_for(net.users["hq"]), "images"))) == all_images
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    assert set(listed(api(client_for(admin), "images"))) == all_images


def test_admin_api_pages_show_a_member_no_page(net, client_for):
    """Members have no page permissions: the pages endpoint lists nothing for them."""
    response = client_for(net.users["manager_a"]).get(reverse("wagtailadmin_api:pages:listing"))
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert response.json()["items"] == []


# Downloads --------------------------------------------------------------------------------


def download(client, document):
    return client.get(document.url)


def test_units_documents_are_downloaded_by_their_unit_and_those_above(net, library, client_for):
    document = library.documents["a"]
    for user in ("manager_a", "editor_a", "regional_north", "hq"):
        response = download(client_for(net.users[user]), document)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == b"%PDF-1.4 demo"


@pytest.mark.parametrize("user", ["manager_c", "outsider", None])
def test_another_units_user_and_anonymous_visitors_get_404(net, library, client, user):
    if user:
        client.force_login(net.users[user])
    for document in (library.documents["a"], library.documents["c"] if user is None else None):
        if document is None:
            continue
        response = download(client, document)
        assert response.status_code == 404
        body = response.content.decode()
        assert document.title not in body and "%PDF" not in body


def test_brand_document_goes_to_its_audience_only(net, library, client_for, client):
    north_doc = make_document("North price list", library.north_only, net.users["hq"])
    for user in ("manager_a", "editor_a", "regional_north", "hq"):
        assert download(client_for(net.users[user]), north_doc).status_code == 200, user
    assert download(client_for(net.users["manager_c"]), north_doc).status_code == 404
    everyone = library.documents["brand"]
    assert download(client_for(net.users["manager_c"]), everyone).status_code == 200
    client.logout()
    assert download(client, everyone).status_code == 404  # never anonymous


def test_documents_outside_the_network_keep_wagtails_behaviour(net, client):
    public = make_document("Press kit", Collection.get_first_root_node())
    assert not in_network(public.collection)
    assert download(client, public).status_code == 200  # anonymous, as Wagtail serves it


def test_files_in_sub_collections_follow_their_unit(net, library):
    inner = unit_collection(net.units["a"]).add_child(name="Flyers")
    document = make_document("Inner flyer", inner)
    assert in_network(inner)
    assert not may_download(net.users["manager_c"], document)
    inner_brand = add_brand_collection(
        "Inner", parent=library.north_only, units=[net.units["north"]]
    )
    assert in_network(inner_brand)


# The dashboard ---------------------------------------------------------------------------


def summary_count(html, label):
    import re

    match = re.search(rf"(\d+) {label}s? <span", html)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize("user", ["editor_a", "manager_a", "manager_c"])
def test_dashboard_counts_what_the_indexes_list(net, library, client_for, user):
    client = client_for(net.users[user])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    images = visible_files(net.users[user], Image)
    documents = visible_files(net.users[user], Document)
    assert summary_count(html, "Image") == images.count()
    assert summary_count(html, "Document") == documents.count()
    index = client.get(reverse("wagtailimages:index")).content.decode()
    assert "You haven't uploaded any images" not in index
    for image in images:
        assert image.title in index
    index = client.get(reverse("wagtaildocs:index")).content.decode()
    for document in documents:
        assert document.title in index


# How files are served --------------------------------------------------------------------


def test_direct_document_serving_is_a_system_check_warning(settings):
    from wagtail_distmark.checks import check_document_serving

    assert check_document_serving(None) == []  # the example site: serve_view
    settings.WAGTAILDOCS_SERVE_METHOD = "direct"
    assert [w.id for w in check_document_serving(None)] == ["wagtail_distmark.W004"]


def test_document_links_go_through_the_checking_view(net, library):
    assert library.documents["a"].url.startswith("/documents/")


def test_development_server_serves_image_files_but_not_documents(settings):
    """The demo serves media with DEBUG on: image files only, never the documents folder."""
    import importlib

    from django.urls import Resolver404, resolve

    import example_site.urls as site_urls

    settings.DEBUG = True
    try:
        debug_urls = importlib.reload(site_urls)
        resolve("/media/original_images/hero.png", debug_urls)
        resolve("/media/images/hero.max-800x600.png", debug_urls)
        with pytest.raises(Resolver404):
            resolve("/media/documents/store-a-flyer.pdf", debug_urls)
        assert resolve("/documents/1/store-a-flyer.pdf", debug_urls).url_name == "wagtaildocs_serve"
    finally:
        settings.DEBUG = False
        importlib.reload(site_urls)
