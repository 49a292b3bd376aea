"""Unit profiles: sender addresses on the brand's authenticated domains (issue 9, break 8),
no line breaks in a header, countries and currencies as ISO codes inherited from the parent,
and prices in the unit's locale."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import add_unit
from wagtail_distmark.blocks.email import EmailContext
from wagtail_distmark.formats import format_price
from wagtail_distmark.models import OrgUnit, Product, ProductAvailability

pytestmark = pytest.mark.django_db

PREFIX = "distmark_network_modeladmin_"
PROFILE = ("name", "kind", "code", "address_line_1", "address_line_2", "city", "postal_code",
           "country", "phone", "email", "website", "opening_hours", "sender_name",
           "sender_email", "reply_to", "locale", "timezone", "currency")  # fmt: skip


def url(action, *args):
    return reverse(PREFIX + action, args=args)


def profile_post(unit, **changes):
    return {**{name: getattr(unit, name) for name in PROFILE}, **changes}


@pytest.fixture
def brand_domains(settings):
    settings.DEFAULT_FROM_EMAIL = "Brand <news@brand.example>"
    settings.WAGTAIL_DISTMARK_SENDER_DOMAINS = ["brand.example", "stores.brand.example"]


# --- sender addresses ------------------------------------------------------------------


def test_sender_address_off_the_brands_domains_is_refused(net, client_for, brand_domains):
    store = net.units["a"]
    response = client_for(net.users["regional_north"]).post(
        url("edit", store.pk), profile_post(store, sender_email="ceo@elsewhere.example")
    )
    assert response.status_code == 200
    assert "Use an address on brand.example, stores.brand.example" in response.content.decode()
    store.refresh_from_db()
    assert store.sender_email != "ceo@elsewhere.example"


def test_regional_manager_sets_an_address_on_the_brands_domains(net, client_for, brand_domains):
    store = net.units["a"]
    for address in ("store-a@brand.example", "a@lyon.stores.brand.example"):
        response = client_for(net.users["regional_north"]).post(
            url("edit", store.pk), profile_post(store, sender_email=address)
        )
        assert response.status_code == 302, address
        store.refresh_from_db()
        assert store.sender_email == address


def test_a_look_alike_domain_is_not_the_brands(brand_domains):
    unit = OrgUnit(name="X", code="X", sender_email="ceo@brand.example.attacker.example")
    with pytest.raises(ValidationError) as error:
        unit.full_clean(exclude=["path", "depth", "numchild"])
    assert "sender_email" in error.value.message_dict


def test_without_the_setting_the_default_senders_domain_is_the_one(settings):
    settings.DEFAULT_FROM_EMAIL = "network@maison-lumiere.example"
    settings.WAGTAIL_DISTMARK_SENDER_DOMAINS = []
    ok = OrgUnit(name="X", code="X1", sender_email="lyon@maison-lumiere.example")
    ok.full_clean(exclude=["path", "depth", "numchild"])
    bad = OrgUnit(name="X", code="X2", sender_email="lyon@gmail.example")
    with pytest.raises(ValidationError):
        bad.full_clean(exclude=["path", "depth", "numchild"])


def test_line_breaks_in_the_sender_name_are_refused(net, client_for, brand_domains):
    store = net.units["a"]
    response = client_for(net.users["manager_a"]).post(
        url("edit", store.pk), profile_post(store, sender_name="Claire\r\nBcc: all@example.com")
    )
    assert response.status_code == 200
    assert "Line breaks and control characters are not allowed here." in (response.content.decode())
    store.refresh_from_db()
    assert "Bcc" not in store.sender_name


def test_the_message_is_from_the_units_name_on_a_brand_address(brand_domains):
    unit = OrgUnit(name="Store A", sender_name="Claire", sender_email="a@brand.example",
                   reply_to="claire@gmail.example")  # fmt: skip
    assert unit.from_address() == "Claire <a@brand.example>"
    assert unit.reply_to_addresses() == ["claire@gmail.example"]
    # A profile saved before the rule (or a domain dropped since): the brand's address.
    unit.sender_email = "ceo@elsewhere.example"
    unit.sender_name = "Claire\r\nBcc: x@y.z"
    assert unit.from_address() == '"Claire Bcc: x@y.z" <news@brand.example>'


def test_test_email_of_a_spoofed_profile_goes_out_from_the_brand(
    net, client_for, brand_template, brand_domains
):
    from tests.campaigns.test_admin import start
    from wagtail_distmark.models import LocalCampaign

    start(client_for(net.users["manager_a"]), brand_template, net.units["a"])
    OrgUnit.objects.filter(pk=net.units["a"].pk).update(
        sender_name="Store A", sender_email="ceo@elsewhere.example", reply_to="a@gmail.example"
    )  # saved before the rule existed
    campaign = LocalCampaign.objects.get()
    client = client_for(net.users["manager_a"])
    assert client.post(reverse("wagtail_distmark:campaign_test_email", args=[campaign.pk]))
    message = mail.outbox[-1]
    assert message.from_email == "Store A <news@brand.example>"
    assert message.reply_to == ["a@gmail.example"]


# --- inheritance, countries, currencies --------------------------------------------------


def test_a_new_unit_starts_with_its_parents_locale_time_zone_country_and_currency(net, client_for):
    north = net.units["north"]
    OrgUnit.objects.filter(pk=north.pk).update(
        locale="en-GB", timezone="Europe/London", country="GB", currency="GBP"
    )
    page = client_for(net.users["regional_north"]).get(url("create"), {"parent": north.pk})
    html = page.content.decode()
    assert 'value="en-GB"' in html
    assert '<option value="Europe/London" selected>' in html
    assert '<option value="GB" selected>United Kingdom</option>' in html
    assert 'value="GBP"' in html


def test_country_is_a_choice_of_iso_codes(net, client_for):
    store = net.units["a"]
    client = client_for(net.users["hq"])
    response = client.post(url("edit", store.pk), profile_post(store, country="Narnia"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url("edit", store.pk), profile_post(store, country="FR"))
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.country == "FR"


def test_currency_comes_from_the_parent_or_the_country(net):
    OrgUnit.objects.filter(pk=net.units["north"].pk).update(country="GB", currency="GBP")
    north = OrgUnit.objects.get(pk=net.units["north"].pk)
    assert add_unit(north, "Leeds", "C-LEEDS", "unit", country="GB").currency == "GBP"
    north.refresh_from_db()
    assert add_unit(north, "Dublin", "C-DUB", "unit", country="IE").currency == "EUR"
    north.refresh_from_db()
    assert add_unit(north, "Toronto", "C-TOR", "unit", country="CA").currency == "CAD"


def test_an_unknown_currency_is_refused(net, client_for):
    store = net.units["a"]
    response = client_for(net.users["hq"]).post(
        url("edit", store.pk), profile_post(store, currency="XYZ1")
    )
    assert response.status_code == 200
    store.refresh_from_db()
    assert store.currency != "XYZ1"


# --- prices in the unit's locale ------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "currency", "expected"),
    [("en-GB", "GBP", "£34.00"), ("fr", "EUR", "34,00\xa0€"), ("en", "EUR", "€34.00"),
     ("xx-bogus", "EUR", "€34.00")],
)  # fmt: skip
def test_one_function_formats_every_price(locale, currency, expected):
    assert format_price(Decimal("34"), currency, locale) == expected


def test_london_shows_pounds_and_lyon_euros(net):
    OrgUnit.objects.filter(pk=net.units["north"].pk).update(
        locale="en-GB", country="GB", currency="GBP"
    )
    OrgUnit.objects.filter(pk=net.units["c"].pk).update(locale="fr", country="FR")
    product = Product.objects.create(sku="CND-1", name="Ambre", price="31.00", currency="EUR")
    ProductAvailability.objects.create(product=product, unit=net.units["hq"], available=True)
    ProductAvailability.objects.create(product=product, unit=net.units["north"], local_price="34")
    london = OrgUnit.objects.get(pk=net.units["a"].pk)
    lyon = OrgUnit.objects.get(pk=net.units["c"].pk)
    assert EmailContext(unit=london).prices([product]) == {product.pk: "£34.00"}
    assert EmailContext(unit=lyon).prices([product]) == {product.pk: "31,00\xa0€"}


def test_the_profile_page_names_the_country_and_shows_the_currency(net, client_for):
    OrgUnit.objects.filter(pk=net.units["a"].pk).update(country="GB", currency="GBP")
    html = client_for(net.users["manager_a"]).get(url("inspect", net.units["a"].pk)).content
    assert "United Kingdom" in html.decode() and "GBP" in html.decode()
