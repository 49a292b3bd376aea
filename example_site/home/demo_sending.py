"""The demo's campaign ready to send: Lyon's approved newsletter, to Lyon's newsletter audience.

A Lyon manager (``manager``) opens it and presses *Send now*; the e-mails print in the console
of ``make demo`` (or reach a local SMTP catcher: README, "Send the Lyon newsletter").
"""

from dataclasses import dataclass

from home import demo_contacts, demo_workflow
from wagtail_distmark.contacts.campaign_audience import (
    choose_audience,
    chosen_audience,
    recipients_for_campaign,
)
from wagtail_distmark.models import Audience, CommunicationType, LocalCampaign


@dataclass
class ReadyToSend:
    """What the loader reports about the demo's campaign to send."""

    campaign: LocalCampaign
    audience: Audience
    recipients: int
    ready: bool
    reason: str

    def describe(self) -> str:
        head = f"To send: “{self.campaign.name}” to “{self.audience.name}”"
        if not self.ready:
            return f"{head}: not ready ({self.reason})"
        return (
            f"{head}, {self.recipients} recipients (as manager: open it from Campaigns → "
            "Local campaigns, choose Send in its actions menu, then Send now)"
        )


def load() -> ReadyToSend:
    """Choose Lyon's newsletter audience for the approved Lyon newsletter, once; the
    approval itself is the workflow's (:func:`home.demo_workflow.approve`)."""
    campaign = LocalCampaign.objects.get(name=demo_workflow.APPROVED[0])
    newsletter = CommunicationType.objects.get(slug=demo_contacts.NEWSLETTER[1])
    audience = demo_contacts.ensure_audience(campaign.unit, newsletter)
    if chosen_audience(campaign) != audience:
        choose_audience(campaign, audience)
    readiness = campaign.sending_readiness()
    return ReadyToSend(
        campaign=campaign,
        audience=audience,
        recipients=recipients_for_campaign(campaign).count(),
        ready=readiness.ready,
        reason=str(readiness.reason),
    )
