"""axe-core on the sending screens, in a real browser, as Lyon's manager and editor meet
them: the list of sends, a send's page (live), its confirmations, the campaign's "Send"
screen refused on the field, and a contact's deliveries. Marked ``browser``: run with
``pytest -m browser tests/browser/test_sending_a11y.py``.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_screens_a11y import Survey
from wagtail_distmark.models import Contact, LocalCampaign, OrgUnit
from wagtail_distmark.sending.models import Delivery, DeliveryEvent, Send

pytestmark = pytest.mark.browser


def lyon_send() -> tuple[Send, LocalCampaign, Contact]:
    """A running send of a Lyon campaign with one row of every state the page lists."""
    lyon = OrgUnit.objects.get(code="ML-001")
    campaign = LocalCampaign.objects.filter(unit=lyon).order_by("pk").first()
    send = Send.objects.create(
        campaign=campaign, unit=lyon, state=Send.State.SENDING, total=4, reason=""
    )
    contacts = list(Contact.objects.filter(links__unit=lyon).order_by("pk")[:4])
    states = ["sent", "failed", "unknown", "pending"]
    for contact, state in zip(contacts, states, strict=False):
        Delivery.objects.create(
            send=send, contact=contact, state=state,
            reason="rejected" if state == "failed" else "",
            last_error="550 mailbox unavailable" if state == "failed" else "",
        )  # fmt: skip
    DeliveryEvent.objects.create(delivery=send.deliveries.first(), kind="open", is_machine=True)
    return send, campaign, contacts[0]


def test_sending_screens_are_axe_clean(page, shot):  # noqa: F811 (the fixtures above)
    send, campaign, contact = lyon_send()
    base = f"/admin/distmark/sends/{send.pk}/"
    login(page, "manager")
    survey = Survey(page, shot, "sending-manager")
    survey.visit("sends", "/admin/distmark/sends/")
    survey.visit("send", base)
    expect(page.locator("#send-progress-text")).to_have_attribute("aria-live", "polite")
    survey.visit("cancel-confirm", f"{base}cancel/")
    survey.visit("resend-unknown-confirm", f"{base}resend-unknown/")
    survey.visit("contact", f"/admin/distmark/contacts/inspect/{contact.pk}/")
    Send.objects.filter(pk=send.pk).update(state=Send.State.CANCELLED)
    approved = LocalCampaign.objects.filter(name="Lyon newsletter").first() or campaign
    survey.visit("campaign-send", f"/admin/distmark/campaigns/{approved.pk}/send/")
    schedule = page.get_by_role("button", name="Schedule")
    if schedule.count():  # the campaign may be sent: a past date is refused on the field
        page.get_by_label("Send at").fill("2001-01-01 10:00")
        schedule.focus()  # from the keyboard (the date picker's popup covers the button)
        page.keyboard.press("Enter")
        expect(page.locator("#id_scheduled_at")).to_have_attribute("aria-invalid", "true")
        survey.check("campaign-send-errors")
    login(page, "editor")
    editor = Survey(page, shot, "sending-editor")
    editor.visit("send", base)
    survey.found.update(editor.found)
    survey.assert_clean()
