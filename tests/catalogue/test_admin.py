"""The catalogue admin: HQ manages products and imports CSV files; units may only look."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wagtail_distmark.models import Product, ProductAvailability

pytestmark = pytest.mark.django_db

IMPORT = "wagtail_distmark:catalogue_import"


def products_url(action="list", *args):
    return reverse(f"wagtailsnippets_wagtail_distmark_product:{action}", args=args)


def upload(text, kind="products"):
    return {"kind": kind, "file": SimpleUploadedFile("products.csv", text.encode(), "text/csv")}


def test_hq_imports_products_and_sees_the_report(net, client_for):
    client = client_for(net.users["hq"])
    assert "Import CSV" in client.get(products_url()).content.decode()
    response = client.post(reverse(IMPORT), upload("sku,name,price\nC-1,One,5\nC-2,,6\n"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 created, 0 updated, 0 unchanged." in html
    assert "1 row was not imported:" in html and "sku and name are required." in html
    assert list(Product.objects.values_list("sku", flat=True)) == ["C-1"]


def test_too_large_or_missing_file_is_a_form_error(net, client_for, monkeypatch):
    from wagtail_distmark.catalogue import admin

    monkeypatch.setattr(admin, "MAX_IMPORT_BYTES", 10)
    client = client_for(net.users["hq"])
    html = client.post(reverse(IMPORT), upload("sku,name,price\nC-1,One,5\n")).content.decode()
    assert "The file is larger than 5 MB." in html
    assert (
        "This field is required."
        in client.post(reverse(IMPORT), {"kind": "products"}).content.decode()
    )
    assert not Product.objects.exists()


@pytest.mark.parametrize("username", ["regional_north", "manager_a", "editor_a"])
def test_units_cannot_import_or_change_products(net, client_for, username):
    product = Product.objects.create(sku="C-1", name="One", price="5.00")
    ProductAvailability.objects.create(product=product, unit=net.units["hq"])  # sold everywhere
    client = client_for(net.users[username])
    response = client.post(reverse(IMPORT), upload("sku,name,price\nC-1,Hijacked,1\n"))
    assert response.status_code in (302, 403)
    assert client.get(products_url("edit", product.pk)).status_code in (302, 403)
    client.post(products_url("edit", product.pk), {"sku": "C-1", "name": "Hijacked", "price": "1"})
    product.refresh_from_db()
    assert (product.name, str(product.price)) == ("One", "5.00")
    listing = client.get(products_url())
    assert listing.status_code == 200 and "One" in listing.content.decode()  # they may look
    assert "Import CSV" not in listing.content.decode()


@pytest.mark.parametrize("crafted", ["\u200b", "abc", "99999999999999999999"])
def test_a_product_id_that_is_not_a_number_is_a_form_error(net, client_for, crafted):
    """Found by the form fuzz: Wagtail's chooser widget raised drawing the form again."""
    product = Product.objects.create(sku="FIGUE", name="Figue candle", price="29.00")
    client = client_for(net.users["hq"])
    url = reverse("wagtailsnippets_wagtail_distmark_productavailability:add")
    data = {"product": crafted, "unit": net.units["a"].pk, "available": "on"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ProductAvailability.objects.exists()
    response = client.post(url, {**data, "product": product.pk})  # the real id still works
    assert response.status_code == 302
    assert ProductAvailability.objects.get().product == product


def test_deleting_a_product_with_a_next_that_is_not_a_url_goes_to_the_listing(net, client_for):
    """Found by the form fuzz: Wagtail's delete view redirected with ``redirect("{{")``."""
    product = Product.objects.create(sku="FIGUE", name="Figue candle", price="29.00")
    client = client_for(net.users["hq"])
    response = client.post(products_url("delete", product.pk), {"next": "{{"})
    assert response.status_code == 302
    assert response["Location"] == products_url()
    assert not Product.objects.exists()
    kept = Product.objects.create(sku="CEDRE", name="Cedre candle", price="29.00")
    response = client.post(products_url("delete", kept.pk), {"next": "/admin/"})
    assert response["Location"] == "/admin/"
