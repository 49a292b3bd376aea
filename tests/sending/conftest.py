"""A campaign of Store A, approved and ready to send, to Store A's newsletter audience.

Builds on ``tests/contacts/conftest.py``'s people: ``a1`` (Ann) is subscribed at Store A,
``a2`` (Alex) unsubscribed, ``b1``/``b2`` are Store B's, ``c1``/``c2`` Store C's (the other
region). ``sending.campaign_a`` goes to Store A's newsletter audience: Ann only, at first.
"""

from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client

from tests.contacts.conftest import contact_world, make_contact  # noqa: F401 (fixtures)
from tests.contacts.test_campaign_audience import make_campaign
from tests.workflows.conftest import act, make_workflow, submit
from wagtail_distmark.contacts.campaign_audience import choose_audience
from wagtail_distmark.contacts.consent import SUBSCRIBED, set_consent
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.models import Audience, LocalCampaign


@dataclass
class SendingWorld:
    net: object
    people: dict
    newsletter: object
    campaign_a: LocalCampaign
    audience_a: Audience

    def add_contact(self, unit_key: str, email: str, first: str = "Pat", subscribed=True):
        contact = make_contact(self.net.units[unit_key], email, first, "Test")
        if subscribed:
            set_consent(contact, self.newsletter, SUBSCRIBED, source=Source.ADMIN, evidence="t")
        return contact


def approve(net, campaign) -> LocalCampaign:
    """Submit as Store A's editor, approve as its manager (the workflow of the test)."""
    editor, manager = Client(), Client()
    editor.force_login(net.users["editor_a"])
    manager.force_login(net.users["manager_a"])
    submit(editor, campaign)
    assert act(manager, campaign, "approve").status_code == 302
    campaign.refresh_from_db()
    assert campaign.sending_readiness().ready, campaign.sending_readiness().reason
    return campaign


@pytest.fixture
def sending(contact_world, brand_template):  # noqa: F811 (the fixture above)
    net = contact_world.net
    make_workflow(("Store manager approval", "unit_manager", "always"))
    campaign = make_campaign(brand_template, net.units["a"], net.users["editor_a"])
    audience = Audience.objects.create(
        name="Store A newsletter", unit=net.units["a"], communication_type=contact_world.newsletter
    )
    choose_audience(campaign, audience)
    approve(net, campaign)
    mail.outbox.clear()  # the approval mails
    return SendingWorld(
        net=net, people=contact_world.people, newsletter=contact_world.newsletter,
        campaign_a=campaign, audience_a=audience,
    )  # fmt: skip
