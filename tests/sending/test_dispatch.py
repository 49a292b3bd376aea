"""Who is never sent to, the gate checked again at start, scheduling, pause/resume/cancel,
and (on PostgreSQL) workers claiming from one send at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.sending.backends import (  # noqa: F401 (fixtures)
    SCRIPT,
    add_people,
    drive_to_end,
    scripted,
    started_send,
    states,
)
from wagtail_distmark.contacts.consent import UNSUBSCRIBED, set_consent, suppress
from wagtail_distmark.contacts.erasure import erase_contact
from wagtail_distmark.contacts.links import move_home
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.models import Audience, CommunicationType, Suppression
from wagtail_distmark.sending import dispatch, engine
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]

SENT, SKIPPED, PENDING = Delivery.State.SENT, Delivery.State.SKIPPED, Delivery.State.PENDING
Reason = Delivery.Reason
OTHERS = ["alex@example.org", "bea@example.org", "bob@example.org", "chloe@example.org",
          "carl@example.org"]  # fmt: skip


def one_by_one(settings) -> None:
    settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 1


# Never sent


def test_only_the_units_subscribed_contacts_receive_it(sending):
    send = drive_to_end(started_send(sending))
    assert SCRIPT.addresses() == ["ann@example.org"]
    assert not set(OTHERS) & set(states(send))


@pytest.mark.parametrize("unit_key", ["b", "hq"])
def test_an_audience_of_another_unit_or_hq_reaches_no_one_outside_the_unit(sending, unit_key):
    from wagtail_distmark.contacts.campaign_audience import choose_audience

    trick = Audience.objects.create(
        name="Everyone", unit=sending.net.units[unit_key], communication_type=sending.newsletter
    )
    choose_audience(sending.campaign_a, trick)
    drive_to_end(started_send(sending))
    assert set(SCRIPT.addresses()) <= {"ann@example.org"}
    assert not set(OTHERS) & set(SCRIPT.addresses())


def test_a_row_planted_for_another_units_contact_is_skipped(sending):
    send = started_send(sending)
    for key in ("b1", "c1"):
        Delivery.objects.create(send=send, contact=sending.people[key])
    drive_to_end(send)
    assert SCRIPT.addresses() == ["ann@example.org"]
    assert states(send)["bea@example.org"] == (SKIPPED, Reason.OUT_OF_UNIT)
    assert states(send)["chloe@example.org"] == (SKIPPED, Reason.OUT_OF_UNIT)


def test_no_consent_for_the_type_means_no_row(sending):
    sending.add_contact("a", "silent@example.org", subscribed=False)
    other = CommunicationType.objects.create(name="Offers", slug="offers")
    elsewhere = sending.add_contact("a", "offers@example.org", subscribed=False)
    from wagtail_distmark.contacts.consent import SUBSCRIBED

    set_consent(elsewhere, other, SUBSCRIBED, source=Source.ADMIN, evidence="t")
    send = drive_to_end(started_send(sending))
    assert SCRIPT.addresses() == ["ann@example.org"]
    assert send.total == 1


def after_fan_out(sending, settings, change) -> Send:
    """Pat is a recipient when the rows are created; ``change(pat)`` happens before the
    batch."""
    one_by_one(settings)
    (pat,) = add_people(sending, 1)
    send = started_send(sending)
    assert send.total == 2
    change(pat)
    return drive_to_end(send)


def test_a_contact_who_moved_out_of_the_unit_is_skipped(sending, settings):
    send = after_fan_out(sending, settings, lambda pat: move_home(pat, sending.net.units["b"]))
    assert states(send)["p0@example.org"] == (SKIPPED, Reason.OUT_OF_UNIT)
    assert SCRIPT.addresses() == ["ann@example.org"]


def test_a_contact_suppressed_after_fan_out_is_skipped(sending, settings):
    send = after_fan_out(
        sending, settings, lambda pat: suppress(pat.email, Suppression.Reason.COMPLAINT)
    )
    assert states(send)["p0@example.org"] == (SKIPPED, Reason.SUPPRESSED)
    assert SCRIPT.addresses() == ["ann@example.org"]


def test_an_erased_contact_is_skipped(sending, settings):
    hq = sending.net.users["hq"]
    send = after_fan_out(sending, settings, lambda pat: erase_contact(pat, hq))
    assert [state for state in states(send).values() if state[0] == SKIPPED] == [
        (SKIPPED, Reason.ERASED)
    ]
    assert SCRIPT.addresses() == ["ann@example.org"]


def test_an_unsubscribe_between_two_batches_wins(sending, settings):
    one_by_one(settings)
    (pat,) = add_people(sending, 1)
    send = started_send(sending)
    assert engine.send_batch(send).sent == 1  # Ann
    set_consent(pat, sending.newsletter, UNSUBSCRIBED, source=Source.ADMIN)
    send = drive_to_end(send)
    assert states(send)[pat.email] == (SKIPPED, Reason.NOT_SUBSCRIBED)
    assert SCRIPT.addresses() == ["ann@example.org"]
    assert send.state == Send.State.DONE


# The gate, again at start


def close_by_expiry(sending):
    template = sending.campaign_a.template
    template.valid_until = timezone.now() - timedelta(days=1)
    template.save()


def close_by_change(sending):
    campaign = sending.campaign_a
    campaign.subject = "Changed after approval"
    campaign.save_revision(user=sending.net.users["editor_a"])


@pytest.mark.parametrize(
    ("close", "words"), [(close_by_expiry, "no longer valid"), (close_by_change, "changed")]
)
def test_a_gate_closed_after_scheduling_fails_the_send_at_start(sending, close, words):
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    close(sending)
    assert dispatch.start(send.pk)
    send.refresh_from_db()
    assert send.state == Send.State.FAILED
    assert words in send.reason
    assert send.finished_at is not None
    assert SCRIPT.accepted == [] and not Delivery.objects.filter(send=send, state=SENT).exists()
    sending.campaign_a.refresh_from_db()
    assert sending.campaign_a.sent_at is None and sending.campaign_a.scheduled_at is None


def test_after_a_failed_start_the_campaign_may_be_sent_again(sending):
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    close_by_expiry(sending)
    with pytest.raises(dispatch.SendRefused, match="no longer valid"):
        dispatch.create_send(sending.campaign_a)  # the gate's reason, first
    dispatch.start(send.pk)
    template = sending.campaign_a.template
    template.valid_until = None
    template.save()
    again = drive_to_end(started_send(sending))
    assert again.pk != send.pk and again.state == Send.State.DONE
    assert SCRIPT.addresses() == ["ann@example.org"]


# Scheduling and starting once


def test_create_send_twice_is_refused(sending):
    dispatch.create_send(sending.campaign_a)
    with pytest.raises(dispatch.SendRefused):
        dispatch.create_send(sending.campaign_a)
    assert Send.objects.count() == 1


def test_a_cancelled_send_makes_room_for_a_new_one(sending):
    first = dispatch.create_send(sending.campaign_a, at=timezone.now() + timedelta(hours=1))
    assert dispatch.cancel(first)
    first.refresh_from_db()
    assert first.state == Send.State.CANCELLED
    second = dispatch.create_send(sending.campaign_a)
    assert second.state == Send.State.SCHEDULED


def test_a_scheduled_send_does_not_start_before_its_time(sending):
    send = dispatch.create_send(sending.campaign_a, at=timezone.now() + timedelta(hours=1))
    assert not dispatch.start(send.pk)
    send.refresh_from_db()
    assert send.state == Send.State.SCHEDULED and send.total == 0
    Send.objects.filter(pk=send.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    assert dispatch.start(send.pk)
    assert not dispatch.start(send.pk)
    send.refresh_from_db()
    assert send.state == Send.State.SENDING and send.total == 1


def test_fan_out_again_inserts_nothing_twice(sending):
    add_people(sending, 3)
    send = started_send(sending)
    assert dispatch.fan_out(send) == 4
    assert Delivery.objects.filter(send=send).count() == 4


# Pause, resume, cancel


def test_pause_stops_claiming_and_resume_continues(sending, settings):
    one_by_one(settings)
    add_people(sending, 2)
    send = started_send(sending)
    engine.send_batch(send)
    assert dispatch.pause(send)
    assert dispatch.drive(send.pk, seconds=2).done  # nothing to do while paused
    assert len(SCRIPT.accepted) == 1
    assert send.counts()[PENDING] == 2
    assert dispatch.resume(send)
    send = drive_to_end(send)
    assert len(SCRIPT.accepted) == 3 and send.state == Send.State.DONE


def test_cancel_skips_pending_rows_and_the_send_is_final(sending, settings):
    one_by_one(settings)
    add_people(sending, 2)
    send = started_send(sending)
    engine.send_batch(send)
    assert dispatch.cancel(send, "manager_a")
    send.refresh_from_db()
    assert send.state == Send.State.CANCELLED and send.is_final
    assert dispatch.drive(send.pk, seconds=1).done
    assert len(SCRIPT.accepted) == 1
    skipped = [fate for fate in states(send).values() if fate[0] == SKIPPED]
    assert skipped == [(SKIPPED, Reason.CANCELLED)] * 2
    assert not dispatch.cancel(send)
    assert not dispatch.resume(send)


def test_a_cancel_during_a_batch_leaves_no_row_pending(sending):
    add_people(sending, 2)
    send = started_send(sending)
    SCRIPT.plan("p1@example.org", "451")  # would be retried later
    SCRIPT.on_send = lambda address: address == "p0@example.org" and dispatch.cancel(send)
    engine.send_batch(send)
    counts = send.counts()
    assert (counts[PENDING], counts[Delivery.State.SENDING]) == (0, 0), counts
    assert states(send)["p1@example.org"] == (SKIPPED, Reason.CANCELLED)


# Workers claiming at once (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED)


def claim_all(send_id: int, barrier: threading.Barrier, found: list) -> None:
    try:
        send = Send.objects.get(pk=send_id)
        barrier.wait()
        while ids := engine.claim(send, 3):
            found.append(ids)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claim_disjoint_rows(sending):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED: PostgreSQL")
    add_people(sending, 40)
    send = started_send(sending)
    barrier, found = threading.Barrier(2), [[], []]
    threads = [
        threading.Thread(target=claim_all, args=(send.pk, barrier, found[i])) for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed = [pk for batches in found for ids in batches for pk in ids]
    assert len(claimed) == len(set(claimed)) == 41
    assert all(found), "both workers claimed rows"
    assert set(Delivery.objects.filter(send=send).values_list("attempts", flat=True)) == {1}


def drive_in_thread(send_id: int, barrier: threading.Barrier, errors: list) -> None:
    try:
        barrier.wait()
        dispatch.drive(send_id, seconds=30)
    except Exception as error:  # noqa: BLE001 (reported by the test)
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_driving_one_send_send_each_message_once(sending, settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections: PostgreSQL")
    settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 3
    people = add_people(sending, 30)
    for person in people[::7]:
        SCRIPT.plan(person.email, "451")  # retried, maybe by the other worker
    send = started_send(sending)
    barrier, errors = threading.Barrier(2), []
    threads = [
        threading.Thread(target=drive_in_thread, args=(send.pk, barrier, errors)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    send.refresh_from_db()
    assert send.state == Send.State.DONE
    assert sorted(SCRIPT.addresses()) == sorted({p.email for p in people} | {"ann@example.org"})
    counts = send.counts()
    assert counts[Delivery.State.SENT] == 31 and counts[PENDING] == 0


# The first e-mails leave while the fan-out goes on


def test_batches_start_after_the_first_chunk_and_the_send_ends_only_once_every_row_exists(
    sending, monkeypatch
):
    add_people(sending, 4)
    monkeypatch.setattr(dispatch, "FANOUT_CHUNK", 2)
    send = dispatch.create_send(sending.campaign_a)
    seen = []

    def on_ready():
        row = Send.objects.get(pk=send.pk)
        seen.append((row.state, row.prepared, row.total))
        # A batch chain running now sends what exists and does not finish the send.
        assert dispatch.drive(send.pk, seconds=1).wait > 0

    assert dispatch.start(send.pk, on_ready, early=True)
    assert seen == [(Send.State.SENDING, False, 2)]  # after the first chunk of two
    send.refresh_from_db()
    assert (send.prepared, send.total) == (True, 5)
    assert len(SCRIPT.accepted) == 2  # the first chunk's, sent during the fan-out
    drive_to_end(send)
    assert sorted(SCRIPT.addresses()) == sorted(
        Delivery.objects.filter(send=send).values_list("contact__email", flat=True)
    )
    assert Send.objects.get(pk=send.pk).state == Send.State.DONE


def test_a_campaign_that_cannot_be_compiled_fails_its_send_with_the_reason(sending, monkeypatch):
    def broken(campaign):
        raise FileNotFoundError("original_images/hero.jpg")

    monkeypatch.setattr(dispatch, "compile_for_send", broken)
    send = dispatch.create_send(sending.campaign_a)
    assert dispatch.start(send.pk)
    send.refresh_from_db()
    assert send.state == Send.State.FAILED and "hero.jpg" in send.reason
    sending.campaign_a.refresh_from_db()
    assert sending.campaign_a.sent_at is None  # not frozen: it may be sent again
    assert SCRIPT.accepted == [] and not Delivery.objects.filter(send=send).exists()


def test_a_send_cancelled_while_it_is_being_prepared_never_freezes_the_campaign(
    sending, monkeypatch
):
    send = dispatch.create_send(sending.campaign_a)
    original = type(sending.campaign_a).sending_readiness

    def cancelled_meanwhile(campaign):
        dispatch.cancel(Send.objects.get(pk=send.pk))  # an operator, in another request
        return original(campaign)

    monkeypatch.setattr(type(sending.campaign_a), "sending_readiness", cancelled_meanwhile)
    assert dispatch.start(send.pk)
    monkeypatch.undo()
    sending.campaign_a.refresh_from_db()
    assert sending.campaign_a.sent_at is None  # it may be sent again
    assert Send.objects.get(pk=send.pk).state == Send.State.CANCELLED
    assert SCRIPT.accepted == [] and not Delivery.objects.filter(send=send).exists()
    assert dispatch.create_send(sending.campaign_a).state == Send.State.SCHEDULED
