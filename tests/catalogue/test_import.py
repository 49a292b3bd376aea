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
    assert report.errors == [
        (1, "Missing column(s): name, price. The first line has: “sku”, “title”.")
    ]
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
    windows = import_products("sku,name,price\nC-X,Été – “best”,12\n".encode("cp1252"))
    assert windows.ok and Product.objects.get(sku="C-X").name == "Été – “best”"
    assert import_products(b"sku,name,price\nC-Y,\x81\x8d,12\n").errors == [
        (1, "The file is not text: save it as CSV UTF-8.")
    ]
    assert Product.objects.count() == 2


def test_a_semicolon_separated_file_from_excel_is_read():
    report = import_products("sku;name;price\r\nC-FIG;Figue candle;29,00\r\n".encode("cp1252"))
    assert report.ok and Product.objects.get(sku="C-FIG").price == Decimal("29.00")
    tabs = import_products("sku\tname\tprice\nC-AMB\tAmbre\t12\n")
    assert tabs.ok and Product.objects.filter(sku="C-AMB").exists()


def test_missing_columns_say_what_was_found():
    report = import_products("ref;title;cost\nC-X;Something;3\n")
    assert report.errors == [
        (1, "Missing column(s): name, price, sku. The first line has: “ref”, “title”, “cost”.")
    ]


BAD_ROWS = """sku,name,price,category
C-OK1,First good,10.00,Candles
C-NAN,Not a number,NaN,Candles
C-INF,Infinite,Infinity,Candles
C-NEGINF,Minus infinite,-inf,Candles
C-BIG,Too expensive,123456789012.00,Candles
C-LONG,{long},5.00,Candles
C-CAT,Long category,5.00,{category}
C-NUL,Nul\x00byte,5.00,Candles
{sku},Long SKU,5.00,Candles
C-OK2,Second good,12.00,Candles
""".format(long="x" * 300, category="c" * 101, sku="S" * 65)


def test_every_bad_row_is_reported_with_its_column_and_every_good_row_is_imported():
    report = import_products(BAD_ROWS)
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["C-OK1", "C-OK2"]
    assert report.created == 2
    lines = dict(report.errors)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert lines[3] == "price “NaN” is not a number."
    assert lines[4] == "price “Infinity” is not a number."
    assert lines[6].startswith("price: Ensure that there are no more than 10 digits")
    assert lines[7].startswith("name: Ensure this value has at most 255 characters")
    assert lines[8].startswith("category: Ensure this value has at most 100 characters")
    assert lines[9] == "name contains a NUL character."
    assert lines[10].startswith("sku: Ensure this value has at most 64 characters")


def test_an_overflowing_local_price_is_refused_and_the_availability_list_still_opens(
    net, client_for
):
    from django.urls import reverse

    import_products(PRODUCTS)
    report = import_availability(
        "sku,unit_code,local_price\nC-FIG,C-A,99999999999\nC-FIG,C-B,nan\nC-AMB,C-A,12\n"
    )
    assert [line for line, _reason in report.errors] == [2, 3]
    assert report.errors[0][1].startswith("local_price: Ensure that there are no more than")
    assert ProductAvailability.objects.count() == 1
    url = reverse("wagtailsnippets_wagtail_distmark_productavailability:list")
    assert client_for(net.users["hq"]).get(url).status_code == 200


def test_when_the_database_refuses_a_good_row_nothing_is_imported(monkeypatch):
    from django.db import DatabaseError

    from wagtail_distmark.catalogue import importers

    calls = []
    original = importers.save

    def failing_save(report, planned):
        calls.append(planned)
        if len(calls) == 2:
            raise DatabaseError("disk full")
        original(report, planned)

    monkeypatch.setattr(importers, "save", failing_save)
    report = import_products("sku,name,price\nC-1,One,1\nC-2,Two,2\n")
    assert not Product.objects.exists()
    assert report.created == 0
    assert report.errors == [(1, "Nothing was imported: the database refused it (disk full).")]
