"""Scope twins of every sending URL and action: Store A's send and campaign are a 404 for
Store C's manager (the other region) on every method, absent from their list of sends and
from a shared contact's page; HQ and North's regional manager see them."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.conftest import world  # noqa: F401 (fixture)
from tests.security.test_scope_sweep import probes
from wagtail_distmark.contacts.links import link
from wagtail_distmark.sending import dispatch
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = pytest.mark.django_db

SEND_URLS = (
    "send_detail",
    "send_progress",
    "send_pause",
    "send_resume",
    "send_cancel",
    "send_resend_unknown",
)


def client_as(net, username) -> Client:
    client = Client()
    client.force_login(net.users[username])
    return client


@pytest.fixture
def send_a(sending):
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    Send.objects.filter(pk=send.pk).update(state=Send.State.SENDING)
    Delivery.objects.create(send=send, contact=sending.people["a1"], state="unknown")
    send.refresh_from_db()
    return send


def urls_of(send) -> list[str]:
    return [reverse(f"wagtail_distmark:{name}", args=[send.pk]) for name in SEND_URLS]


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_regions_manager_gets_404_on_every_send_url(sending, send_a, method):
    client = client_as(sending.net, "manager_c")
    for url in urls_of(send_a):
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert "Store A" not in response.content.decode()
    send_a.refresh_from_db()
    assert send_a.state == Send.State.SENDING
    assert send_a.deliveries.get().state == Delivery.State.UNKNOWN


@pytest.mark.parametrize("username", ["manager_a", "regional_north", "hq"])
def test_managers_in_scope_reach_every_send_url(sending, send_a, username):
    client = client_as(sending.net, username)
    for url in urls_of(send_a):
        assert client.get(url).status_code in (200, 302), url


def test_another_regions_manager_gets_404_on_the_send_screen(sending):
    url = reverse("wagtail_distmark:campaign_send", args=[sending.campaign_a.pk])
    client = client_as(sending.net, "manager_c")
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "now"}).status_code == 404
    assert not Send.objects.exists()


def test_an_in_scope_manager_above_the_unit_may_open_the_send_screen(sending):
    url = reverse("wagtail_distmark:campaign_send", args=[sending.campaign_a.pk])
    assert client_as(sending.net, "regional_north").get(url).status_code == 200


def test_missing_or_crafted_ids_are_404(sending):
    client = client_as(sending.net, "hq")
    for name in SEND_URLS:
        assert client.get(reverse(f"wagtail_distmark:{name}", args=[987654])).status_code == 404
    for path in ("/admin/distmark/sends/99999999999999999999/", "/admin/distmark/sends/x/"):
        assert client.get(path).status_code == 404


def test_list_of_sends_hides_another_units_sends_and_hq_sees_all(sending, send_a):
    detail = reverse("wagtail_distmark:send_detail", args=[send_a.pk])
    listing = reverse("wagtail_distmark:sends")
    hidden = client_as(sending.net, "manager_c").get(listing)
    assert hidden.status_code == 200
    assert detail not in hidden.content.decode()
    assert str(sending.campaign_a) not in hidden.content.decode()
    assert detail in client_as(sending.net, "hq").get(listing).content.decode()
    assert detail in client_as(sending.net, "manager_a").get(listing).content.decode()


def test_shared_contact_page_shows_only_sends_in_the_viewers_scope(sending, send_a, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    ann = sending.people["a1"]
    link(ann, sending.net.units["c"])  # Ann is Store C's contact too
    contact_url = reverse("distmark_contacts:inspect", args=[ann.pk])
    detail = reverse("wagtail_distmark:send_detail", args=[send_a.pk])
    seen_by_c = client_as(sending.net, "manager_c").get(contact_url)
    assert seen_by_c.status_code == 200
    assert detail not in seen_by_c.content.decode()
    assert str(sending.campaign_a) not in seen_by_c.content.decode()
    seen_by_a = client_as(sending.net, "manager_a").get(contact_url)
    assert detail in seen_by_a.content.decode()


def test_the_scope_sweep_requests_every_sending_url_with_another_units_send(world):  # noqa: F811
    """tests/security's sweep fills each sending URL with Store B's send (or campaign), so
    every role's pass asks them for another unit's objects (the sweep itself passes)."""
    found, _unfillable = probes(world, ["b"])
    paths = {probe.path for probe in found}
    store = world.stores["b"]
    expected = [reverse(f"wagtail_distmark:{name}", args=[store.send.pk]) for name in SEND_URLS]
    expected += [
        reverse("wagtail_distmark:campaign_send", args=[store.campaign.pk]),
        reverse("wagtail_distmark:sends"),
        reverse("wagtail_distmark:sends_results"),
    ]
    assert not [path for path in expected if path not in paths]
