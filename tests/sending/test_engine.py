"""The sending guarantee: never twice, every fate known, failures handled by their kind.

Each test drives a real send of Store A's approved campaign through the scripted backend
(``tests/sending/backends.py``): what it accepted is what a mail server received.
"""

import smtplib
from collections import Counter

import pytest

from tests.sending.backends import (  # noqa: F401 (fixtures)
    SCRIPT,
    WorkerDied,
    add_people,
    another_campaign,
    drive_to_end,
    scripted,
    started_send,
    states,
)
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.models import Suppression
from wagtail_distmark.sending import dispatch, engine, tasks
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]

PENDING, SENDING, SENT = Delivery.State.PENDING, Delivery.State.SENDING, Delivery.State.SENT
FAILED, SKIPPED, UNKNOWN = Delivery.State.FAILED, Delivery.State.SKIPPED, Delivery.State.UNKNOWN
Reason = Delivery.Reason


def assert_all_final(send: Send) -> None:
    send.refresh_from_db()
    counts = send.counts()
    assert (counts[PENDING], counts[SENDING]) == (0, 0), counts
    assert sum(counts.values()) == send.total


def received_twice(script) -> list[str]:
    return [address for address, n in Counter(script.addresses()).items() if n > 1]


def test_a_send_driven_twice_sends_each_message_once(sending):
    add_people(sending, 4)
    send = drive_to_end(started_send(sending))
    assert dispatch.drive(send.pk, seconds=1).done
    assert not dispatch.start(send.pk)  # started once
    assert sorted(SCRIPT.addresses()) == sorted(
        ["ann@example.org"] + [f"p{i}@example.org" for i in range(4)]
    )
    assert send.state == Send.State.DONE
    assert_all_final(send)


def test_sent_rows_record_the_message_id_and_time(sending):
    send = drive_to_end(started_send(sending))
    row = Delivery.objects.get(send=send)
    message = SCRIPT.accepted[0]
    assert row.state == SENT and row.sent_at is not None
    assert row.message_id == message.extra_headers["Message-ID"]


def crash_midway(sending, settings) -> Send:
    """Batches of 2 over 6 people; the worker dies after the 3rd message was accepted: the
    2nd batch's rows (one accepted, one never tried) stay *sending*."""
    settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 2
    add_people(sending, 5)
    send = started_send(sending)
    SCRIPT.crash_after = 3
    with pytest.raises(WorkerDied):
        dispatch.drive(send.pk, seconds=10)
    assert send.counts()[SENDING] == 2
    return send


def test_a_worker_dying_mid_batch_leaves_unknown_rows_never_resent(sending, settings):
    send = crash_midway(sending, settings)
    in_flight = set(Delivery.objects.filter(send=send, state=SENDING).values_list("pk", flat=True))
    progress = dispatch.drive(send.pk, seconds=0.5)  # within the lease: waits for them …
    assert not progress.done and progress.wait > 0
    assert set(Delivery.objects.filter(send=send, state=SENDING).values_list("pk", flat=True)) == (
        in_flight
    )
    settings.WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = 0
    send = drive_to_end(send)  # … reaped once the lease ran out
    assert set(Delivery.objects.filter(send=send, state=UNKNOWN).values_list("pk", flat=True)) == (
        in_flight
    )
    assert Delivery.objects.get(pk=min(in_flight)).reason == Reason.WORKER_LOST
    assert len(SCRIPT.accepted) == 5  # 3 before the crash, the 2 not yet claimed after it
    assert received_twice(SCRIPT) == []
    assert send.state == Send.State.DONE
    assert_all_final(send)


def test_unknown_rows_survive_the_watchdog_and_only_resend_unknown_sends_them(
    sending, settings, eager_celery
):
    send = crash_midway(sending, settings)
    settings.WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = 0
    Send.objects.filter(pk=send.pk).update(heartbeat_at=None)  # stalled: the watchdog drives it
    tasks.watch_sends()
    tasks.watch_sends()
    send.refresh_from_db()
    assert send.state == Send.State.DONE
    assert send.counts()[UNKNOWN] == 2
    assert len(SCRIPT.accepted) == 5 and received_twice(SCRIPT) == []
    assert dispatch.resend_unknown(send) == 2
    drive_to_end(send)
    assert len(SCRIPT.accepted) == 7  # the operator's choice: one of them may get it twice
    assert send.counts()[SENT] == 6
    assert_all_final(send)


def test_a_slow_batch_whose_rows_were_reaped_still_records_what_it_knows(sending, settings):
    """The reaper guessed (unknown, worker lost); the batch knows (sent, with its id): the
    row must not stay unknown, where "resend unknown" would send it twice."""
    send = started_send(sending)
    ids = engine.claim(send, 10)
    settings.WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = 0
    assert engine.reap(send) == 1
    rows = list(Delivery.objects.filter(pk__in=ids))
    rows[0].state, rows[0].message_id = SENT, "<provider-id>"
    engine.save_fates(rows)
    row = Delivery.objects.get(pk=ids[0])
    assert (row.state, row.message_id) == (SENT, "<provider-id>")


def test_a_slow_batch_never_overwrites_rows_an_operator_chose_to_resend(sending, settings):
    send = started_send(sending)
    ids = engine.claim(send, 10)
    settings.WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = 0
    engine.reap(send)
    rows = list(Delivery.objects.filter(pk__in=ids))
    assert dispatch.resend_unknown(send) == 1  # pending again, the claim cleared
    rows[0].state = FAILED
    engine.save_fates(rows)
    assert Delivery.objects.get(pk=ids[0]).state == Delivery.State.PENDING


def test_a_claim_never_takes_a_sent_failed_skipped_or_unknown_row(sending):
    people = add_people(sending, 4)
    send = started_send(sending)
    finals = [SENT, FAILED, SKIPPED, UNKNOWN]
    for person, state in zip(people, finals, strict=True):
        Delivery.objects.filter(send=send, contact=person).update(state=state)
    ids = engine.claim(send, 100)
    assert list(Delivery.objects.filter(pk__in=ids).values_list("contact__email", flat=True)) == [
        "ann@example.org"
    ]


def test_a_retry_never_touches_a_sent_row(sending):
    add_people(sending, 3)
    SCRIPT.plan("p1@example.org", "451")
    send = started_send(sending)
    engine.send_batch(send)
    sent_before = {
        row.pk: (row.sent_at, row.message_id, row.attempts)
        for row in Delivery.objects.filter(send=send, state=SENT)
    }
    assert len(sent_before) == 3
    drive_to_end(send)
    for row in Delivery.objects.filter(pk__in=sent_before):
        assert (row.sent_at, row.message_id, row.attempts) == sent_before[row.pk]
    assert SCRIPT.attempts["p1@example.org"] == 2
    assert SCRIPT.attempts["ann@example.org"] == 1


def test_a_4xx_for_one_in_ten_is_delivered_after_retries(sending):
    people = add_people(sending, 19)
    for person in people[::10]:
        SCRIPT.plan(person.email, "451", "421")
    send = drive_to_end(started_send(sending))
    assert send.counts()[SENT] == 20
    assert sorted(SCRIPT.addresses()) == sorted(set(SCRIPT.addresses()))
    assert Delivery.objects.get(send=send, contact=people[10]).attempts == 3
    assert_all_final(send)


def test_a_5xx_fails_that_row_with_the_reason_and_nobody_else(sending):
    add_people(sending, 3)
    SCRIPT.plan("p1@example.org", "554")
    send = drive_to_end(started_send(sending))
    fates = states(send)
    assert fates["p1@example.org"] == (FAILED, Reason.REJECTED)
    row = Delivery.objects.get(send=send, contact__email="p1@example.org")
    assert "554" in row.last_error and "refused by policy" in row.last_error
    assert row.attempts == 1
    assert [fates[a][0] for a in ("ann@example.org", "p0@example.org", "p2@example.org")] == [
        SENT
    ] * 3
    assert not Suppression.objects.filter(email_hash=email_hash("p1@example.org")).exists()
    assert_all_final(send)


def test_a_data_error_is_permanent_and_a_4xx_data_error_is_retried(sending):
    add_people(sending, 2)
    SCRIPT.plan("p0@example.org", "data")
    SCRIPT.plan("p1@example.org", "data4xx")
    send = drive_to_end(started_send(sending))
    fates = states(send)
    assert fates["p0@example.org"] == (FAILED, Reason.REJECTED)
    assert fates["p1@example.org"][0] == SENT


def test_a_550_is_a_hard_bounce_the_address_is_suppressed_and_skipped_later(sending):
    (pat,) = add_people(sending, 1)
    SCRIPT.plan(pat.email, "550")
    send = drive_to_end(started_send(sending))
    assert states(send)[pat.email] == (FAILED, Reason.HARD_BOUNCE)
    assert Suppression.objects.get(email_hash=email_hash(pat.email)).reason == (
        Suppression.Reason.HARD_BOUNCE
    )
    later = drive_to_end(started_send(sending, campaign=another_campaign(sending)))
    assert states(later).get(pat.email) in (None, (SKIPPED, Reason.SUPPRESSED))
    assert states(later)["ann@example.org"] == (SENT, "")
    assert SCRIPT.attempts[pat.email] == 1


def test_exhausted_attempts_fail_with_reason_attempts(sending, settings):
    settings.WAGTAIL_DISTMARK_SEND_MAX_ATTEMPTS = 3
    SCRIPT.plan("ann@example.org", "451", "451", "451", "451")
    send = drive_to_end(started_send(sending))
    row = Delivery.objects.get(send=send)
    assert (row.state, row.reason, row.attempts) == (FAILED, Reason.TOO_MANY_ATTEMPTS, 3)
    assert "451" in row.last_error
    assert SCRIPT.attempts["ann@example.org"] == 3
    assert_all_final(send)


def test_a_disconnect_mid_message_makes_that_row_unknown_and_the_rest_wait(sending):
    add_people(sending, 4)  # Ann, p0 … p3, in that order
    SCRIPT.plan("p1@example.org", "disconnect")
    send = started_send(sending)
    result = engine.send_batch(send)
    assert (result.sent, result.unknown, result.released) == (2, 1, 2)
    fates = states(send)
    assert fates["p1@example.org"] == (UNKNOWN, Reason.WORKER_LOST)
    assert fates["p2@example.org"] == (PENDING, "")
    assert Delivery.objects.get(send=send, contact__email="p2@example.org").attempts == 0
    drive_to_end(send)
    assert sorted(SCRIPT.addresses()) == [
        "ann@example.org", "p0@example.org", "p2@example.org", "p3@example.org"
    ]  # fmt: skip
    assert SCRIPT.attempts["p1@example.org"] == 1
    assert_all_final(send)


def test_an_open_failure_retries_every_row_without_using_up_attempts(sending, settings):
    settings.WAGTAIL_DISTMARK_SEND_MAX_ATTEMPTS = 1
    add_people(sending, 2)
    SCRIPT.fail_opens = 3
    send = started_send(sending)
    result = engine.send_batch(send)
    assert (result.sent, result.failed) == (0, 0)
    assert send.counts()[PENDING] == 3
    send = drive_to_end(send)
    assert send.counts()[SENT] == 3
    assert set(Delivery.objects.filter(send=send).values_list("attempts", flat=True)) == {1}
    assert_all_final(send)


def test_classify_reads_smtp_codes_and_provider_statuses():
    from smtplib import SMTPRecipientsRefused, SMTPServerDisconnected

    class ProviderError(Exception):
        def __init__(self, status_code):
            self.status_code = status_code

    assert engine.classify(SMTPRecipientsRefused({"a@x": (451, b"4.3.0")})).retry
    assert engine.classify(SMTPRecipientsRefused({"a@x": (550, b"5.1.1 no")})).suppress
    assert engine.classify(SMTPRecipientsRefused({"a@x": (554, b"5.1.1 bad")})).suppress
    assert not engine.classify(SMTPRecipientsRefused({"a@x": (554, b"5.7.1 no")})).retry
    assert engine.classify(SMTPRecipientsRefused({"a@x": (550, b"no such user")})).suppress
    assert engine.classify(SMTPServerDisconnected("gone")).ambiguous
    assert engine.classify(ProviderError(429)).retry
    assert engine.classify(ProviderError(503)).retry
    assert not engine.classify(ProviderError(400)).retry
    assert engine.classify(OSError("network unreachable")).retry


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPSenderRefused(550, b"5.7.1 Sender domain not authorised", "shop@brand.example"),
        smtplib.SMTPSenderRefused(553, b"Sender address rejected", "shop@brand.example"),
        smtplib.SMTPDataError(550, b"5.7.1 Message rejected as spam"),
        smtplib.SMTPRecipientsRefused({"a@x": (550, b"5.7.1 Relaying denied")}),
    ],
)
def test_a_refusal_that_is_not_about_the_address_suppresses_nobody(error):
    outcome = engine.classify(error)
    assert not outcome.retry and not outcome.suppress
    assert outcome.reason == Reason.REJECTED


def test_a_refused_sender_fails_no_row_and_suppresses_no_one(sending, monkeypatch):
    add_people(sending, 2)

    def refuse_sender(address):
        raise smtplib.SMTPSenderRefused(550, b"5.7.1 Not authorised", "shop@brand.example")

    SCRIPT.on_send = refuse_sender
    send = drive_to_end(started_send(sending))
    assert set(states(send).values()) == {(Delivery.State.PENDING, "")}  # they wait
    assert Send.objects.get(pk=send.pk).state == Send.State.PAUSED
    assert not Suppression.objects.exists()


def test_resend_unknown_does_nothing_in_a_cancelled_send(sending, settings):
    send = crash_midway(sending, settings)
    assert dispatch.cancel(send)
    settings.WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = 0
    engine.tidy_ended()
    assert send.counts()[UNKNOWN] == 2
    assert dispatch.resend_unknown(send) == 0
    send.refresh_from_db()
    assert send.state == Send.State.CANCELLED and send.counts()[UNKNOWN] == 2


# Refusals that are not about one recipient, and the unexpected


def test_a_refused_sender_pauses_the_send_with_the_reason_and_fails_nobody(sending):
    people = add_people(sending, 3)
    SCRIPT.plan(people[0].email, "sender")
    send = started_send(sending)
    dispatch.drive(send.pk, seconds=5)
    send.refresh_from_db()
    assert send.state == Send.State.PAUSED and "Sender not allowed" in send.reason
    assert not send.deliveries.filter(state=FAILED).exists()
    assert SCRIPT.addresses() == ["ann@example.org"]  # before the refusal
    assert send.deliveries.filter(state=Delivery.State.PENDING).count() == 3
    assert not Suppression.objects.exists()
    dispatch.resume(send)  # the operator fixed the sender's domain
    drive_to_end(send)
    assert sorted(SCRIPT.addresses()) == sorted(
        ["ann@example.org", *[person.email for person in people]]
    )


def test_a_message_that_cannot_be_built_fails_alone(sending, monkeypatch):
    people = add_people(sending, 2)
    original = engine.build_message

    def broken(send, row, contact, connection=None):
        if contact.email == people[0].email:
            raise KeyError("html")
        return original(send, row, contact, connection=connection)

    monkeypatch.setattr(engine, "build_message", broken)
    send = started_send(sending)
    drive_to_end(send)
    row = send.deliveries.get(contact=people[0])
    assert (row.state, row.reason) == (FAILED, Delivery.Reason.ERROR)
    assert sorted(SCRIPT.addresses()) == sorted(["ann@example.org", people[1].email])
    assert_all_final(send)


def test_an_unexpected_error_leaves_no_row_sending(sending, monkeypatch):
    add_people(sending, 2)
    send = started_send(sending)
    monkeypatch.setattr(engine, "recheck", lambda send, ids: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        engine.send_batch(send, 10)
    assert not send.deliveries.filter(state=Delivery.State.SENDING).exists()
    assert send.deliveries.filter(state=Delivery.State.PENDING).count() == 3
    monkeypatch.undo()
    drive_to_end(send)
    assert len(SCRIPT.accepted) == 3


def test_a_backend_that_sends_nothing_without_an_error_is_retried(sending, monkeypatch):
    calls = []

    def declined(self, messages):
        calls.append(messages)
        return 0 if len(calls) == 1 else len(messages)

    monkeypatch.setattr("tests.sending.backends.ScriptedBackend.send_messages", declined)
    send = started_send(sending)
    drive_to_end(send)
    row = send.deliveries.get()
    assert (row.state, row.attempts) == (SENT, 2)


def test_a_paused_send_claims_nothing(sending):
    send = started_send(sending)
    dispatch.pause(send)
    assert engine.claim(send, 10) == []
    assert SCRIPT.accepted == []
