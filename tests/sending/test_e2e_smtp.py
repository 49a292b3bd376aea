"""End to end against a real SMTP receiver (aiosmtpd on 127.0.0.1): two stores' campaigns sent
through Django's SMTP backend, every received message parsed and counted.

The send is driven in this process (``dispatch.start`` then ``dispatch.drive``), so this runs
on SQLite too; ``test_worker_kill.py`` drives one through real Celery workers.
"""

from __future__ import annotations

import email
import time
from email.policy import default as default_policy

import pytest
from django.test import Client

from tests.campaigns.test_admin import edit_form_data, snippet_url
from tests.contacts.conftest import contact_world, make_contact  # noqa: F401 (fixtures)
from tests.contacts.test_campaign_audience import make_campaign
from tests.sending.smtp_server import SMTPReceiver
from tests.workflows.conftest import act, make_workflow
from wagtail_distmark.contacts.campaign_audience import choose_audience
from wagtail_distmark.contacts.consent import SUBSCRIBED, set_consent, suppress
from wagtail_distmark.contacts.models import Source, Suppression
from wagtail_distmark.models import Audience, Membership
from wagtail_distmark.sending import dispatch
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = pytest.mark.django_db

BASE_URL = "https://mail.maison-lumiere.example"
SUBJECT = "Autumn at {{ unit.name }}, {{ contact.first_name }}"
HEADING = "Autumn is here, {{ contact.first_name }}"
#: Each store's sender profile (From name and address, Reply-To).
PROFILES = {
    "a": ("Store A Lumière", "store-a@maison-lumiere.example", "hello@store-a.example"),
    "c": ("Chloé's Candles", "store-c@maison-lumiere.example", "contact@store-c.example"),
}
EXTRA = {"a": 30, "c": 12}  # added subscribed contacts per store


def smtp_settings(settings, receiver: SMTPReceiver) -> None:
    """Campaigns go through Django's SMTP backend to ``receiver``; retries come quickly."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.WAGTAIL_DISTMARK_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = receiver.host, receiver.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.WAGTAIL_DISTMARK_PUBLIC_BASE_URL = BASE_URL
    settings.WAGTAIL_DISTMARK_SEND_RETRY_DELAY = 0.01
    settings.WAGTAIL_DISTMARK_SEND_RETRY_MAX_DELAY = 0.05


def set_profile(unit, key: str) -> None:
    unit.sender_name, unit.sender_email, unit.reply_to = PROFILES[key]
    unit.save()


def approved_campaign(net, template, unit_key: str, editor, manager, newsletter):
    """A campaign of the store with merge tags in its subject and heading, its audience the
    store's newsletter, submitted by ``editor`` and approved by ``manager``."""
    unit = net.units[unit_key]
    campaign = make_campaign(template, unit, editor)
    audience = Audience.objects.create(
        name=f"{unit.name} newsletter", unit=unit, communication_type=newsletter
    )
    choose_audience(campaign, audience)
    body = [dict(child, value=dict(child["value"])) for child in campaign.body.raw_data]
    body[0]["value"]["heading"] = HEADING
    author, approver = Client(), Client()
    author.force_login(editor)
    approver.force_login(manager)
    data = {**edit_form_data(campaign, body, subject=SUBJECT), "action-submit": "1"}
    assert author.post(snippet_url("edit", campaign.pk), data).status_code == 302
    campaign.refresh_from_db()
    assert act(approver, campaign, "approve").status_code == 302
    campaign.refresh_from_db()
    readiness = campaign.sending_readiness()
    assert readiness.ready, readiness.reason
    return campaign


def build_world(net, world, template, extra=EXTRA):
    """Store A's and Store C's campaigns, approved, with ``extra`` more subscribed contacts
    per store, one of Store A's suppressed and one without consent. Returns
    ``(campaigns, expected)``: expected maps each store to {address: first name}."""
    make_workflow(("Store manager approval", "unit_manager", "always"))
    net.member("editor_c", "c", Membership.Role.UNIT_EDITOR)
    for key in PROFILES:
        set_profile(net.units[key], key)
    expected = {
        "a": {"ann@example.org": "Ann"},
        "c": {"chloe@example.org": "Chloé", "carl@example.org": "Carl"},
    }
    for key, count in extra.items():
        for number in range(count):
            address, first = f"{key}{number}@people.example", f"Pat{key.upper()}{number}"
            contact = make_contact(net.units[key], address, first, "Test")
            set_consent(contact, world.newsletter, SUBSCRIBED, source=Source.ADMIN, evidence="t")
            expected[key][address] = first
    suppressed = make_contact(net.units["a"], "gone@people.example", "Gone", "Test")
    set_consent(suppressed, world.newsletter, SUBSCRIBED, source=Source.ADMIN, evidence="t")
    suppress(suppressed.email, Suppression.Reason.HARD_BOUNCE)
    make_contact(net.units["a"], "silent@people.example", "Silent", "Test")  # no consent
    users = net.users
    campaigns = {
        key: approved_campaign(net, template, key, users[f"editor_{key}"], users[f"manager_{key}"],
                               world.newsletter)
        for key in PROFILES
    }  # fmt: skip
    return campaigns, expected


def run_sends(sends, rounds: int = 200) -> None:
    """Start each send and drive them in turn until every one is done (bounded)."""
    for send in sends:
        assert dispatch.start(send.pk)
    left = {send.pk for send in sends}
    for _round in range(rounds):
        waits = []
        for send_id in sorted(left):
            progress = dispatch.drive(send_id, seconds=5)
            if progress.done:
                left.discard(send_id)
            else:
                waits.append(progress.wait)
        if not left:
            return
        time.sleep(min(max(min(waits), 0.01), 0.5))
    raise AssertionError(f"sends {sorted(left)} not done after {rounds} rounds")


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=default_policy)


@pytest.fixture
def receiver():
    with SMTPReceiver() as smtp:
        yield smtp


@pytest.fixture
def stores(net, contact_world, brand_template):  # noqa: F811 (the fixture above)
    return build_world(net, contact_world, brand_template)


def send_both(stores, net) -> list[Send]:
    campaigns, _expected = stores
    sends = [dispatch.create_send(campaigns[key], net.users[f"manager_{key}"]) for key in PROFILES]
    run_sends(sends)
    for send in sends:
        send.refresh_from_db()
        assert send.state == Send.State.DONE, send.reason
    return sends


def assert_one_each(receiver, expected_addresses):
    """Every expected address received exactly one message, and nobody else any."""
    counts = receiver.by_recipient()
    assert receiver.duplicate_recipients() == {}
    assert receiver.duplicate_message_ids() == {}
    assert set(counts) == set(expected_addresses)


def assert_rows_match(receiver, sends):
    """Sent rows are exactly the received messages, by recipient and Message-ID."""
    by_address = {m.rcpt[0].lower(): m.message_id for m in receiver.received()}
    sent = Delivery.objects.filter(send__in=sends, state=Delivery.State.SENT)
    assert sent.count() == receiver.count()
    for address, message_id in sent.values_list("contact__email", "message_id"):
        assert by_address[address.lower()] == message_id


def test_two_stores_each_reach_their_own_contacts_once_signed_by_the_store(
    settings, receiver, stores, net
):
    smtp_settings(settings, receiver)
    _campaigns, expected = stores
    sends = send_both(stores, net)
    everyone = {**expected["a"], **expected["c"]}
    assert_one_each(receiver, everyone)
    assert_rows_match(receiver, sends)
    for never in ("alex@example.org", "bea@example.org", "bob@example.org",
                  "gone@people.example", "silent@people.example"):  # fmt: skip
        assert receiver.by_recipient()[never] == 0
    for key, send in zip(PROFILES, sends, strict=True):  # each store's send, its own list
        sent = send.deliveries.filter(state=Delivery.State.SENT)
        assert set(sent.values_list("contact__email", flat=True)) == set(expected[key])
    skipped = Delivery.objects.filter(send__in=sends).exclude(state=Delivery.State.SENT)
    assert not skipped.exclude(state=Delivery.State.SKIPPED).exists()  # nothing else pending
    message_ids = set()
    for received in receiver.received():
        message = parse(received.raw)
        to = received.rcpt[0].lower()
        key = "a" if to in expected["a"] else "c"
        name, sender, reply_to = PROFILES[key]
        first = expected[key][to]
        unit = net.units[key]
        sender_header = message["From"].addresses[0]
        assert (sender_header.display_name, sender_header.addr_spec) == (name, sender)
        assert [a.addr_spec for a in message["Reply-To"].addresses] == [reply_to]
        assert [a.addr_spec.lower() for a in message["To"].addresses] == [to]
        assert message["Subject"] == f"Autumn at {unit.name}, {first}"
        assert received.mail_from == sender  # the envelope sender too
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert f"Autumn is here, {first}" in text
        assert f"Autumn is here, {first}" in html
        assert "{{" not in text and "{{" not in html  # every tag merged
        message_id = message["Message-ID"]
        assert message_id and message_id == received.message_id
        message_ids.add(message_id)
        unsubscribe = message["List-Unsubscribe"].strip()  # a long URL is folded onto a line
        assert unsubscribe.startswith(f"<{BASE_URL}/") and unsubscribe.endswith(">")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe[1:-1] in text  # the body's unsubscribe link is the header's
    assert len(message_ids) == receiver.count() == len(everyone)
    print(f"\nreceived {receiver.count()} messages from 2 stores ({receiver.summary()})")


def test_one_message_in_ten_deferred_all_arrive_after_retries_none_twice(
    settings, receiver, stores, net
):
    smtp_settings(settings, receiver)
    receiver.defer_every = 10
    _campaigns, expected = stores
    sends = send_both(stores, net)
    everyone = {**expected["a"], **expected["c"]}
    deferred = receiver.deferred()
    assert len(deferred) == len(everyone) // 10  # every tenth new Message-ID, once
    assert_one_each(receiver, everyone)
    assert_rows_match(receiver, sends)
    retried = Delivery.objects.filter(send__in=sends, state=Delivery.State.SENT, attempts=2)
    assert retried.count() == len(deferred)
    assert {row.message_id for row in retried} == {refusal.message_id for refusal in deferred}
    assert not Delivery.objects.filter(send__in=sends, attempts__gt=2).exists()
    print(f"\n4xx to one in ten: {receiver.summary()}")


@pytest.mark.parametrize(
    ("reply", "reason", "suppressed"),
    [
        ("550 5.1.1 <a7@people.example>: Recipient address rejected", "hard_bounce", True),
        ("554 5.7.1 Message refused by policy", "rejected", False),
    ],
)
def test_a_refused_recipient_fails_with_the_servers_reason_nobody_else_affected(
    settings, receiver, stores, net, reply, reason, suppressed
):
    smtp_settings(settings, receiver)
    refused = "a7@people.example"
    receiver.reject, receiver.reject_reply = {refused}, reply
    _campaigns, expected = stores
    sends = send_both(stores, net)
    everyone = {**expected["a"], **expected["c"]}
    del everyone[refused]
    assert_one_each(receiver, everyone)
    assert_rows_match(receiver, sends)
    failed = Delivery.objects.get(send__in=sends, state=Delivery.State.FAILED)
    assert failed.contact.email == refused
    assert (failed.reason, failed.attempts, failed.message_id) == (reason, 1, "")
    code, _space, text = reply.partition(" ")
    assert code in failed.last_error and text in failed.last_error
    assert len(receiver.rejected()) == 1  # never tried again
    assert Suppression.objects.filter(note__contains=code).exists() == suppressed
    assert Delivery.objects.filter(send__in=sends, state=Delivery.State.SENT).count() == len(
        everyone
    )
