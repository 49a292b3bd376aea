"""Units see, search and choose only the products sold in their scope; every other product's
URL is a 404. HQ sees the whole catalogue."""

import pytest
from django.urls import reverse

from wagtail_distmark.models import Product, ProductAvailability

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(net):
    everywhere = Product.objects.create(sku="E", name="Everywhere candle", price="20.00")
    north = Product.objects.create(sku="N", name="Northern pine", price="31.00")
    south = Product.objects.create(sku="S", name="Southern fig", price="27.00")
    ProductAvailability.objects.create(product=everywhere, unit=net.units["hq"])
    ProductAvailability.objects.create(product=north, unit=net.units["north"])
    ProductAvailability.objects.create(product=south, unit=net.units["c"], local_price="25.00")
    return {"everywhere": everywhere, "north": north, "south": south}


def url(name, *args):
    return reverse(f"wagtailsnippets_wagtail_distmark_product:{name}", args=args)


def chooser(name="choose", *args):
    return reverse(f"wagtailsnippetchoosers_wagtail_distmark_product:{name}", args=args)


def text(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200, path
    return response.content.decode()


@pytest.mark.parametrize("view", [url, chooser])
def test_listing_search_and_chooser_show_only_products_sold_in_scope(
    net, catalogue, client_for, view
):
    manager_a = client_for(net.users["manager_a"])
    html = text(manager_a, view("list" if view is url else "choose"))
    assert "Everywhere candle" in html and "Northern pine" in html
    assert "Southern fig" not in html
    html = text(manager_a, view("list" if view is url else "choose"), q="fig")
    assert "Southern fig" not in html
    # The twin: store C sees its own product, not the North's.
    html = text(client_for(net.users["manager_c"]), view("list" if view is url else "choose"))
    assert "Southern fig" in html and "Northern pine" not in html
    html = text(client_for(net.users["hq"]), view("list" if view is url else "choose"))
    assert all(name in html for name in ("Everywhere candle", "Northern pine", "Southern fig"))


@pytest.mark.parametrize("action", ["edit", "delete", "history", "usage"])
def test_every_product_url_is_404_outside_scope(net, catalogue, client_for, action):
    south = catalogue["south"]
    client = client_for(net.users["manager_a"])
    for response in (client.get(url(action, south.pk)), client.post(url(action, south.pk))):
        assert response.status_code == 404
        assert "Southern fig" not in response.content.decode()
    assert Product.objects.filter(pk=south.pk, name="Southern fig").exists()
    # The twin: the product they do see gets past the scope (then Wagtail's own checks).
    assert client.get(url(action, catalogue["north"].pk)).status_code != 404


def test_chosen_view_refuses_a_product_outside_scope(net, catalogue, client_for):
    client = client_for(net.users["manager_a"])
    assert client.get(chooser("chosen", catalogue["south"].pk)).status_code == 404
    response = client.get(chooser("chosen", catalogue["north"].pk))
    assert response.status_code == 200 and "Northern pine" in response.content.decode()
    response = client.get(chooser("chosen_multiple"), {"id": [catalogue["south"].pk]})
    assert "Southern fig" not in response.content.decode()


def test_availability_rows_of_other_units_are_hidden(net, catalogue, client_for):
    availability = reverse("wagtailsnippets_wagtail_distmark_productavailability:list")
    html = text(client_for(net.users["manager_a"]), availability)
    assert "Southern fig" not in html
    row = ProductAvailability.objects.get(product=catalogue["south"])
    edit = reverse("wagtailsnippets_wagtail_distmark_productavailability:edit", args=[row.pk])
    assert client_for(net.users["manager_a"]).get(edit).status_code == 404
    assert "Southern fig" in text(client_for(net.users["manager_c"]), availability)
