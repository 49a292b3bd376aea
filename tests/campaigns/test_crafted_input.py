"""Crafted but plausible campaign edits: a clear error on the field at fault, never a 500,
and nothing saved (issue 9, break 6)."""

import json

import pytest
from wagtail.test.utils.form_data import rich_text

from tests.campaigns.test_admin import snippet_url, start
from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.models import BrandTemplate, LocalCampaign, Product, ProductAvailability

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(net):
    candle = Product.objects.create(sku="FIG", name="Figue candle", price="29.00")
    ProductAvailability.objects.create(product=candle, unit=net.units["hq"], available=True)
    return candle


@pytest.fixture
def rich_template(net, image, product):
    """Editable hero, rich text and product grid; a constrained offer with allowed titles."""
    template = BrandTemplate(
        name="Rich newsletter",
        subject="News from {{ unit.name }}",
        preheader="This month",
        body=[
            zone("hero", "hero", {"image": image.pk, "alt": "Candles",
                                  "heading": "Autumn is here", "text": ""}),
            zone("text", "rich_text", "<p>Hello from the team</p>"),
            zone("grid", "product_grid", {"heading": "Our picks", "products": [
                {"product": product.pk, "url": ""}]}),
            zone("offer", "offer", {"title": "Your offer", "discount": 10, "text": "",
                                    "valid_until": None},
                 "constrained", choices="Your offer\nOur gift"),
            zone("legal", "legal_footer", {"text": "Maison Lumière SAS, Paris",
                                           "unsubscribe_label": "Unsubscribe"}, "locked"),
        ],
        live=True,
    )  # fmt: skip
    template.save()
    return template


@pytest.fixture
def campaign(net, client_for, rich_template):
    start(client_for(net.users["manager_a"]), rich_template, net.units["a"], name="Newsletter")
    return LocalCampaign.objects.get()


def valid_data(campaign, product, image):
    """What the editor posts for the campaign as created."""
    return {
        "name": campaign.name,
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "zone_hero-image": str(image.pk),
        "zone_hero-alt": "Candles",
        "zone_hero-heading": "Autumn is here",
        "zone_hero-text": "",
        "zone_text": rich_text("<p>Hello from the team</p>"),
        "zone_grid-heading": "Our picks",
        "zone_grid-products-count": "1",
        "zone_grid-products-0-id": "p0",
        "zone_grid-products-0-deleted": "",
        "zone_grid-products-0-order": "0",
        "zone_grid-products-0-value-product": str(product.pk),
        "zone_grid-products-0-value-url": "",
        "zone_offer-title": "Your offer",
        "zone_offer-discount": "10",
        "zone_offer-text": "",
        "zone_offer-valid_until": "",
    }


def link_to_page(page_id):
    return json.dumps({
        "blocks": [{"key": "a", "type": "unstyled", "text": "Visit", "depth": 0,
                    "inlineStyleRanges": [],
                    "entityRanges": [{"offset": 0, "length": 5, "key": 0}]}],
        "entityMap": {"0": {"type": "LINK", "mutability": "MUTABLE",
                            "data": {"linktype": "page", "id": page_id}}},
    })  # fmt: skip


def post(client, campaign, data):
    return client.post(snippet_url("edit", campaign.pk), data)


def test_the_valid_post_saves(net, client_for, campaign, product, image):
    client = client_for(net.users["manager_a"])
    response = post(client, campaign, valid_data(campaign, product, image))
    assert response.status_code == 302, response.content.decode()[:3000]


CRAFTED = {
    "page link id": {"zone_text": link_to_page("abc")},
    "unknown page link id": {"zone_text": link_to_page("987654")},
    "broken rich text json": {"zone_text": "{not json"},
    "rich text json not an object": {"zone_text": "[1, 2]"},
    "image id text": {"zone_hero-image": "abc"},
    "image id unknown": {"zone_hero-image": "987654"},
    "product id text": {"zone_grid-products-0-value-product": "abc"},
    "product id unknown": {"zone_grid-products-0-value-product": "987654"},
    "count text": {"zone_grid-products-count": "many"},
    "count huge": {"zone_grid-products-count": "99999999999"},
    "order text": {"zone_grid-products-0-order": "first"},
    "deleted garbage": {"zone_grid-products-0-deleted": "yes please"},
    "subject crlf": {"subject": "Hello\r\nBcc: all@example.com"},
    "preheader crlf": {"preheader": "Hi\nthere"},
    "name crlf": {"name": "Newsletter\r\nX-Evil: 1"},
}


@pytest.mark.parametrize("action", ["", "action-submit"])
@pytest.mark.parametrize("case", CRAFTED)
def test_crafted_input_is_refused_without_a_500(
    net, client_for, campaign, product, image, case, action
):
    client = client_for(net.users["manager_a"])
    revisions = campaign.revisions.count()
    data = {**valid_data(campaign, product, image), **CRAFTED[case]}
    if action:
        data[action] = "1"
    response = post(client, campaign, data)
    assert response.status_code == 200, response.content.decode()[:3000]
    assert "could not be saved due to errors" in response.content.decode()
    assert campaign.revisions.count() == revisions
