"""Celery tasks of sending: thin wrappers over ``dispatch`` (testable without a broker).

``start_send`` runs once per send whatever the broker delivers (``dispatch.start`` moves the
send out of *scheduled* in one conditional update); it queues
``WAGTAIL_DISTMARK_SEND_PARALLEL_TASKS`` ``send_batches`` chains, each of which sends for a
few seconds and queues its successor, so any free worker on any machine joins in. A chain
lost with its worker is replaced by ``watch_sends`` (beat), which also starts scheduled sends
whose timed task was lost. Duplicated tasks are harmless: rows are claimed atomically.
"""

from datetime import timedelta

from celery import current_app, shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagtail_distmark import conf
from wagtail_distmark.sending import dispatch, engine
from wagtail_distmark.sending.models import Send

#: A send with no batch sent for this long (seconds) has lost its chains: ``watch_sends``
#: queues new ones.
STALLED_AFTER = 60
#: The furthest ahead a send is queued with a Celery ETA (under Redis' default visibility
#: timeout of an hour).
ETA_HORIZON = timedelta(minutes=50)


def is_eager() -> bool:
    return bool(current_app.conf.task_always_eager)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def start_send(send_id: int) -> bool:
    """Start the send: the batch chains are queued after the fan-out's first chunk, so the
    first e-mails leave while the other rows are being created."""
    return dispatch.start(send_id, lambda: queue_batches(send_id), early=not is_eager())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def prepare_send(send_id: int) -> None:
    """Finish the fan-out of a send whose worker died while creating its rows."""
    dispatch.prepare(send_id, lambda: queue_batches(send_id), early=not is_eager())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_batches(send_id: int) -> None:
    progress = dispatch.drive(send_id)
    if progress.done:
        return
    if is_eager():
        if not progress.wait:  # in-process (the demo): carry on now; retries wait for beat
            send_batches(send_id)
        return
    # The chain sleeps in the broker: the watchdog must not take the send for stalled (and
    # queue more chains every minute) before it is due again.
    due = timezone.now() + timedelta(seconds=progress.wait)
    Send.objects.filter(pk=send_id, heartbeat_at__lt=due).update(heartbeat_at=due)
    send_batches.apply_async((send_id,), countdown=progress.wait)


@shared_task
def watch_sends() -> int:
    """For Celery beat, every 30 seconds or so: starts due scheduled sends, finishes the
    preparation of sends whose worker died, queues new batch chains for stalled ones and
    tidies the rows of ended sends. Returns how many sends it touched."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=STALLED_AFTER)
    touched = start_due(now) + take_over_preparing(stale_before) + requeue_stalled(stale_before)
    engine.tidy_ended()
    return touched


def start_due(now) -> int:
    due = list(
        Send.objects.filter(state=Send.State.SCHEDULED, scheduled_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    for send_id in due:
        start_send.delay(send_id)
    return len(due)


def take_over_preparing(stale_before) -> int:
    stale = Send.objects.filter(state__in=dispatch.FANNING_OUT, prepared=False).filter(
        Q(fanout_at__lt=stale_before) | Q(fanout_at__isnull=True)
    )
    taken = [
        pk for pk in stale.values_list("pk", flat=True) if dispatch.take_over(pk, stale_before)
    ]
    for send_id in taken:
        prepare_send.delay(send_id)
    return len(taken)


def requeue_stalled(stale_before) -> int:
    stalled = Send.objects.filter(state=Send.State.SENDING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    )
    count = 0
    for send_id in stalled.values_list("pk", flat=True):
        # Once per stall, whatever number of watchdogs run: a conditional update.
        if (
            Send.objects.filter(pk=send_id)
            .filter(Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
            .update(heartbeat_at=timezone.now())
        ):
            queue_batches(send_id)
            count += 1
    return count


def queue_batches(send_id: int) -> None:
    for _chain in range(1 if is_eager() else conf.get_send_parallel_tasks()):
        send_batches.delay(send_id)


def schedule_start(send: Send) -> None:
    """Queue the start of a new send at its time, once the transaction that created it
    commits (``watch_sends`` is the safety net if the timed task is lost)."""
    if send.scheduled_at <= timezone.now():
        transaction.on_commit(lambda: start_send.delay(send.pk))
    elif not is_eager() and send.scheduled_at - timezone.now() <= ETA_HORIZON:
        transaction.on_commit(lambda: start_send.apply_async((send.pk,), eta=send.scheduled_at))
    # Later than that, beat's watch_sends starts it on time (to its period): a message held
    # for hours with an ETA is delivered again by Redis after its visibility timeout.
