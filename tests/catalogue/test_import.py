"""CSV imports: good rows in, every bad row reported with its line, re-import idempotent."""

from decimal import Decimal

import pytest

from wagtail_distmark.catalogue.importers import import_availability, import_products
from wagtail_distmark.models import Product, ProductAvailability

pytestmark = pytest.mark.django_db

PRODUCTS = """sku,name,price,currency,category,active,description
C-FIG,Figue candle,29.00,EUR,Candles,yes,Green fig
C-AMB,Ambre candle,"32,50",eur,Candles,,Warm amber
,No SKU,10.00,EUR,,,
C-BAD,Bad price,ten,EUR,,,
C-FIG,Figue again,30.00,EUR,,,
C-NEG,Negative,-1,EUR,,,
C-CUR,Bad currency,5.00,EURO,,,
C-ACT,Bad flag,5.00,EUR,,maybe,
"""


def test_good_rows_are_imported_and_every_bad_row_is_reported():
    report = import_products(PRODUCTS)
    assert (report.created, report.updated) == (2, 0)
    assert report.errors == [
        (4, "sku and name are required."),
        (5, "price “ten” is not a number."),
        (6, "SKU C-FIG appears twice in this file."),
        (7, "price cannot be negative."),
        (8, "currency must be a 3-letter code such as EUR."),
        (9, "active must be yes or no, not “maybe”."),
    ]
    amber = Product.objects.get(sku="C-AMB")
    assert (amber.price, amber.currency, amber.active) == (Decimal("32.50"), "EUR", True)
    assert Product.objects.count() == 2


def test_reimport_is_idempotent_and_updates_what_changed():
    import_products(PRODUCTS)
    again = import_products(PRODUCTS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = import_products("sku,name,price\nC-FIG,Figue candle,31.00\n")
    assert (changed.created, changed.updated) == (0, 1)
    assert Product.objects.get(sku="C-FIG").price == Decimal("31.00")
    assert Product.objects.get(sku="C-FIG").description == ""  # the file is the truth


def test_missing_columns_are_one_clear_error_and_nothing_is_imported():
    report = import_products("sku,title\nC-X,Something\n")
    assert report.errors == [(1, "Missing column(s): name, price.")]
    assert not Product.objects.exists()


def test_availability_import(net):
    import_products(PRODUCTS)
    report = import_availability(
        "sku,unit_code,available,local_price\n"
        "C-FIG,C-HQ,yes,\n"
        "C-FIG,C-NORTH,no,\n"
        "C-FIG,C-A,yes,27.50\n"
        "C-XXX,C-A,yes,\n"
        "C-AMB,NOPE,yes,\n"
        "C-FIG,C-A,yes,26\n"
    )
    assert report.created == 3
    assert report.errors == [
        (5, "No product has the SKU “C-XXX”."),
        (6, "No unit has the code “NOPE”."),
        (7, "This product and unit appear twice in this file."),
    ]
    sold_at_a = {p.sku: p.unit_price for p in Product.objects.available_at(net.units["a"])}
    assert sold_at_a == {"C-FIG": Decimal("27.50")}
    assert not Product.objects.available_at(net.units["b"]).exists()
    assert ProductAvailability.objects.count() == 3


def test_uploaded_bytes_with_a_bom_and_files_in_another_encoding():
    report = import_products("\ufeffsku,name,price\nC-ÉTÉ,Été,12\n".encode())
    assert report.ok and Product.objects.get(sku="C-ÉTÉ").name == "Été"
    latin1 = import_products("sku,name,price\nC-X,Été,12\n".encode("latin-1"))
    assert latin1.errors == [(1, "The file is not UTF-8 text: save it as CSV UTF-8.")]
    assert Product.objects.count() == 1
