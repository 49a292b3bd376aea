"""A campaign may only use what its unit may use: library images (usage rights current,
collection visible to the unit) and products the unit sells — whatever the POST says."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.campaigns.test_admin import edit_form_data, snippet_url
from tests.library.conftest import campaign_for, make_image, needs_policy_registry
from wagtail_distmark.models import ImageUsageRights

pytestmark = pytest.mark.django_db


def with_zone(campaign, zone_id, **changes):
    campaign.body = [
        dict(c, value={**c["value"], **changes}) if c["id"] == zone_id else dict(c)
        for c in campaign.body.raw_data
    ]
    return campaign


def body_errors(campaign) -> str:
    with pytest.raises(ValidationError) as caught:
        campaign.full_clean()
    return str(caught.value.error_dict["body"][0].as_json_data())


def test_own_and_brand_images_and_sold_products_are_accepted(net, client_for, template, library):
    campaign = campaign_for(net, client_for, template, "manager_a", "a")
    with_zone(campaign, "hero", image=library.images["a"].pk).full_clean()
    with_zone(campaign, "hero", image=library.images["north"].pk).full_clean()  # North: visible


def test_another_stores_image_is_refused(net, client_for, template, library):
    campaign = campaign_for(net, client_for, template, "manager_a", "a")
    message = body_errors(with_zone(campaign, "hero", image=library.images["c"].pk))
    assert "“Store C window” is not in the library of Store A." in message


def test_brand_image_not_visible_to_the_unit_is_refused(net, client_for, template, library):
    campaign = campaign_for(net, client_for, template, "manager_c", "c")
    message = body_errors(with_zone(campaign, "hero", image=library.images["north"].pk))
    assert "“North banner” is not in the library of Store C." in message


def test_expired_or_not_yet_usable_images_are_refused(net, client_for, template, library):
    campaign = campaign_for(net, client_for, template, "manager_a", "a")
    today = timezone.localdate()
    ImageUsageRights.objects.create(
        image=library.images["a"], expires_on=today - datetime.timedelta(days=1)
    )
    message = body_errors(with_zone(campaign, "hero", image=library.images["a"].pk))
    assert "The usage rights of “Store A window” ended on" in message
    later = make_image("Spring teaser", library.photos)
    ImageUsageRights.objects.create(image=later, starts_on=today + datetime.timedelta(days=3))
    message = body_errors(with_zone(campaign, "hero", image=later.pk))
    assert "“Spring teaser” may not be used before" in message


def test_expired_image_in_a_locked_zone_says_to_ask_hq(net, client_for, template, library):
    campaign = campaign_for(net, client_for, template, "manager_a", "a")
    ImageUsageRights.objects.create(
        image=library.images["north"], expires_on=timezone.localdate() - datetime.timedelta(1)
    )
    message = body_errors(campaign)
    assert "The usage rights of “North banner” ended on" in message
    assert "HQ locked this zone: ask HQ to replace it." in message


def test_products_the_unit_does_not_sell_are_refused(net, client_for, template, catalogue):
    pine = catalogue["north_only"]
    grid = {"heading": "Our picks", "products": [{"product": pine.pk, "url": ""}]}
    campaign_a = campaign_for(net, client_for, template, "manager_a", "a")
    with_zone(campaign_a, "grid", **grid).full_clean()  # store A is in the North
    campaign_c = campaign_for(net, client_for, template, "manager_c", "c")
    message = body_errors(with_zone(campaign_c, "grid", **grid))
    assert "Store C does not sell “Northern pine”." in message


def grid_post(product_pk) -> dict:
    """The product grid zone as the admin's ListBlock widget posts it."""
    return {
        "zone_grid-heading": "Our picks",
        "zone_grid-products-count": "1",
        "zone_grid-products-0-value-product": str(product_pk),
        "zone_grid-products-0-value-url": "",
        "zone_grid-products-0-deleted": "",
        "zone_grid-products-0-order": "0",
        "zone_grid-products-0-id": "p1",
    }


def editor_post(campaign, **zone_fields) -> dict:
    data = edit_form_data(campaign)
    data = {k: v for k, v in data.items() if not k.startswith(("zone_logo", "zone_grid"))}
    return {**data, **grid_post(zone_fields.pop("product")), **zone_fields}


@needs_policy_registry  # Wagtail 7: no org-aware image policy, every image is choosable
def test_forged_posts_of_foreign_image_or_unsold_product_change_nothing(
    net, client_for, template, library, catalogue
):
    """Another unit's image (or a product outside the user's catalogue) reads exactly like an
    id that names nothing: its title is not shown, nor its picture drawn in the chooser."""
    campaign = campaign_for(net, client_for, template, "manager_c", "c")
    client = client_for(net.users["manager_c"])
    revisions = campaign.revisions.count()
    for fields, message, secret in [
        ({"zone_hero-image": library.images["a"].pk, "product": catalogue["sold"].pk},
         "The chosen image does not exist (any more): choose another.", "Store A window"),
        ({"zone_hero-image": 987654, "product": catalogue["sold"].pk},
         "The chosen image does not exist (any more): choose another.", "Store A window"),
        ({"product": catalogue["north_only"].pk},
         "The chosen product does not exist (any more): choose another.", "Northern pine"),
    ]:  # fmt: skip
        response = client.post(snippet_url("edit", campaign.pk), editor_post(campaign, **fields))
        html = response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
        assert response.status_code == 200
        assert message in html
        assert secret not in html
        assert library.images["a"].file.name.split("/")[-1].split(".")[0] not in html
    assert campaign.revisions.count() == revisions
    # The twin: a product the store sells saves.
    response = client.post(
        snippet_url("edit", campaign.pk), editor_post(campaign, product=catalogue["sold"].pk)
    )
    assert response.status_code == 302
    assert campaign.revisions.count() == revisions + 1
