"""The product chooser: search, category filter, thumbnail, the unit's price, a page size that
fits a catalogue, and "Edit this product" only for users who may change products."""

import re

import pytest
from django.urls import reverse
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.images import get_image_model
from wagtail.snippets.widgets import AdminSnippetChooser

from tests.library.conftest import make_image
from wagtail_distmark.library.collections import add_brand_collection
from wagtail_distmark.models import Product, ProductAvailability

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(net):
    photo = make_image("Pine photo", add_brand_collection("Photos"))
    pine = Product.objects.create(
        sku="N-1", name="Northern pine", price="31.00", category="Candles", image=photo
    )
    soap = Product.objects.create(sku="N-2", name="Lavender soap", price="8.50", category="Soaps")
    south = Product.objects.create(
        sku="S-1", name="Southern fig", price="27.00", category="Candles"
    )
    ProductAvailability.objects.create(product=pine, unit=net.units["north"])
    ProductAvailability.objects.create(product=pine, unit=net.units["a"], local_price="33.00")
    ProductAvailability.objects.create(product=soap, unit=net.units["north"])
    ProductAvailability.objects.create(product=south, unit=net.units["c"])
    return {"pine": pine, "soap": soap, "south": south}


def chooser(client, name="choose", **params):
    url = reverse(f"wagtailsnippetchoosers_wagtail_distmark_product:{name}")
    response = client.get(url, params)
    assert response.status_code == 200
    return response.json()["html"] if name == "choose" else response.content.decode()


def test_chooser_shows_thumbnail_category_and_the_units_price(net, catalogue, client_for):
    html = chooser(client_for(net.users["editor_a"]))
    assert "Northern pine" in html and "Lavender soap" in html
    assert "Southern fig" not in html
    assert "Price at Store A" in html
    assert "€33.00" in html  # Store A's local price, not HQ's 31.00
    assert "€8.50" in html and "Soaps" in html and "Candles" in html
    rendition = get_image_model().objects.get(title="Pine photo").renditions.first()
    assert rendition is not None and rendition.url in html


def test_chooser_search_and_category_filter(net, catalogue, client_for):
    client = client_for(net.users["editor_a"])
    html = chooser(client, "choose_results", q="lavender")
    assert "Lavender soap" in html and "Northern pine" not in html
    html = chooser(client, "choose_results", q="N-1")  # by SKU
    assert "Northern pine" in html and "Lavender soap" not in html
    html = chooser(client, "choose_results", category="Soaps")
    assert "Lavender soap" in html and "Northern pine" not in html
    # the twin: another region's product is not found by its name either
    assert "Southern fig" not in chooser(client, "choose_results", q="fig")
    assert "Southern fig" in chooser(client_for(net.users["manager_c"]), "choose_results", q="fig")


def test_category_menu_lists_only_categories_in_scope(net, catalogue, client_for):
    html = chooser(client_for(net.users["manager_c"]))
    options = re.findall(r'<option value="([^"]*)"', html)
    assert options == ["", "Candles"]


def test_a_whole_catalogue_fits_one_page(net, client_for):
    for number in range(36):
        product = Product.objects.create(sku=f"P-{number}", name=f"Product {number}", price="1")
        ProductAvailability.objects.create(product=product, unit=net.units["hq"])
    html = chooser(client_for(net.users["editor_a"]))
    assert all(f"Product {number} (P-{number})" in html for number in range(36))
    assert "Page 1 of 1" in html


def test_edit_link_only_for_users_who_may_change_products(net, catalogue):
    pine = catalogue["pine"]
    edit = reverse("wagtailsnippets_wagtail_distmark_product:edit", args=[pine.pk])
    assert AdminURLFinder(net.users["hq"]).get_edit_url(pine) == edit
    for user in ("editor_a", "manager_a", "regional_north"):
        assert AdminURLFinder(net.users[user]).get_edit_url(pine) is None
    # The block's widget renders without a user: no link for anyone there.
    widget = AdminSnippetChooser(Product)
    assert widget.get_value_data(pine)["edit_url"] is None
    html = widget.render("product", pine, attrs={"id": "id_product"})
    assert re.search(r"<a data-chooser-edit-link[^>]* hidden", html)


def test_chosen_response_carries_the_edit_link_for_hq_only(net, catalogue, client_for):
    pine = catalogue["pine"]
    chosen = reverse("wagtailsnippetchoosers_wagtail_distmark_product:chosen", args=[pine.pk])
    editor = client_for(net.users["editor_a"]).get(chosen).json()["result"]
    assert not editor["edit_url"]
    hq = client_for(net.users["hq"]).get(chosen).json()["result"]
    assert hq["edit_url"].endswith(f"/edit/{pine.pk}/")
