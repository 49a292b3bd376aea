"""A send's life: created (now or scheduled), started once, fanned out, driven batch by batch
until every row is final; paused, resumed, cancelled; unknown rows resent by an operator.

Plain functions, each safe to run twice and on any worker: the Celery tasks
(``sending/tasks.py``) are thin wrappers over them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail_distmark import conf
from wagtail_distmark.campaigns.readiness import NotReadyToSend
from wagtail_distmark.contacts.campaign_audience import audience_for, recipients_for_campaign
from wagtail_distmark.sending import engine, ratelimit
from wagtail_distmark.sending.messages import compile_for_send
from wagtail_distmark.sending.models import Delivery, Send

State = Send.State
logger = logging.getLogger(__name__)
#: Contacts read (and delivery rows inserted) per step of the fan-out.
FANOUT_CHUNK = 2000
#: The longest a driving loop sleeps in place (a rate limit, a retry soon due) rather than
#: queueing its successor for later.
MAX_INLINE_WAIT = 2.0


class SendRefused(Exception):
    """The campaign may not be sent (not ready, already sending, no audience …)."""


def create_send(campaign, user=None, at=None) -> Send:
    """Send ``campaign`` now (``at`` is ``None``) or at ``at``.

    Raises:
        SendRefused: with the reason, if the gate is closed, it has no audience, or it
            already has a live send.
    """
    readiness = campaign.sending_readiness()
    if not readiness.ready:
        raise SendRefused(readiness.reason)
    audience = audience_for(campaign)
    if audience is None:
        raise SendRefused(_("Choose its recipients first (Recipients, in the editor's menu)."))
    now = timezone.now()
    try:
        with transaction.atomic():
            send = Send.objects.create(
                campaign=campaign, unit=campaign.unit, audience=audience,
                communication_type=audience.communication_type, created_by=user,
                scheduled_at=at or now, state=State.SCHEDULED,
            )  # fmt: skip
            campaign.scheduled_at = at or now
            campaign.save(update_fields=["scheduled_at"])
    except IntegrityError as error:
        raise SendRefused(_("This campaign is already scheduled or being sent.")) from error
    return send


def start(send_id: int, on_ready=None, early: bool = True) -> bool:
    """Start a scheduled send that is due: check the gate again, freeze the campaign,
    compile its message and create its deliveries. Runs at most once per send (the state
    moves from *scheduled* to *preparing* in one conditional update). Returns whether it
    started it. ``on_ready`` is called once batches may start (see :func:`fan_out`)."""
    now = timezone.now()
    moved = Send.objects.filter(pk=send_id, state=State.SCHEDULED, scheduled_at__lte=now).update(
        state=State.PREPARING, started_at=now, heartbeat_at=now, fanout_at=now
    )
    if moved:
        prepare(send_id, on_ready, early)
    return bool(moved)


#: The states of a send whose fan-out may go on (batches run beside it once it is sending).
FANNING_OUT = (State.PREPARING, State.SENDING, State.PAUSED)


def prepare(send_id: int, on_ready=None, early: bool = True) -> None:
    """Freeze and compile the send (once), then create its rows. Safe to run again on a
    send whose worker died while preparing it (see :func:`take_over`)."""
    send = Send.objects.select_related("campaign__template", "campaign__unit", "unit").get(
        pk=send_id
    )
    if send.prepared or send.state not in FANNING_OUT:
        return
    if not send.message and not freeze(send):
        return
    fan_out(send, on_ready, early)


def freeze(send: Send) -> bool:
    """Check the gate again (it may have closed since scheduling); if open, freeze the
    campaign and store the compiled message on the send. Returns whether it may go on."""
    campaign = send.campaign
    readiness = campaign.sending_readiness()
    if not readiness.ready:
        fail(
            send, _("The campaign may no longer be sent: %(reason)s") % {"reason": readiness.reason}
        )
        return False
    try:
        with transaction.atomic():
            # The send's row locked: a cancel either came first (nothing is frozen, the
            # campaign may be scheduled again) or waits until this is committed.
            if not Send.objects.select_for_update().filter(pk=send.pk, state=State.PREPARING):
                return False
            campaign.freeze_for_sending(send.started_at)
            send.message, send.links = compile_for_send(campaign)
            send.fanout_at = timezone.now()  # compiling may take a while: not stalled
            send.save(update_fields=["message", "links", "fanout_at"])
    except Exception as error:  # noqa: BLE001 (rolled back: the campaign may be sent again)
        # A campaign that cannot be compiled (an image file gone, …) would fail the same way
        # at every take-over: the send fails with the reason instead of waiting for ever.
        logger.exception("Send %s: the campaign could not be prepared", send.pk)
        fail(send, _("The campaign could not be prepared: %(error)s") % {"error": error})
        return False
    return True


def take_over(send_id: int, stale_before) -> bool:
    """A send whose fan-out made no progress since ``stale_before`` (its worker died): claim
    it for this worker, once (a conditional update). Returns whether it did."""
    return bool(
        Send.objects.filter(pk=send_id, state__in=FANNING_OUT, prepared=False)
        .filter(Q(fanout_at__lt=stale_before) | Q(fanout_at__isnull=True))
        .update(fanout_at=timezone.now())
    )  # fmt: skip


def fan_out(send: Send, on_ready=None, early: bool = True) -> int:
    """Create the send's delivery rows, a chunk at a time, from the last contact reached
    (idempotent: a second run, or one resumed after a crash, inserts nothing twice); stops
    if the send ended meanwhile. Returns the number of rows.

    With ``early``, the send turns *sending* and ``on_ready`` is called after the first
    chunk, so the first e-mails leave while the rest of the rows are created (a send is done
    only once ``prepared``); otherwise (Celery eager: batches would run inside this call)
    once every row exists."""
    contacts = recipients_for_campaign(send.campaign).order_by("pk").values_list("pk", flat=True)
    while chunk := list(contacts.filter(pk__gt=send.prepared_up_to)[:FANOUT_CHUNK]):
        if not add_rows(send, chunk):
            return send.total
        if early and on_ready is not None and mark_sending(send):
            on_ready()
            on_ready = None
    Send.objects.filter(pk=send.pk, state=State.PREPARING).update(state=State.SENDING)
    Send.objects.filter(pk=send.pk).update(prepared=True, heartbeat_at=timezone.now())
    if on_ready is not None:
        on_ready()
    send.refresh_from_db()
    return send.total


def mark_sending(send: Send) -> bool:
    return bool(
        Send.objects.filter(pk=send.pk, state=State.PREPARING).update(
            state=State.SENDING, heartbeat_at=timezone.now()
        )
    )


def add_rows(send: Send, contact_ids: list[int]) -> bool:
    """One chunk of the fan-out, unless the send ended (the send's row is updated first: on
    PostgreSQL a concurrent cancel waits for this chunk, or this chunk for the cancel).
    Returns whether it added them."""
    with transaction.atomic():
        if not Send.objects.filter(pk=send.pk, state__in=FANNING_OUT).update(
            prepared_up_to=contact_ids[-1], fanout_at=timezone.now()
        ):
            return False
        Delivery.objects.bulk_create(
            [Delivery(send=send, contact_id=pk) for pk in contact_ids], ignore_conflicts=True
        )
        # Rows up to prepared_up_to are committed with it: the total is theirs (counted on
        # this chunk's range only: a resumed chunk may have been half inserted).
        added = Delivery.objects.filter(
            send=send, contact_id__gt=send.prepared_up_to, contact_id__lte=contact_ids[-1]
        ).count()
        send.prepared_up_to = contact_ids[-1]
        send.total += added
        Send.objects.filter(pk=send.pk).update(total=send.total)
    return True


def fail(send: Send, reason: str) -> None:
    """The send cannot go on: it fails with ``reason``; rows not yet sent are skipped."""
    finish(send, State.FAILED, reason, Delivery.Reason.CAMPAIGN_WITHDRAWN)


def finish(send: Send, state: str, reason: str, skip_reason: str) -> None:
    with transaction.atomic():  # the send first: a fan-out's chunk or a batch then sees it
        Send.objects.filter(pk=send.pk).exclude(state__in=Send.FINAL_STATES).update(
            state=state, reason=str(reason)[:500], finished_at=timezone.now()
        )
        engine.skip_pending(send, skip_reason)
        campaign = send.campaign
        if state != State.DONE and campaign.sent_at is None:
            campaign.scheduled_at = None  # it may be scheduled again
            campaign.save(update_fields=["scheduled_at"])
    send.refresh_from_db()


# Driving a send


@dataclass(frozen=True)
class Progress:
    """What a driving loop left: ``done``, or ``wait`` seconds before more work is due."""

    done: bool = False
    wait: float = 0.0


def drive(send_id: int, seconds: float | None = None) -> Progress:
    """Send batches of ``send_id`` for up to ``seconds``; what is left to do."""
    deadline = time.monotonic() + (conf.get_send_task_seconds() if seconds is None else seconds)
    while True:
        send = Send.objects.select_related("unit", "communication_type", "campaign").get(pk=send_id)
        if send.state != State.SENDING:
            return Progress(done=True)
        progress = step(send)
        if progress.done:
            return progress
        left = deadline - time.monotonic()
        if left <= 0:
            return progress
        if progress.wait:
            if progress.wait > min(left, MAX_INLINE_WAIT):
                return progress
            time.sleep(progress.wait)


def step(send: Send) -> Progress:
    """One batch (or a wait): claim due rows, take as many from the rate limits, give back
    the rest, send (:func:`engine.send_batch`). Nothing is taken from the shared limits
    while nothing is due (a send waiting for its retries does not starve the others)."""
    ids = engine.claim(send, conf.get_send_batch_size())
    if not ids:
        return settle(send)
    grant = ratelimit.acquire(send, len(ids))
    if grant.count < len(ids):
        engine.unclaim(ids[grant.count :])
    if not grant.count:
        return Progress(wait=grant.wait)
    engine.send_batch(send, ids=ids[: grant.count])
    Send.objects.filter(pk=send.pk).update(heartbeat_at=timezone.now())
    return Progress()


def settle(send: Send) -> Progress:
    """No due row was left to claim: wait for the next retry, or finish the send."""
    engine.reap(send)
    if not send.prepared:  # the fan-out is still creating rows
        return Progress(wait=0.2)
    due = engine.next_due(send)
    if due is not None:
        return Progress(wait=max(0.05, (due - timezone.now()).total_seconds()))
    if engine.has_rows_in_flight(send):  # another worker's batch: it will finish it
        return Progress(wait=1.0)
    if engine.mark_done(send):
        return Progress(done=True)
    return Progress(wait=0.05)  # a row came back meanwhile (or the send was paused)


# Operators' actions


def pause(send: Send, user=None) -> bool:
    """Stop claiming batches (those in flight finish). Returns whether it changed."""
    return bool(Send.objects.filter(pk=send.pk, state=State.SENDING).update(state=State.PAUSED))


def resume(send: Send, user=None) -> bool:
    return bool(
        Send.objects.filter(pk=send.pk, state=State.PAUSED).update(
            state=State.SENDING, heartbeat_at=timezone.now()
        )
    )


def cancel(send: Send, user=None) -> bool:
    """Cancel a scheduled, sending or paused send: its pending rows are skipped."""
    if send.is_final:
        return False
    finish(send, State.CANCELLED, _("Cancelled by %(user)s.") % {"user": user or _("an operator")},
           Delivery.Reason.CANCELLED)  # fmt: skip
    return True


#: The states in which unknown rows may be resent (not a cancelled or failed send: its
#: rows would wait, pending, in a send nothing drives any more).
RESENDABLE = (State.DONE, State.SENDING, State.PAUSED)


def resend_unknown(send: Send, user=None) -> int:
    """An operator's decision to send the *unknown* rows again (they may get it twice).
    Returns how many were put back to pending (none if the send was cancelled or failed)."""
    with transaction.atomic():
        if not Send.objects.select_for_update().filter(pk=send.pk, state__in=RESENDABLE).exists():
            return 0
        count = Delivery.objects.filter(send=send, state=Delivery.State.UNKNOWN).update(
            state=Delivery.State.PENDING, next_attempt_at=timezone.now(), reason="", claim=""
        )
        if count:
            Send.objects.filter(pk=send.pk, state=State.DONE).update(
                state=State.SENDING, finished_at=None
            )
    return count


__all__ = ["NotReadyToSend", "SendRefused", "create_send", "start", "drive", "pause", "resume",
           "cancel", "resend_unknown"]  # fmt: skip
