"""The provider batch path (``WAGTAIL_DISTMARK_SEND_BATCH_API``): one anymail call per batch,
with per-recipient merge data, headers and metadata, and each recipient's fate recorded.
Runs on anymail's test backend (it records every call in ``mail.outbox``)."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from anymail.signals import pre_send
from django.core import mail

from wagtail_distmark.sending import dispatch, engine, providers
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = pytest.mark.django_db

PEOPLE = [("bo@example.org", "Bob"), ("cleo@example.org", "Cléo <b>")]


@pytest.fixture
def batch_api(settings):
    settings.WAGTAIL_DISTMARK_SEND_BATCH_API = True
    settings.WAGTAIL_DISTMARK_EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.WAGTAIL_DISTMARK_ESP_MERGE_FIELD = "*|%s|*"
    settings.WAGTAIL_DISTMARK_SEND_MAX_ATTEMPTS = 3


def started_send(sending) -> Send:
    """A send of Store A's campaign to Ann, Bob and Chloé, its subject merged per person."""
    for email, first in PEOPLE:
        sending.add_contact("a", email, first)
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk)
    send.refresh_from_db()
    send.message["subject"] = ["Hello ", "contact.first_name", ", autumn at ", "unit.name", ""]
    send.message["html"] = ["<p>Hi ", "contact.first_name", "</p>", "unsubscribe_url", ""]
    send.save(update_fields=["message"])
    return send


def respond(response):
    """Make the test backend answer ``response`` (a status dict or an error) to every call."""

    def receiver(sender, message, **kwargs):
        message.anymail_test_response = response

    pre_send.connect(receiver, weak=False, dispatch_uid="test_anymail_response")
    return receiver


@pytest.fixture(autouse=True)
def no_canned_response():
    yield
    pre_send.disconnect(dispatch_uid="test_anymail_response")


def deliveries(send) -> dict[str, Delivery]:
    return {row.contact.email: row for row in send.deliveries.select_related("contact")}


def test_one_call_per_batch_with_per_recipient_data_headers_and_metadata(sending, batch_api):
    send = started_send(sending)
    result = engine.send_batch(send)
    assert len(mail.outbox) == 1  # one provider call for the three recipients
    params = mail.outbox[0].anymail_test_params
    assert params["is_batch_send"]
    addresses = {"ann@example.org", "bo@example.org", "cleo@example.org"}
    assert {address.addr_spec for address in params["to"]} == addresses
    # The ESP's own fields; the unit's name is the same for all, bound once.
    assert params["subject"] == "Hello *|s0|*, autumn at Store A"
    html = params["html_body"]
    assert html.startswith("<p>Hi *|h0|*</p>*|h1|*")
    data = params["merge_data"]
    assert data["bo@example.org"]["s0"] == "Bob"
    assert data["cleo@example.org"]["s0"] == "Cléo <b>"  # a subject is not HTML
    assert data["cleo@example.org"]["h0"] == "Cléo &lt;b&gt;"  # the HTML value is escaped
    rows = deliveries(send)
    headers = params["merge_headers"]
    assert params["extra_headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    bob_unsubscribe = headers["bo@example.org"]["List-Unsubscribe"]
    assert bob_unsubscribe.startswith("<https://") or bob_unsubscribe.startswith("<http")
    assert bob_unsubscribe != headers["ann@example.org"]["List-Unsubscribe"]
    assert data["bo@example.org"]["h1"] == bob_unsubscribe[1:-1]
    assert params["merge_metadata"]["bo@example.org"] == {
        "distmark_delivery": str(rows["bo@example.org"].pk)
    }
    assert params["track_clicks"] is False
    # Every fate recorded, with the ESP's message id.
    assert result.sent == 3
    assert {row.state for row in rows.values()} == {Delivery.State.SENT}
    assert all(row.message_id == "0" for row in rows.values())  # the test backend's id


def test_fates_per_recipient(sending, batch_api):
    send = started_send(sending)
    respond(
        {
            "recipient_status": {
                "ann@example.org": AnymailRecipientStatus("m-ann", "queued"),
                "bo@example.org": AnymailRecipientStatus(None, "rejected"),
                "cleo@example.org": AnymailRecipientStatus(None, "failed"),
            }
        }
    )
    result = engine.send_batch(send)
    rows = deliveries(send)
    ann, bob, chloe = (rows[f"{name}@example.org"] for name in ("ann", "bo", "cleo"))
    assert (ann.state, ann.message_id) == (Delivery.State.SENT, "m-ann")
    assert (bob.state, bob.reason) == (Delivery.State.FAILED, Delivery.Reason.REJECTED)
    assert chloe.state == Delivery.State.PENDING and chloe.next_attempt_at > ann.sent_at
    assert (result.sent, result.failed, result.retried) == (1, 1, 1)


def test_a_recipient_without_a_status_is_unknown_never_resent(sending, batch_api):
    send = started_send(sending)
    respond({"recipient_status": {"ann@example.org": AnymailRecipientStatus("m1", "sent")}})
    engine.send_batch(send)
    rows = deliveries(send)
    assert rows["bo@example.org"].state == Delivery.State.UNKNOWN
    assert rows["ann@example.org"].state == Delivery.State.SENT
    mail.outbox.clear()
    engine.send_batch(send)
    assert mail.outbox == []  # nothing claimable: unknown rows are never resent


def test_every_recipient_refused_is_failed_not_an_error(sending, batch_api):
    send = started_send(sending)
    refused = AnymailRecipientStatus(None, "invalid")
    everyone = ["ann@example.org"] + [email for email, _name in PEOPLE]
    respond({"recipient_status": dict.fromkeys(everyone, refused)})
    engine.send_batch(send)
    assert {row.state for row in deliveries(send).values()} == {Delivery.State.FAILED}


def api_error(status_code: int) -> AnymailAPIError:
    response = SimpleNamespace(status_code=status_code, reason="Nope", text="nope", json=dict)
    return AnymailAPIError("ESP refused the call", status_code=status_code, response=response)


def test_a_503_retries_every_row_later(sending, batch_api):
    send = started_send(sending)
    respond(api_error(503))
    result = engine.send_batch(send)
    assert len(mail.outbox) == 1  # one call
    rows = deliveries(send).values()
    assert {row.state for row in rows} == {Delivery.State.PENDING}
    assert all("503" in row.last_error for row in rows)
    assert result.retried == 3
    # Once the ESP answers again, each is sent once.
    pre_send.disconnect(dispatch_uid="test_anymail_response")
    Delivery.objects.filter(send=send).update(next_attempt_at=send.created_at)
    engine.send_batch(send)
    assert {row.state for row in deliveries(send).values()} == {Delivery.State.SENT}
    assert len(mail.outbox) == 2


def test_a_400_fails_every_row_with_the_reason(sending, batch_api):
    send = started_send(sending)
    respond(api_error(400))
    engine.send_batch(send)
    rows = deliveries(send).values()
    assert {(row.state, row.reason) for row in rows} == {
        (Delivery.State.FAILED, Delivery.Reason.REJECTED)
    }
    assert all("400" in row.last_error for row in rows)


def test_a_429_without_a_readable_response_is_retried(sending, batch_api):
    send = started_send(sending)
    respond(AnymailAPIError("slow down", status_code=429))  # no response: its text would crash
    engine.send_batch(send)
    assert {row.state for row in deliveries(send).values()} == {Delivery.State.PENDING}


def test_a_broken_connection_after_the_request_leaves_rows_unknown(sending, batch_api):
    send = started_send(sending)
    try:
        raise ConnectionResetError("reset by peer")
    except ConnectionResetError as cause:
        error = AnymailAPIError("transport broke")
        error.__cause__ = cause
    respond(error)
    engine.send_batch(send)
    assert {row.state for row in deliveries(send).values()} == {Delivery.State.UNKNOWN}


def test_a_whole_send_through_the_batch_path_ends_done(sending, batch_api, settings):
    settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 2
    send = started_send(sending)
    progress = dispatch.drive(send.pk, seconds=5)
    assert progress.done
    send.refresh_from_db()
    assert send.state == Send.State.DONE
    assert [len(message.to) for message in mail.outbox] == [2, 1]  # one call per batch
    assert send.counts()[Delivery.State.SENT] == 3


@pytest.mark.parametrize(
    "backend, anymail",
    [
        ("django.core.mail.backends.locmem.EmailBackend", {}),
        ("anymail.backends.test.EmailBackend", {"IGNORE_UNSUPPORTED_FEATURES": True}),
    ],
)
def test_never_one_message_to_the_whole_batch(sending, batch_api, settings, backend, anymail):
    """Without anymail's batch sending, one message would carry every address in its To."""
    settings.WAGTAIL_DISTMARK_EMAIL_BACKEND = backend
    settings.ANYMAIL = anymail
    send = started_send(sending)
    engine.send_batch(send)
    assert mail.outbox == []
    rows = deliveries(send).values()
    assert {row.state for row in rows} == {Delivery.State.PENDING}
    assert all("WAGTAIL_DISTMARK_SEND_BATCH_API" in row.last_error for row in rows)


def test_a_bad_merge_field_setting_retries_and_says_why(sending, batch_api, settings):
    settings.WAGTAIL_DISTMARK_ESP_MERGE_FIELD = "{{name}}"
    send = started_send(sending)
    engine.send_batch(send)
    rows = deliveries(send).values()
    assert mail.outbox == []
    assert {row.state for row in rows} == {Delivery.State.PENDING}
    assert all("WAGTAIL_DISTMARK_ESP_MERGE_FIELD" in row.last_error for row in rows)


def test_field_patterns_with_percent_signs(sending, batch_api, settings):
    settings.WAGTAIL_DISTMARK_ESP_MERGE_FIELD = "%recipient.%s%"  # Mailgun's
    send = started_send(sending)
    engine.send_batch(send)
    assert mail.outbox[0].anymail_test_params["subject"].startswith("Hello %recipient.s0%,")
    assert providers.merge_field_format() == "%recipient.%s%"


def test_two_rows_of_one_address_never_share_a_batch_call():
    rows = [SimpleNamespace(contact=SimpleNamespace(email=email)) for email in
            ("a@example.org", "b@example.org", "A@Example.org")]  # fmt: skip
    first, again = providers.one_per_address(rows)
    assert first == rows[:2] and again == rows[2:]


NO_ANYMAIL = """
import sys
sys.modules["anymail"] = None  # not installed
import django
django.setup()
from wagtail_distmark.sending import engine, events, providers
from wagtail_distmark.signal_handlers import connect_provider_events
assert providers.AnymailMessage is None
print("ok")
"""


def test_the_package_works_without_anymail():
    root = Path(__file__).resolve().parents[2]
    path = f"{root}{os.pathsep}{root / 'example_site'}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": path}
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", NO_ANYMAIL], cwd=root, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
