"""The Celery tasks: a send starts once and on time, the watchdog starts due sends, takes
over a preparation whose worker died and re-queues stalled sends, never resending a row."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from tests.sending.backends import SCRIPT, add_people, scripted  # noqa: F401 (fixtures)
from wagtail_distmark.sending import dispatch, engine, tasks
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]

State = Send.State


def later(send: Send, **delta) -> None:
    Send.objects.filter(pk=send.pk).update(scheduled_at=timezone.now() + timedelta(**delta))


def long_ago() -> timezone.datetime:
    return timezone.now() - timedelta(seconds=tasks.STALLED_AFTER + 5)


def test_start_send_twice_in_a_row_starts_once(sending, eager_celery):
    send = dispatch.create_send(sending.campaign_a)
    assert tasks.start_send(send.pk)
    assert not tasks.start_send(send.pk)
    send.refresh_from_db()
    assert send.state == State.DONE
    assert SCRIPT.addresses() == ["ann@example.org"]


def test_schedule_start_now_queues_the_start_on_commit(
    sending, eager_celery, django_capture_on_commit_callbacks
):
    send = dispatch.create_send(sending.campaign_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.schedule_start(send)
    assert len(callbacks) == 1
    send.refresh_from_db()
    assert send.state == State.DONE and SCRIPT.addresses() == ["ann@example.org"]


def test_a_scheduled_send_waits_for_its_time_then_the_watchdog_starts_it(sending, eager_celery):
    send = dispatch.create_send(sending.campaign_a, at=timezone.now() + timedelta(hours=1))
    assert not tasks.start_send(send.pk)
    assert tasks.watch_sends() == 0
    send.refresh_from_db()
    assert send.state == State.SCHEDULED and SCRIPT.accepted == []
    later(send, seconds=-1)
    assert tasks.watch_sends() == 1
    send.refresh_from_db()
    assert send.state == State.DONE and SCRIPT.addresses() == ["ann@example.org"]
    assert tasks.watch_sends() == 0


def test_the_watchdog_requeues_a_stalled_send_once(sending, eager_celery, settings):
    settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 1
    add_people(sending, 2)
    send = dispatch.create_send(sending.campaign_a)
    assert dispatch.start(send.pk)  # started, but its chains were lost with their worker
    assert tasks.watch_sends() == 0  # not stalled yet
    assert SCRIPT.accepted == []
    Send.objects.filter(pk=send.pk).update(heartbeat_at=long_ago())
    assert tasks.watch_sends() == 1
    send.refresh_from_db()
    assert send.state == State.DONE and len(SCRIPT.accepted) == 3
    assert len(set(SCRIPT.addresses())) == 3


def test_the_watchdog_finishes_a_preparation_whose_worker_died(sending, eager_celery, monkeypatch):
    send = dispatch.create_send(sending.campaign_a)

    def died(*_args):
        raise SystemExit("SIGKILL")

    monkeypatch.setattr(dispatch, "fan_out", died)
    with pytest.raises(SystemExit):
        tasks.start_send(send.pk)
    monkeypatch.undo()
    send.refresh_from_db()
    assert send.state == State.PREPARING and send.message  # frozen and compiled
    assert not tasks.start_send(send.pk)  # the redelivered task does not start it again
    assert tasks.watch_sends() == 0  # its worker may still be at it
    Send.objects.filter(pk=send.pk).update(fanout_at=long_ago())
    assert tasks.watch_sends() == 1
    send.refresh_from_db()
    assert send.state == State.DONE  # not failed by the gate ("already sent")
    assert SCRIPT.addresses() == ["ann@example.org"]


def test_the_watchdog_skips_rows_left_pending_in_a_cancelled_send(sending):
    send = dispatch.create_send(sending.campaign_a)
    dispatch.start(send.pk)
    Send.objects.filter(pk=send.pk).update(state=State.CANCELLED)  # as a racing batch leaves it
    tasks.watch_sends()
    row = Delivery.objects.get(send=send)
    assert (row.state, row.reason) == (Delivery.State.SKIPPED, Delivery.Reason.CANCELLED)


def test_a_chain_waiting_for_a_retry_is_not_taken_for_stalled(sending, monkeypatch, settings):
    settings.WAGTAIL_DISTMARK_SEND_RETRY_DELAY = 600
    settings.WAGTAIL_DISTMARK_SEND_RETRY_MAX_DELAY = 600
    SCRIPT.plan("ann@example.org", "451")
    send = dispatch.create_send(sending.campaign_a)
    dispatch.start(send.pk)
    queued = []
    monkeypatch.setattr(tasks, "is_eager", lambda: False)
    monkeypatch.setattr(tasks.send_batches, "apply_async", lambda *a, **kw: queued.append(kw))
    tasks.send_batches(send.pk)
    assert len(queued) == 1 and queued[0]["countdown"] >= 300
    two_minutes_on = F("heartbeat_at") - timedelta(seconds=2 * tasks.STALLED_AFTER)
    Send.objects.filter(pk=send.pk).update(heartbeat_at=two_minutes_on)
    monkeypatch.setattr(tasks, "queue_batches", lambda send_id: queued.append(send_id))
    assert tasks.watch_sends() == 0
    assert len(queued) == 1


def start_at_once(send_id: int, barrier: threading.Barrier, results: list) -> None:
    try:
        barrier.wait()
        results.append(dispatch.start(send_id))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_starting_one_send_at_once_start_it_once(sending):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections: PostgreSQL")
    add_people(sending, 3)
    send = dispatch.create_send(sending.campaign_a)
    barrier, results = threading.Barrier(2), []
    threads = [
        threading.Thread(target=start_at_once, args=(send.pk, barrier, results)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [False, True]
    assert Delivery.objects.filter(send=send).count() == 4
    send.refresh_from_db()
    assert send.state == State.SENDING


def test_engine_tidies_unknown_rows_of_an_ended_send(sending, settings):
    send = dispatch.create_send(sending.campaign_a)
    dispatch.start(send.pk)
    engine.claim(send, 10)
    Send.objects.filter(pk=send.pk).update(state=State.CANCELLED)
    assert engine.tidy_ended() == 0  # within the lease
    settings.WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = 0
    assert engine.tidy_ended() == 1
    assert Delivery.objects.get(send=send).state == Delivery.State.UNKNOWN


def test_a_send_far_ahead_waits_for_beat_not_for_a_broker_eta(
    sending, monkeypatch, django_capture_on_commit_callbacks
):
    """A Celery ETA hours ahead is delivered again by Redis after its visibility timeout;
    the watchdog (beat) starts such a send instead."""
    monkeypatch.setattr(tasks, "is_eager", lambda: False)
    queued = []
    monkeypatch.setattr(tasks.start_send, "apply_async", lambda *a, **kw: queued.append(kw))
    soon = dispatch.create_send(sending.campaign_a, at=timezone.now() + timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.schedule_start(soon)
    assert len(queued) == 1 and queued[0]["eta"] == soon.scheduled_at
    dispatch.cancel(soon)
    later = dispatch.create_send(sending.campaign_a, at=timezone.now() + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.schedule_start(later)
    assert len(queued) == 1  # nothing more queued: watch_sends starts it when due
