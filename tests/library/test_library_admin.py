"""HQ's library screens: brand collection audiences and the expiring-images report."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.library.conftest import campaign_for, needs_policy_registry
from wagtail_distmark.models import BrandCollection, ImageUsageRights

pytestmark = [pytest.mark.django_db, needs_policy_registry]

REPORT = "wagtail_distmark:library_expiring"


def brand_url(action, *args):
    return reverse(f"distmark_brand_library:{action}", args=args)


def test_hq_sets_who_sees_a_brand_collection(net, library, client_for):
    client = client_for(net.users["hq"])
    html = client.get(brand_url("index")).content.decode()
    assert "Photos" in html and "Whole network" in html and "North imagery" in html
    brand = BrandCollection.objects.get(collection=library.photos)
    response = client.post(brand_url("edit", brand.pk), {"units": [net.units["south"].pk]})
    assert response.status_code == 302
    assert list(brand.units.all()) == [net.units["south"]]
    # Store A (North) no longer sees the collection's images; store C (South) does.
    chooser = reverse("wagtailimages_chooser:choose")
    assert "Brand hero" not in client_for(net.users["manager_a"]).get(chooser).content.decode()
    assert "Brand hero" in client_for(net.users["manager_c"]).get(chooser).content.decode()


@pytest.mark.parametrize("username", ["regional_north", "manager_a", "editor_a"])
def test_units_cannot_see_or_change_audiences(net, library, client_for, username):
    client = client_for(net.users[username])
    brand = BrandCollection.objects.get(collection=library.north_only)
    assert client.get(brand_url("index")).status_code in (302, 403)
    client.post(brand_url("edit", brand.pk), {"units": []})
    assert list(brand.units.all()) == [net.units["north"]]
    assert client.get(reverse(REPORT)).status_code in (302, 403)


def expire(image, days):
    ImageUsageRights.objects.update_or_create(
        image=image, defaults={"expires_on": timezone.localdate() + datetime.timedelta(days)}
    )


def test_report_lists_unsent_campaigns_using_images_that_expire_soon(
    net, library, client_for, template
):
    campaign = campaign_for(net, client_for, template, "manager_a", "a")
    expire(library.images["brand"], 10)  # the hero the campaign keeps from the template
    expire(library.images["north"], 5)  # in the template's locked zone
    expire(library.images["c"], 12)  # used by no campaign
    client = client_for(net.users["hq"])
    html = client.get(reverse(REPORT)).content.decode()
    assert html.count(f">{campaign.name}</a>") == 2  # one row per image
    assert "Brand hero" in html and "in 10 days" in html
    assert "North banner" in html and "Locked zone of the template" in html
    assert "Store C window" not in html
    expire(library.images["brand"], 45)  # beyond 30 days
    campaign.freeze_for_sending()  # sent campaigns are not at risk
    html = client.get(reverse(REPORT)).content.decode()
    assert "Brand hero" not in html and "North banner" not in html
    assert "No unsent campaign uses an image that expires within the next 30 days." in html
