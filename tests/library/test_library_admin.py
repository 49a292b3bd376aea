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
    data = {"name": "Photos", "units": [net.units["south"].pk]}
    response = client.post(brand_url("edit", brand.pk), data)
    assert response.status_code == 302
    assert list(brand.units.all()) == [net.units["south"]]
    # Store A (North) no longer sees the collection's images; store C (South) does.
    chooser = reverse("wagtailimages_chooser:choose")
    assert "Brand hero" not in client_for(net.users["manager_a"]).get(chooser).content.decode()
    assert "Brand hero" in client_for(net.users["manager_c"]).get(chooser).content.decode()


def test_hq_adds_and_renames_brand_collections(net, library, client_for):
    client = client_for(net.users["hq"])
    assert "Inside" in client.get(brand_url("add")).content.decode()
    data = {"name": "Winter", "parent": library.photos.pk, "units": [net.units["south"].pk]}
    assert client.post(brand_url("add"), data).status_code == 302
    winter = BrandCollection.objects.get(collection__name="Winter")
    assert winter.collection.get_parent() == library.photos
    assert list(winter.units.all()) == [net.units["south"]]
    response = client.post(brand_url("edit", winter.pk), {"name": "Winter 2026", "units": []})
    assert response.status_code == 302
    winter.refresh_from_db()
    assert winter.collection.name == "Winter 2026" and not winter.units.exists()
    # The listing follows the tree: the library first, each parent before its children.
    client.get(brand_url("index"))  # shows (and clears) the "updated" message, which links too
    html = client.get(brand_url("index")).content.decode()
    root, photos = (
        BrandCollection.objects.get(collection__name=n) for n in ("Brand library", "Photos")
    )
    order = [html.index(brand_url("edit", b.pk) + '"') for b in (root, photos, winter)]
    assert order == sorted(order)


@pytest.mark.parametrize("username", ["regional_north", "manager_a", "editor_a"])
def test_units_cannot_see_or_change_audiences(net, library, client_for, username):
    client = client_for(net.users[username])
    brand = BrandCollection.objects.get(collection=library.north_only)
    assert client.get(brand_url("index")).status_code in (302, 403)
    client.post(brand_url("edit", brand.pk), {"name": "Taken", "units": []})
    assert list(brand.units.all()) == [net.units["north"]]
    client.post(brand_url("add"), {"name": "Mine", "parent": library.photos.pk})
    assert not BrandCollection.objects.filter(collection__name__in=["Mine", "Taken"]).exists()
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
