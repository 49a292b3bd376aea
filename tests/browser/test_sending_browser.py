"""Sending, walked in a real browser as Lyon's manager (``manager``) and as a recipient.

``tests/sending/test_admin_a11y.py`` runs axe-core on each sending screen; this module walks
them: the campaign editor's "Send" item, the Send screen and its count, a past date refused
on the field, "Send now" from the keyboard, the send's page following the send live (its
``aria-live`` text changes with no reload), the contact's deliveries; then the unsubscribe
page opened from a link of a sent e-mail, used from the keyboard. Each screen is saved at
1280 and 375 pixels wide under ``/tmp/shots-sending/`` to be looked at.

The example site runs Celery eagerly: "Send now" would send everything inside its request.
The walk replaces the queueing of the start (``tasks.schedule_start``) with a note, as a
broker would hold it, and plays the worker from the test, a step at a time, while the page
polls.
"""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from home import demo_workflow
from tests.browser.conftest import (
    VIEWPORT,
    axe_violations,
    describe_violations,
    login,
    settle_animations,
)
from wagtail_distmark.contacts.campaign_audience import recipients_for_campaign
from wagtail_distmark.contacts.models import Consent
from wagtail_distmark.models import LocalCampaign
from wagtail_distmark.sending import dispatch, engine, tasks
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-sending")  # noqa: S108 (screenshots to look at, asked for there)
WIDTHS = (1280, 375)
CAMPAIGN = demo_workflow.APPROVED[0]  # "Lyon newsletter": approved, its audience chosen
CAMPAIGNS_URL = "/admin/snippets/wagtail_distmark/localcampaign/"
SEND_URL = re.compile(r"/admin/distmark/sends/(\d+)/$")


@pytest.fixture
def shots(page):
    """``shots("name")`` saves ``/tmp/shots-sending/<name>-1280.png`` and ``-375.png``: the
    whole page (the admin scrolls inside ``<main>``: the viewport grows to the content)."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
            page.wait_for_timeout(500)  # the admin's sidebar slides to its narrow layout
            settle_animations(page)
            hidden = page.evaluate(
                """() => Math.max(0, ...Array.from(document.querySelectorAll('main'),
                       (el) => el.scrollHeight - el.clientHeight))"""
            )
            if hidden:
                page.set_viewport_size({"width": width, "height": VIEWPORT["height"] + hidden})
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": VIEWPORT["height"]})

    return take


@pytest.fixture
def held_starts(monkeypatch):
    """The sends whose start "Send now" queued, held as a broker would (not run)."""
    held = []
    monkeypatch.setattr(tasks, "schedule_start", held.append)
    return held


@pytest.fixture
def public_links(settings, live_server):
    """Sent e-mails link to the live server (unsubscribe, view online)."""
    settings.WAGTAIL_DISTMARK_PUBLIC_BASE_URL = live_server.url


def assert_axe_clean(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe_violations(violations)}"


def lyon_newsletter() -> LocalCampaign:
    return LocalCampaign.objects.get(name=CAMPAIGN)


def live_text(page):
    return page.locator("#send-progress-text")


def test_manager_sends_the_lyon_newsletter(page, shots, held_starts, uncaught):
    campaign = lyon_newsletter()
    recipients = recipients_for_campaign(campaign).count()
    assert recipients > 1
    mail.outbox.clear()  # the demo's approval mails
    login(page, "manager")

    # The campaign editor: "Send" is in the footer's "More actions".
    page.goto(f"{CAMPAIGNS_URL}edit/{campaign.pk}/")
    footer = page.locator("footer")
    footer.get_by_role("button", name="More actions").click()
    footer.get_by_role("link", name="Send", exact=True).click()
    page.wait_for_url(f"**/admin/distmark/campaigns/{campaign.pk}/send/")
    expect(page.locator("[data-send-recipients]")).to_contain_text(
        f"reaches {recipients} contacts today"
    )
    shots("send-screen")

    # A past date for "Schedule": refused on the field, the message tied to it.
    page.get_by_label("Send at").fill("2001-01-01 10:00")
    schedule = page.get_by_role("button", name="Schedule")
    schedule.focus()  # the date picker's popup covers the button
    page.keyboard.press("Enter")
    field = page.locator("#id_scheduled_at")
    expect(field).to_have_attribute("aria-invalid", "true")
    wrapper = page.locator(".w-field__wrapper", has=field)
    expect(wrapper.locator(".error-message")).to_have_text("Choose a time in the future.")
    assert not Send.objects.filter(campaign=campaign).exists()
    shots("send-screen-past-date")
    assert_axe_clean(page)

    # "Send now" from the keyboard: Tab from the date field until it has focus, then Enter.
    field.focus()
    page.keyboard.press("Escape")  # close the date picker the focus opened
    send_now = page.get_by_role("button", name="Send now")
    for _ in range(10):
        page.keyboard.press("Tab")
        if send_now.evaluate("(button) => button === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reaches “Send now”")
    page.keyboard.press("Enter")
    page.wait_for_url(SEND_URL)
    send = Send.objects.get(campaign=campaign)
    assert [held.pk for held in held_starts] == [send.pk]
    expect(page.locator(".messages")).to_contain_text(f"“{CAMPAIGN}” is being sent.")
    text = live_text(page)
    expect(text).to_have_attribute("aria-live", "polite")
    expect(text).to_have_text("Scheduled: 0 of 0 done (0%)")
    page.evaluate("() => { window.distmarkNoReload = true; }")

    # The worker starts it: its rows exist, the page says so by itself.
    dispatch.start(send.pk, early=False)
    expect(text).to_have_text(f"Sending: 0 of {recipients} done (0%)")
    engine.send_batch(Send.objects.get(pk=send.pk), 1)
    percent = 100 // recipients
    expect(text).to_have_text(f"Sending: 1 of {recipients} done ({percent}%)")
    expect(page.locator("[data-send-count='sent']")).to_have_text("1")
    expect(page.get_by_role("link", name="Cancel the send…")).to_be_visible()
    shots("send-page-sending")
    assert_axe_clean(page)

    # The rest of the batches: "Done", the actions gone, all without a reload.
    tasks.send_batches(send.pk)
    expect(text).to_have_text(f"Done: {recipients} of {recipients} done (100%)")
    expect(page.locator("[data-send-state]")).to_have_text("Done")
    expect(page.locator("[data-send-actions]")).to_be_hidden()
    assert page.evaluate("() => window.distmarkNoReload === true")
    assert len(mail.outbox) == recipients
    shots("send-page-done-live")
    assert_axe_clean(page)
    page.reload()
    expect(text).to_have_text(f"Done: {recipients} of {recipients} done (100%)")
    shots("send-page-done")

    # The listing of sends, then the first recipient's page shows the delivery.
    page.goto("/admin/distmark/sends/")
    expect(page.locator("main")).to_contain_text(CAMPAIGN)
    shots("sends-listing")
    delivery = Delivery.objects.filter(send=send).order_by("pk").first()
    page.goto(f"/admin/distmark/contacts/inspect/{delivery.contact_id}/")
    row = page.locator("[data-contact-deliveries] tbody tr").first
    expect(row).to_contain_text(CAMPAIGN)
    expect(row.locator("td").nth(1)).to_have_text("Sent")
    shots("contact-deliveries")
    assert not uncaught
    assert not page.failed_static


def test_a_past_date_error_is_described_by_the_field(page):
    campaign = lyon_newsletter()
    login(page, "manager")
    page.goto(f"/admin/distmark/campaigns/{campaign.pk}/send/")
    page.get_by_label("Send at").fill("2001-01-01 10:00")
    page.get_by_role("button", name="Schedule").focus()
    page.keyboard.press("Enter")
    field = page.locator("#id_scheduled_at")
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = (field.get_attribute("aria-describedby") or "").split()
    said = [page.locator(f"[id='{ref}']").inner_text().strip() for ref in described_by]
    assert "Choose a time in the future." in said, (described_by, said)


def running_send(campaign, held_starts) -> Send:
    """A send of ``campaign`` as "Send now" leaves it, started, one e-mail sent."""
    send = dispatch.create_send(campaign, None)
    dispatch.start(send.pk, early=False)
    engine.send_batch(Send.objects.get(pk=send.pk), 1)
    return send


def test_cancel_and_resend_confirmations(page, shots, held_starts):
    send = running_send(lyon_newsletter(), held_starts)
    base = f"/admin/distmark/sends/{send.pk}/"
    login(page, "manager")
    page.goto(base)
    page.get_by_role("link", name="Cancel the send…").click()
    page.wait_for_url(f"**{base}cancel/")
    expect(page.get_by_role("alert")).to_contain_text("Cancel this send?")
    shots("cancel-confirm")
    page.get_by_role("link", name="No, keep it").click()
    page.wait_for_url(f"**{base}")
    assert Send.objects.get(pk=send.pk).state == Send.State.SENDING

    # A worker died mid-batch: one row unknown, the page offers to resend it.
    Delivery.objects.filter(send=send, state=Delivery.State.SENT).update(
        state=Delivery.State.UNKNOWN
    )
    page.reload()
    page.get_by_role("link", name="Resend unknown…").click()
    page.wait_for_url(f"**{base}resend-unknown/")
    expect(page.get_by_role("alert")).to_contain_text("1 delivery is unknown")
    shots("resend-unknown-confirm")

    # Cancelling from the keyboard: the send is cancelled, the page says so.
    page.goto(f"{base}cancel/")
    confirm = page.get_by_role("button", name="Yes, cancel the send")
    confirm.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{base}")
    expect(page.locator(".messages")).to_contain_text("The send is cancelled")
    assert Send.objects.get(pk=send.pk).state == Send.State.CANCELLED
    shots("send-page-cancelled")


def unsubscribe_link(message) -> str:
    """The unsubscribe link of the e-mail's HTML body, as a mail client shows it."""
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    links = re.findall(r'href="([^"]*/mail/u/[^"]+)"', html)
    assert links, "no unsubscribe link in the e-mail"
    return links[0].replace("&amp;", "&")


def test_unsubscribe_from_a_sent_email(page, shots, public_links, held_starts, live_server):
    campaign = lyon_newsletter()
    mail.outbox.clear()  # the demo's approval mails
    send = dispatch.create_send(campaign, None)
    tasks.start_send(send.pk)  # the whole send, in-process (eager Celery)
    assert Send.objects.get(pk=send.pk).state == Send.State.DONE
    message = mail.outbox[0]
    link = unsubscribe_link(message)
    assert link.startswith(live_server.url), link
    assert "/mail/u/" in message.extra_headers["List-Unsubscribe"]

    # Lyon's unit speaks French: the page does too.
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se désinscrire")
    shots("unsubscribe")
    assert_axe_clean(page)

    # The first Tab reaches the one-click button; Enter unsubscribes.
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Se désinscrire", exact=True)
    assert button.evaluate("(button) => button === document.activeElement")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre désinscription est enregistrée"
    )
    expect(page.locator("main")).to_contain_text("Vous ne recevrez plus d'e-mails")
    contact = Delivery.objects.get(send=send, contact__email=message.to[0]).contact
    consent = Consent.objects.get(contact=contact, communication_type=send.communication_type)
    assert consent.status == "unsubscribed"
    shots("unsubscribed")
    assert_axe_clean(page)
