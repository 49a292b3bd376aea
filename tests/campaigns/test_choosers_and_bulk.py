"""Snippet choosers and bulk actions list and act on the user's scope only (issue 9, break 3).

Another region's store manager (``manager_c``, the demo's manager2) never sees a name of
Store A's in a chooser, its search results, ``chosen/`` or a bulk-action confirmation.
"""

import pytest
from django.urls import reverse

from tests.campaigns.test_admin import start
from tests.campaigns.test_generic_views import stranger
from wagtail_distmark.models import BannedWord, BrandTemplate, LocalCampaign, Product
from wagtail_distmark.models import ProductAvailability as Availability

pytestmark = pytest.mark.django_db


NAME = "Autumn in Lyon"


@pytest.fixture
def campaign(net, client_for, brand_template):
    start(client_for(net.users["editor_a"]), brand_template, net.units["a"], name=NAME)
    return LocalCampaign.objects.get()


def chooser(model, name="choose", *args):
    return reverse(f"wagtailsnippetchoosers_wagtail_distmark_{model}:{name}", args=args)


def text(response):
    return response.content.decode()


def assert_chooser(client, model, pk, label, visible):
    """List, search, chosen and chosen-multiple agree: ``label`` is offered or not at all."""
    listing = client.get(chooser(model))
    results = client.get(chooser(model, "choose_results"), {"q": label.split()[0]})
    chosen = client.get(chooser(model, "chosen", pk))
    multiple = client.get(chooser(model, "chosen_multiple"), {"id": [pk]})
    assert listing.status_code == results.status_code == multiple.status_code == 200
    for response in (listing, results, multiple):
        assert (label in text(response)) is visible, model
    assert chosen.status_code == (200 if visible else 404), model
    assert (label in text(chosen)) is visible


def test_campaign_chooser(net, client_for, campaign):
    assert_chooser(client_for(net.users["editor_a"]), "localcampaign", campaign.pk, NAME, True)
    assert_chooser(stranger(net), "localcampaign", campaign.pk, NAME, False)


def test_availability_chooser(net, client_for):
    product = Product.objects.create(sku="C-1", name="Amber candle", price="12.00")
    row = Availability.objects.create(product=product, unit=net.units["a"], local_price="11.00")
    label = "Amber candle (C-1) @ Store A"
    assert_chooser(client_for(net.users["manager_a"]), "productavailability", row.pk, label, True)
    assert_chooser(stranger(net), "productavailability", row.pk, label, False)


def test_brand_template_chooser_offers_what_is_available_to_the_unit(
    net, client_for, brand_template
):
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["south"]])
    label = "Autumn promotion"
    assert_chooser(stranger(net), "brandtemplate", brand_template.pk, label, True)
    assert_chooser(
        client_for(net.users["manager_a"]), "brandtemplate", brand_template.pk, label, False
    )
    assert_chooser(client_for(net.users["hq"]), "brandtemplate", brand_template.pk, label, True)


def test_banned_words_are_hqs_alone(net, client_for):
    word = BannedWord.objects.create(text="gratuitement")
    assert_chooser(client_for(net.users["hq"]), "bannedword", word.pk, "gratuitement", True)
    for username in ("manager_a", "editor_a", "regional_north"):
        client = client_for(net.users[username])
        assert_chooser(client, "bannedword", word.pk, "gratuitement", False)


@pytest.mark.parametrize("pk", ["abc", "1.5", "%00", "-1"])
def test_a_crafted_chosen_id_is_a_404_not_a_500(net, client_for, campaign, pk):
    client = client_for(net.users["editor_a"])
    url = chooser("localcampaign", "choose").rstrip("/") + f"/chosen/{pk}/"
    assert client.get(url).status_code == 404
    assert client.get(chooser("localcampaign", "chosen_multiple"), {"id": pk}).status_code == 200


# -- bulk actions ------------------------------------------------------------------------------


def bulk(action, *pks, model="localcampaign"):
    query = "&".join(f"id={pk}" for pk in pks)
    return f"/admin/bulk/wagtail_distmark/{model}/{action}/?{query}"


@pytest.fixture
def two_campaigns(net, client_for, brand_template, campaign):
    start(stranger(net), brand_template, net.units["c"], name="Winter in Nice")
    return campaign, LocalCampaign.objects.get(name="Winter in Nice")


def test_bulk_confirmation_names_only_campaigns_in_scope(net, client_for, two_campaigns):
    ours, theirs = two_campaigns
    client = stranger(net)
    page = client.get(bulk("delete", ours.pk, theirs.pk))
    assert page.status_code == 200
    assert "Winter in Nice" in text(page) and NAME not in text(page)
    assert client.post(bulk("delete", ours.pk, theirs.pk)).status_code == 302
    assert list(LocalCampaign.objects.values_list("name", flat=True)) == [NAME]


def test_bulk_action_on_another_units_campaigns_only_is_a_404(net, client_for, two_campaigns):
    ours, theirs = two_campaigns
    client = stranger(net)
    for response in (client.get(bulk("delete", ours.pk)), client.post(bulk("delete", ours.pk))):
        assert response.status_code == 404 and NAME not in text(response)
    assert client.get(bulk("delete", "all")).status_code == 200
    client.post(bulk("delete", "all"))
    assert list(LocalCampaign.objects.values_list("name", flat=True)) == [NAME]


def test_bulk_delete_asks_the_delete_rule_per_campaign(net, client_for, two_campaigns):
    ours, _ = two_campaigns
    client = client_for(net.users["editor_a"])  # editors may not delete
    client.post(bulk("delete", ours.pk, "x"))
    assert LocalCampaign.objects.filter(pk=ours.pk).exists()
    client_for(net.users["manager_a"]).post(bulk("delete", ours.pk))
    assert not LocalCampaign.objects.filter(pk=ours.pk).exists()


def test_bulk_delete_of_templates_is_hqs(net, client_for, brand_template):
    url = bulk("delete", brand_template.pk, model="brandtemplate")
    usable = client_for(net.users["manager_a"]).post(url)  # a template Store A may use
    assert usable.status_code in (302, 403) and BrandTemplate.objects.exists()
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["south"]])
    response = client_for(net.fresh("manager_a")).post(url)
    assert response.status_code == 404 and "Autumn promotion" not in text(response)
    assert BrandTemplate.objects.exists()
    client_for(net.users["hq"]).post(url)
    assert not BrandTemplate.objects.exists()
