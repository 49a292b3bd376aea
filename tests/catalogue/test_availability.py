"""Availability and local prices, inherited down the org tree, in one query."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from wagtail_distmark.catalogue.models import local_prices
from wagtail_distmark.models import Product, ProductAvailability

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(net):
    figue = Product.objects.create(sku="C-FIG", name="Figue candle", price="29.00")
    ambre = Product.objects.create(sku="C-AMB", name="Ambre candle", price="32.00")
    winter = Product.objects.create(sku="C-WIN", name="Winter candle", price="35.00")
    Product.objects.create(sku="C-OLD", name="Old candle", price="10.00", active=False)
    sold = [
        (figue, "hq", True, None),  # everywhere…
        (figue, "north", False, None),  # …but not in the North…
        (figue, "a", True, "27.50"),  # …except Store A, at its own price
        (ambre, "hq", True, None),
        (ambre, "north", True, "30.00"),  # a regional price, inherited by A and B
        (ambre, "b", True, "31.00"),  # Store B overrides it
        (winter, "south", True, None),  # only in the South
    ]
    for product, key, available, price in sold:
        ProductAvailability.objects.create(
            product=product, unit=net.units[key], available=available, local_price=price
        )
    return {"figue": figue, "ambre": ambre, "winter": winter}


def sold_at(unit):
    return {p.sku: p.unit_price for p in Product.objects.available_at(unit)}


def test_availability_and_prices_are_inherited_and_overridden(net, products):
    assert sold_at(net.units["a"]) == {"C-FIG": Decimal("27.50"), "C-AMB": Decimal("30.00")}
    assert sold_at(net.units["b"]) == {"C-AMB": Decimal("31.00")}
    assert sold_at(net.units["c"]) == {
        "C-FIG": Decimal("29.00"), "C-AMB": Decimal("32.00"), "C-WIN": Decimal("35.00")
    }  # fmt: skip
    assert sold_at(net.units["north"]) == {"C-AMB": Decimal("30.00")}


def test_inactive_or_never_listed_products_are_not_sold(net, products):
    Product.objects.create(sku="C-NEW", name="Not listed anywhere", price="5.00")
    for unit in net.units.values():
        assert "C-OLD" not in sold_at(unit) and "C-NEW" not in sold_at(unit)


def test_one_query_whatever_the_depth(net, products):
    with CaptureQueriesContext(connection) as queries:
        list(Product.objects.available_at(net.units["a"]))
    assert len(queries) == 1


def test_one_row_per_product_and_unit(net, products):
    with pytest.raises(IntegrityError):
        ProductAvailability.objects.create(product=products["figue"], unit=net.units["hq"])


def test_negative_local_price_is_refused(net, products):
    with pytest.raises(IntegrityError):
        ProductAvailability.objects.create(
            product=products["winter"], unit=net.units["c"], local_price="-1.00"
        )


def test_local_prices_follow_available_at(net, products):
    """The flat lookup an e-mail compile makes resolves prices as available_at does, for every
    unit: local prices inherited and overridden; HQ's price where a product is not sold."""
    Product.objects.filter(pk=products["ambre"].pk).update(active=False)
    ProductAvailability.objects.create(product=products["winter"], unit=net.units["c"],
                                       available=False, local_price="36.00")  # fmt: skip
    everything = list(Product.objects.all())
    for unit in net.units.values():
        sold = {p.pk: (p.unit_price, p.price_currency) for p in Product.objects.available_at(unit)}
        with CaptureQueriesContext(connection) as queries:
            local = local_prices(unit, [p.pk for p in everything])
        assert len(queries) == 1
        resolved = {p.pk: local.get(p.pk, (p.price, p.currency)) for p in everything}
        hq = {p.pk: (p.price, p.currency) for p in everything}
        assert resolved == {**hq, **sold}, unit.name
        assert set(local) <= set(sold), unit.name
