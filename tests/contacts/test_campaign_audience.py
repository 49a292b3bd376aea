"""A campaign's recipients: the audience chosen for it, else its template's segment, always
inside the campaign's unit, never wider than HQ's segment; chosen and counted only by who
may change the campaign."""

import pytest
from django.urls import reverse
from django.utils import timezone

from wagtail_distmark.campaigns.copying import save_new_draft
from wagtail_distmark.contacts.campaign_audience import (
    audience_choices,
    choose_audience,
    recipients_for_campaign,
)
from wagtail_distmark.models import Audience, CampaignAudience, LocalCampaign

pytestmark = pytest.mark.django_db


def make_campaign(template, unit, user) -> LocalCampaign:
    campaign = LocalCampaign(
        unit=unit, template=template, name=f"Autumn at {unit.name}", subject="Autumn",
        body=template.campaign_body_data(), created_by=user, live=False,
    )  # fmt: skip
    return save_new_draft(campaign, user)


@pytest.fixture
def world(contact_world, brand_template):
    units, users = contact_world.net.units, contact_world.net.users
    contact_world.template = brand_template
    contact_world.campaign_a = make_campaign(brand_template, units["a"], users["manager_a"])
    contact_world.campaign_c = make_campaign(brand_template, units["c"], users["manager_c"])
    return contact_world


def segment_of(world, **filters) -> Audience:
    return Audience.objects.create(
        name="Autumn segment", unit=world.net.units["hq"],
        communication_type=world.newsletter, template=world.template, **filters,
    )  # fmt: skip


def audience(world, name, unit_key, base=None, **filters) -> Audience:
    audience = Audience.objects.create(
        name=name, unit=world.net.units[unit_key], communication_type=world.newsletter,
        base=base, **filters,
    )  # fmt: skip
    return audience


def emails(contacts):
    return sorted(contacts.values_list("email", flat=True))


def url(campaign):
    return reverse("wagtail_distmark:campaign_recipients", args=[campaign.pk])


def test_no_audience_no_segment_no_recipients(world):
    assert emails(recipients_for_campaign(world.campaign_a)) == []


def test_the_segment_as_given_stays_inside_the_campaigns_unit(world):
    segment_of(world)
    assert emails(recipients_for_campaign(world.campaign_a)) == ["ann@example.org"]
    assert emails(recipients_for_campaign(world.campaign_c)) == [
        "carl@example.org", "chloe@example.org"]  # fmt: skip


def test_a_chosen_audience_narrows_the_segment(world):
    segment = segment_of(world)
    vips = audience(world, "VIPs", "a", base=segment)
    vips.tags.add(world.vip)
    choose_audience(world.campaign_a, vips)
    assert emails(recipients_for_campaign(world.campaign_a)) == ["ann@example.org"]
    vips.tags.set([])
    vips.city = "Lille"
    vips.save()
    assert emails(recipients_for_campaign(world.campaign_a)) == []


def test_a_regional_audience_reaches_only_the_campaigns_unit(world):
    north = audience(world, "North", "north")
    choose_audience(world.campaign_a, north)
    assert emails(recipients_for_campaign(world.campaign_a)) == ["ann@example.org"]


def test_an_audience_saved_before_the_segment_cannot_widen_it(world):
    everyone = audience(world, "Everyone at A", "a")
    choose_audience(world.campaign_a, everyone)
    assert emails(recipients_for_campaign(world.campaign_a)) == ["ann@example.org"]
    segment_of(world, city="Lyon")  # HQ attaches a segment afterwards
    assert emails(recipients_for_campaign(world.campaign_a)) == []


def test_choices_are_the_units_audiences_built_on_the_segment(world):
    users = world.net.users
    segment = segment_of(world)
    on_segment = audience(world, "On the segment", "a", base=segment)
    audience(world, "Free-standing", "a")
    store_c = audience(world, "Store C on the segment", "c", base=segment)
    assert list(audience_choices(world.campaign_a, users["manager_a"])) == [on_segment]
    assert list(audience_choices(world.campaign_c, users["manager_c"])) == [store_c]
    assert list(audience_choices(world.campaign_a, users["manager_c"])) == []


def test_manager_chooses_an_audience_and_sees_the_count(world, client_for):
    segment = segment_of(world)
    vips = audience(world, "VIPs of A", "a", base=segment)
    client = client_for(world.net.users["manager_a"])
    page = client.get(url(world.campaign_a))
    assert page.status_code == 200
    content = page.content.decode()
    assert "“Autumn segment” reaches 1 contact of this unit today." in content
    assert "ann@example.org" in content and "+33612345678" in content
    response = client.post(url(world.campaign_a), {"audience": vips.pk})
    assert response.status_code == 302
    assert CampaignAudience.objects.get(campaign=world.campaign_a).audience == vips
    assert "“VIPs of A” reaches 1 contact" in client.get(url(world.campaign_a)).content.decode()
    client.post(url(world.campaign_a), {"audience": ""})  # back to the segment as given
    assert not CampaignAudience.objects.filter(campaign=world.campaign_a).exists()


def test_editor_sees_only_their_visible_fields_in_the_sample(world, client_for):
    segment_of(world)
    content = client_for(world.net.users["editor_a"]).get(url(world.campaign_a)).content.decode()
    assert "ann@example.org" in content
    assert "+33612345678" not in content
    assert "75001" not in content


def test_regional_manager_chooses_for_a_store_of_their_region(world, client_for):
    north = audience(world, "North", "north")
    client = client_for(world.net.users["regional_north"])
    response = client.post(url(world.campaign_a), {"audience": north.pk})
    assert response.status_code == 302
    assert "reaches 1 contact" in client.get(url(world.campaign_a)).content.decode()


def test_manager_c_never_sees_counts_or_targets_store_a(world, client_for):
    segment = segment_of(world)
    vips = audience(world, "VIPs of A", "a", base=segment)
    client = client_for(world.net.users["manager_c"])
    response = client.get(url(world.campaign_a))
    assert response.status_code == 404
    assert "ann@example.org" not in response.content.decode()
    assert client.post(url(world.campaign_a), {"audience": vips.pk}).status_code == 404
    # Their own campaign cannot be pointed at Store A's audience either.
    response = client.post(url(world.campaign_c), {"audience": vips.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CampaignAudience.objects.exists()
    assert "ann@example.org" not in response.content.decode()


def test_an_audience_not_built_on_the_segment_is_refused(world, client_for):
    segment_of(world)
    free = audience(world, "Free-standing", "a")
    response = client_for(world.net.users["manager_a"]).post(url(world.campaign_a),
                                                             {"audience": free.pk})  # fmt: skip
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CampaignAudience.objects.exists()


def test_a_sent_campaign_refuses_and_a_scheduled_one_keeps_its_audience(world, client_for):
    segment = segment_of(world)
    vips = audience(world, "VIPs of A", "a", base=segment)
    client = client_for(world.net.users["manager_a"])
    LocalCampaign.objects.filter(pk=world.campaign_a.pk).update(scheduled_at=timezone.now())
    response = client.post(url(world.campaign_a), {"audience": vips.pk})
    assert response.status_code == 200
    assert "scheduled or sent" in response.content.decode()
    assert not CampaignAudience.objects.exists()
    LocalCampaign.objects.filter(pk=world.campaign_a.pk).update(sent_at=timezone.now())
    assert client.get(url(world.campaign_a)).status_code == 403


def test_the_campaign_editor_links_to_its_recipients(world, client_for):
    edit = reverse("wagtailsnippets_wagtail_distmark_localcampaign:edit",
                   args=[world.campaign_a.pk])  # fmt: skip
    page = client_for(world.net.users["manager_a"]).get(edit)
    assert page.status_code == 200
    assert url(world.campaign_a) in page.content.decode()
