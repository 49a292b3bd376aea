"""'Send me a test e-mail' goes to the current user only, as the unit would send it."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.campaigns.test_admin import start
from wagtail_distmark.models import LocalCampaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(net, client_for, brand_template):
    start(client_for(net.users["manager_a"]), brand_template, net.units["a"])
    return LocalCampaign.objects.get()


def url(campaign):
    return reverse("wagtail_distmark:campaign_test_email", args=[campaign.pk])


def test_test_email_reaches_only_the_current_user(net, client_for, campaign, settings):
    settings.WAGTAIL_DISTMARK_SENDER_DOMAINS = ["brand.example"]
    store = net.units["a"]
    store.sender_name, store.sender_email = "Claire — Store A", "store-a@brand.example"
    store.reply_to = "hello-a@brand.example"
    store.save()
    client = client_for(net.users["editor_a"])
    assert "goes to editor_a@example.com only" in client.get(url(campaign)).content.decode()
    response = client.post(url(campaign))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["editor_a@example.com"] and not message.cc and not message.bcc
    assert message.subject == "[Test] Autumn at Store A"
    assert message.from_email == "Claire — Store A <store-a@brand.example>"
    assert message.reply_to == ["hello-a@brand.example"]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Maison Lumière SAS, Paris" in html and "Autumn is here" in html
    assert "Maison Lumière SAS, Paris" in message.body and "<p>" not in message.body


def test_hq_sender_policy_uses_the_default_sender(
    net, client_for, campaign, brand_template, settings
):
    brand_template.sender_policy = "hq"
    brand_template.save()
    client_for(net.users["editor_a"]).post(url(campaign))
    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL


def test_another_stores_user_gets_404_and_no_mail(net, client_for, campaign):
    client = client_for(net.users["manager_c"])
    assert client.get(url(campaign)).status_code == 404
    assert client.post(url(campaign)).status_code == 404
    assert mail.outbox == []
