"""The Network index filters by its declared filters only (issue 9): a query parameter that
is not a declared filter, search, ordering or page number is ignored, so lookups through
relations cannot answer questions about other units, and unknown names are not a 500."""

import re

import pytest
from django.urls import reverse

from wagtail_distmark.models import Product, ProductAvailability

pytestmark = pytest.mark.django_db

INDEX = reverse("distmark_network_modeladmin_index")
VIA_PRODUCTS = "product_availability__product__availability__"


@pytest.fixture
def shared_product(net):
    """One product stocked by Store A (North) and Store C (South), each with its price."""
    product = Product.objects.create(sku="CND-1", name="Ambre", price="31.00", currency="EUR")
    ProductAvailability.objects.create(product=product, unit=net.units["a"], local_price="20")
    ProductAvailability.objects.create(product=product, unit=net.units["c"], local_price="35")
    return product


def listing(client, params):
    """The names of the units listed (in the table, not the filters), in order."""
    response = client.get(INDEX, params)
    assert response.status_code == 200, params
    return re.findall(r'class="distmark-tree"[^>]*>([^<]*)<', response.content.decode())


def test_a_password_hash_probe_answers_nothing(net, client_for, shared_product):
    victim = net.users["manager_c"]
    probe = f"{VIA_PRODUCTS}unit__memberships__user__password__startswith"
    client = client_for(net.users["manager_a"])
    right = listing(client, {probe: victim.password[:12]})
    wrong = listing(client, {probe: "nope$" + victim.password[:7]})
    assert right == wrong == ["Store A"]


def test_a_username_probe_through_memberships_answers_nothing(net, client_for, shared_product):
    probe = f"{VIA_PRODUCTS}unit__memberships__user__username"
    client = client_for(net.users["manager_a"])
    assert listing(client, {probe: "manager_c"}) == listing(client, {probe: "nobody"})


def test_a_regional_manager_cannot_read_another_regions_prices(net, client_for, shared_product):
    client = client_for(net.users["regional_north"])
    guess = {f"{VIA_PRODUCTS}unit__code": net.units["c"].code}
    high = listing(client, {**guess, f"{VIA_PRODUCTS}local_price__gte": "30"})
    low = listing(client, {**guess, f"{VIA_PRODUCTS}local_price__gte": "40"})
    assert high == low == ["North", "Store A", "Store B"]


@pytest.mark.parametrize(
    "params",
    [
        {"parent": "3"},
        {"ordering": "x"},
        {"collection_id": "\x00"},
        {"code__regex": "("},
        {"pk__in": "a,b"},
        {"o": "x.-99.3"},
        {"o": "99"},
        {"p": "abc"},
        {"p": "9999"},
        {"e": "1"},
        {"within": "abc"},
        {"within": "²"},
        {"q": "\x00"},
        {"within": "\x00"},
    ],
)
def test_unknown_or_malformed_parameters_are_not_a_500(net, client_for, params):
    response = client_for(net.users["hq"]).get(INDEX, params)
    assert response.status_code == 200
    assert "Store C" in response.content.decode()


def test_odd_values_of_declared_filters_are_not_a_500(net, client_for):
    client = client_for(net.users["hq"])
    assert client.get(INDEX, {"kind": "\x00"}).status_code == 200
    assert client.get(INDEX, {"kind": ["unit", "region"], "within": ["1", "x"]}).status_code == 200


def test_an_unknown_parameter_does_not_filter(net, client_for):
    client = client_for(net.users["hq"])
    assert listing(client, {"code": "C-A"}) == listing(client, {})


# --- twins: the declared filters, search and ordering still work -----------------------


def test_the_kind_filter_still_filters(net, client_for):
    client = client_for(net.users["hq"])
    assert listing(client, {"kind": "region"}) == ["North", "South"]


def test_the_within_filter_still_filters(net, client_for):
    client = client_for(net.users["hq"])
    assert listing(client, {"within": net.units["south"].pk}) == ["South", "Store C"]


def test_search_still_searches(net, client_for):
    assert listing(client_for(net.users["hq"]), {"q": "Store B"}) == ["Store B"]


def test_ordering_by_a_declared_column_still_orders(net, client_for):
    client = client_for(net.users["hq"])
    body = client.get(INDEX, {"o": "-1"}).content.decode()  # column 1 is the code
    assert body.index("Store C") < body.index("Store A")
