"""One batch of a send: claim rows, check each recipient again, send, record each fate.

The order is the guarantee (docs/explanation/sending.md):

1. :func:`claim` marks up to a batch of due *pending* rows *sending* and commits, with a
   random claim token (on PostgreSQL the rows are picked with ``SELECT … FOR UPDATE SKIP
   LOCKED``, so any number of workers on any number of machines share one send).
2. :func:`recheck` skips, with the reason, whoever unsubscribed, was suppressed or erased, or
   left the unit since the audience was built (an unsubscribe a second before the batch wins).
3. The backend is called once per message over one connection; each accepted message is
   *sent* with its message id, each refusal is retried later (transient) or *failed* with
   the reason (permanent; a hard bounce suppresses the address).
4. A worker that dies between 1 and 3 leaves rows *sending*: :func:`reap` turns them
   *unknown* once their lease ran out. Nothing ever claims them again.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q
from django.utils import timezone

from wagtail_distmark import conf
from wagtail_distmark.contacts.consent import not_suppressed_q, subscribed_q, suppress
from wagtail_distmark.contacts.models import Contact, Suppression
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.sending import providers
from wagtail_distmark.sending.messages import build_message, message_id, message_id_sql
from wagtail_distmark.sending.models import Delivery, Send

logger = logging.getLogger(__name__)
PENDING, SENDING, SENT = Delivery.State.PENDING, Delivery.State.SENDING, Delivery.State.SENT
FAILED, SKIPPED, UNKNOWN = Delivery.State.FAILED, Delivery.State.SKIPPED, Delivery.State.UNKNOWN
Reason = Delivery.Reason
#: The longest error text kept on a row.
MAX_ERROR = 1000
#: The error of a message the backend declined without raising (it returned 0 sent).
NOT_ACCEPTED = "The e-mail backend did not accept the message (it sent 0)."


@dataclass
class BatchResult:
    """What one batch did (counts by outcome)."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    unknown: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)
    #: Why the send must pause (a refusal that is not about one recipient), if it must.
    systemic: str = ""


@dataclass(frozen=True)
class Outcome:
    """How a backend's refusal is handled."""

    retry: bool  # transient: try again later
    text: str
    reason: str = Reason.REJECTED
    suppress: bool = False  # the address is bad for good (a hard bounce)
    ambiguous: bool = False  # the message may have left: unknown, never resent
    #: Not about this recipient: our sender refused, a login or policy refusal, a bad API
    #: key. Every row would fail the same way: the send is paused with the reason.
    systemic: bool = False


# 1. Claiming


def claim(send: Send, size: int) -> list[int]:
    """Claim up to ``size`` due pending rows of ``send``: they are *sending* and committed
    when this returns. Returns their ids."""
    now = timezone.now()
    token = uuid.uuid4().hex
    due = Delivery.objects.filter(
        send=send, send__state=Send.State.SENDING, state=PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")  # a send paused or cancelled meanwhile: nothing
    claimed = {"state": SENDING, "claim": token, "claimed_at": now, "attempts": F("attempts") + 1}
    with transaction.atomic():
        if db_connection.features.has_select_for_update_skip_locked:
            ids = list(
                due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
                    :size
                ]
            )
            Delivery.objects.filter(pk__in=ids).update(**claimed)
        else:  # SQLite: one UPDATE statement is atomic, and writers take turns
            Delivery.objects.filter(pk__in=due.values("pk")[:size], state=PENDING).update(**claimed)
            ids = list(Delivery.objects.filter(claim=token).values_list("pk", flat=True))
    return ids


# 2. Checking every recipient again


def recheck(send: Send, contact_ids: list[int]) -> dict[int, str]:
    """The contacts of ``contact_ids`` who may no longer be sent to, with the reason."""
    contacts = Contact.objects.filter(pk__in=contact_ids)
    path = send.unit.path
    eligible = contacts.under(path).filter(not_suppressed_q()).exclude(email="")
    if send.communication_type is None:  # its type is gone: nobody's consent can be judged
        return dict.fromkeys(contact_ids, Reason.NOT_SUBSCRIBED)
    eligible = eligible.filter(subscribed_q(send.communication_type, path))
    ok = set(eligible.values_list("pk", flat=True))
    refused = [pk for pk in contact_ids if pk not in ok]
    if not refused:
        return {}
    return why_not(send, refused)


def why_not(send: Send, contact_ids: list[int]) -> dict[int, str]:
    """The reason each of these contacts is refused (a few queries, for the refused only)."""
    reasons = {}
    rows = Contact.objects.filter(pk__in=contact_ids).values_list("pk", "email", "erased_at")
    in_unit = set(Contact.objects.filter(pk__in=contact_ids).under(send.unit.path).values_list(
        "pk", flat=True))  # fmt: skip
    hashes = {email_hash(email) for _pk, email, _erased in rows if email}
    suppressed = set(
        Suppression.objects.filter(email_hash__in=hashes).values_list("email_hash", flat=True)
    )
    for pk, email, erased_at in rows:
        if erased_at is not None:
            reasons[pk] = Reason.ERASED
        elif not email:
            reasons[pk] = Reason.NO_ADDRESS
        elif email_hash(email) in suppressed:
            reasons[pk] = Reason.SUPPRESSED
        elif pk not in in_unit:
            reasons[pk] = Reason.OUT_OF_UNIT
        else:
            reasons[pk] = Reason.NOT_SUBSCRIBED
    return reasons


# 3. Sending


def classify(error: Exception) -> Outcome:
    """Transient or permanent, from an SMTP reply code or a provider's HTTP status."""
    text = describe(error)
    code = smtp_code(error)
    if code is None:
        code = getattr(error, "status_code", None)
        if code is None:
            response = getattr(error, "response", None)
            code = getattr(response, "status_code", None)
        if isinstance(code, int) and (code == 429 or code >= 500):
            return Outcome(retry=True, text=text)
        if code in (401, 403):  # the provider refuses our key or account: every row would
            return Outcome(retry=False, text=text, systemic=True)
        if isinstance(code, int):
            return Outcome(retry=False, text=text)
        if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError):
            # The connection dropped while the message was on its way: it may have left.
            return Outcome(retry=False, text=text, reason=Reason.WORKER_LOST, ambiguous=True)
        if isinstance(error, OSError):
            return Outcome(retry=True, text=text)
        return Outcome(retry=False, text=text)
    if 400 <= code < 500:
        return Outcome(retry=True, text=text)
    if is_systemic(error):
        return Outcome(retry=False, text=text, systemic=True)
    hard = is_hard_bounce(error, code)
    return Outcome(
        retry=False, text=text, reason=Reason.HARD_BOUNCE if hard else Reason.REJECTED,
        suppress=hard,
    )  # fmt: skip


def is_systemic(error: Exception) -> bool:
    """A permanent refusal of the sender or the session, not of the recipient: our From:
    refused (``MAIL FROM``), authentication required or refused (530/535, 5.7.0/5.7.8)."""
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        return True
    return smtp_code(error) in (530, 535) or enhanced_status(error) in ("5.7.0", "5.7.8")


def is_hard_bounce(error: Exception, code: int) -> bool:
    """The recipient's address is bad for good: an enhanced status 5.1.x (bad mailbox or
    domain), else a bare 550/551/553 refusing the recipient. Never a refused sender (our
    own From: suppressing every recipient of the batch would be a disaster), nor a policy
    or content refusal (5.7.x)."""
    if isinstance(error, smtplib.SMTPSenderRefused):
        return False
    enhanced = enhanced_status(error)
    if enhanced:
        return enhanced.startswith("5.1.")
    return isinstance(error, smtplib.SMTPRecipientsRefused) and code in (550, 551, 553)


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR]


def smtp_code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return max(codes) if codes else None
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    return None


def enhanced_status(error: Exception) -> str:
    """The enhanced status code (RFC 3463, e.g. ``5.1.1``) of an SMTP reply, if any."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = [message for _code, message in error.recipients.values()]
    else:
        replies = [getattr(error, "smtp_error", b"")]
    for reply in replies:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        first = text[:16].split(" ", 1)[0]
        if first.count(".") == 2 and first.replace(".", "").isdigit():
            return first
    return ""


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter (0.5–1.5 ×), capped."""
    base = conf.get_send_retry_delay() * 2 ** max(0, attempts - 1)
    delay = min(base, conf.get_send_retry_max_delay()) * (0.5 + random.random())  # noqa: S311
    return timedelta(seconds=delay)


def send_batch(send: Send, size: int | None = None, ids: list[int] | None = None) -> BatchResult:
    """Claim (or take the claimed ``ids``), check and send one batch of ``send``; record every
    row's fate. If something unexpected breaks the batch, the rows it decided are recorded
    and the ones it never tried go back to pending before the error propagates (none is left
    *sending*, to become *unknown*)."""
    result = BatchResult()
    if ids is None:
        ids = claim(send, size or conf.get_send_batch_size())
    result.claimed = len(ids)
    if not ids:
        return result
    rows = list(Delivery.objects.filter(pk__in=ids).select_related("contact").order_by("pk"))
    try:
        check_and_deliver(send, rows, result)
    except Exception:
        release([row for row in rows if row.state == SENDING], result)
        save_fates(rows, send)
        raise
    save_fates(rows, send)
    if result.retried or result.released:
        skip_if_over(send)
    if result.systemic:
        pause_for(send, result.systemic)
    return result


def check_and_deliver(send: Send, rows: list[Delivery], result: BatchResult) -> None:
    refused = recheck(send, [row.contact_id for row in rows])
    now = timezone.now()
    for row in rows:
        if row.contact_id in refused:
            row.state, row.reason, row.updated_at = SKIPPED, refused[row.contact_id], now
    result.skipped = len(refused)
    deliver(send, [row for row in rows if row.contact_id not in refused], result)


def pause_for(send: Send, reason: str) -> None:
    """Pause ``send`` with ``reason`` (a refusal that would fail every row): an operator
    fixes the cause (the sender's domain, the provider's key) and resumes it."""
    Send.objects.filter(pk=send.pk, state=Send.State.SENDING).update(
        state=Send.State.PAUSED, reason=str(reason)[:500]
    )


def deliver(send: Send, rows: list[Delivery], result: BatchResult) -> None:
    """Send ``rows`` over one backend connection, setting each row's fate (not saved)."""
    if not rows:
        return
    if conf.get_send_batch_api():  # one provider call for the batch (django-anymail)
        providers.deliver_batch(send, rows, result)
        return
    # A timeout on every call keeps a batch well inside its lease (Django's SMTP backend
    # has none by default: a silent server would hold the rows past it).
    backend = get_connection(conf.get_send_email_backend(), timeout=conf.get_send_timeout())
    try:
        backend.open()
    except Exception as error:  # noqa: BLE001 (no message left: every row waits and retries)
        outcome = classify(error)
        if outcome.systemic:  # e.g. the login refused: pause rather than retry for ever
            for row in rows:
                refuse(row, outcome, result)
        else:
            postpone(rows, outcome.text, result)
        return
    try:
        for position, row in enumerate(rows):
            try:
                message = build_message(send, row, row.contact, connection=backend)
            except Exception as error:  # noqa: BLE001 (a bug in one message: that row fails)
                logger.exception("Send %s: delivery %s could not be built", send.pk, row.pk)
                refuse(row, Outcome(retry=False, text=describe(error), reason=Reason.ERROR), result)
                continue
            try:
                accepted = backend.send_messages([message])
            except Exception as error:  # noqa: BLE001 (any backend: classified below)
                outcome = classify(error)
                refuse(row, outcome, result)
                if outcome.ambiguous or outcome.systemic:  # release what was not tried
                    release(rows[position + 1 :], result)
                    return
                continue
            if accepted == 0:  # a backend that declined it without an error
                refuse(row, Outcome(retry=True, text=NOT_ACCEPTED), result)
                continue
            accept(row, message, result)
    finally:
        close_quietly(backend)


def postpone(rows: list[Delivery], text: str, result: BatchResult) -> None:
    """The connection could not be opened: no message left, so the attempt does not count
    (a mail server down for an hour must not fail the send); every row waits and retries."""
    for row in rows:
        row.state, row.attempts = PENDING, max(0, row.attempts - 1)
        row.next_attempt_at = timezone.now() + retry_delay(row.attempts + 1)
        row.last_error = text
    result.retried += len(rows)
    result.errors.append(text)


def accept(row: Delivery, message, result: BatchResult) -> None:
    status = getattr(message, "anymail_status", None)
    provider_id = getattr(status, "message_id", None) if status is not None else None
    row.state, row.sent_at = SENT, timezone.now()
    row.message_id = str(provider_id or message.extra_headers["Message-ID"])[:255]
    row.last_error = ""
    result.sent += 1


def refuse(row: Delivery, outcome: Outcome, result: BatchResult) -> None:
    """Set the row's fate after a refusal (not saved)."""
    row.last_error = outcome.text
    if outcome.systemic:  # not this recipient's fault: the row waits, the send pauses
        row.state, row.attempts = PENDING, max(0, row.attempts - 1)
        result.systemic = outcome.text
        result.released += 1
    elif outcome.ambiguous:
        row.state, row.reason = UNKNOWN, outcome.reason
        result.unknown += 1
    elif outcome.retry and row.attempts < conf.get_send_max_attempts():
        row.state, row.next_attempt_at = PENDING, timezone.now() + retry_delay(row.attempts)
        result.retried += 1
    else:
        row.state = FAILED
        row.reason = Reason.TOO_MANY_ATTEMPTS if outcome.retry else outcome.reason
        result.failed += 1
        if outcome.suppress and row.contact.email:
            suppress(row.contact.email, Suppression.Reason.HARD_BOUNCE, note=outcome.text[:255])
    result.errors.append(outcome.text)


def release(rows: list[Delivery], result: BatchResult) -> None:
    """Rows claimed but never tried: back to pending, the attempt not counted."""
    for row in rows:
        row.state, row.attempts = PENDING, max(0, row.attempts - 1)
    result.released += len(rows)


def close_quietly(backend) -> None:
    with contextlib.suppress(Exception):  # the batch's fates are known; closing is a courtesy
        backend.close()


FATE_FIELDS = ["state", "reason", "attempts", "next_attempt_at", "message_id", "last_error",
               "sent_at", "updated_at"]  # fmt: skip


def save_fates(rows: list[Delivery], send: Send | None = None) -> None:
    """Record every row's fate. Only rows still *sending* under this batch's claim are
    written: a row that was reaped meanwhile stays *unknown*.

    The rows sent with our own Message-ID (the common case) are written by one ``UPDATE``
    whose message id is computed by the database; the others (refused, retried, skipped, or
    with a provider's id) by one ``bulk_update``: Django's ``CASE`` per row and field cost
    2 ms of CPU per row (bench/send.py)."""
    if not rows:
        return
    now = timezone.now()
    # The batch's own knowledge beats the reaper's guess: a row reaped *unknown* while this
    # batch was slow is still ours (same claim; an operator's resend clears the claim).
    ours = Delivery.objects.filter(claim=rows[0].claim).filter(
        Q(state=SENDING) | Q(state=UNKNOWN, reason=Reason.WORKER_LOST)
    )
    plain = {row.pk for row in rows if send is not None and is_plainly_sent(send, row)}
    others = [row for row in rows if row.pk not in plain]
    for row in others:
        row.updated_at = now
    with transaction.atomic():
        if plain:
            ours.filter(pk__in=plain).update(
                state=SENT, reason="", last_error="", sent_at=now, updated_at=now,
                message_id=message_id_sql(send),
            )  # fmt: skip
        if others:
            still_ours = set(
                ours.filter(pk__in=[row.pk for row in others]).values_list("pk", flat=True)
            )
            Delivery.objects.bulk_update(
                [row for row in others if row.pk in still_ours], FATE_FIELDS
            )


def is_plainly_sent(send: Send, row: Delivery) -> bool:
    return row.state == SENT and not row.reason and row.message_id == message_id(send, row.pk)


def unclaim(ids: list[int]) -> int:
    """Give back claimed rows that were never tried (the rate limit allowed fewer): pending
    again, the attempt not counted."""
    return Delivery.objects.filter(pk__in=ids, state=SENDING).update(
        state=PENDING, claim="", attempts=F("attempts") - 1
    )


# 4. Rows whose worker died, and the end of a send


def reap(send: Send) -> int:
    """Rows *sending* past their lease become *unknown* (never resent automatically).
    Returns how many."""
    cutoff = timezone.now() - timedelta(seconds=conf.get_send_lease_seconds())
    return Delivery.objects.filter(send=send, state=SENDING, claimed_at__lt=cutoff).update(
        state=UNKNOWN, reason=Reason.WORKER_LOST, updated_at=timezone.now()
    )


#: Why the rows left pending in a send that ended are skipped.
ENDED_REASONS = {
    Send.State.CANCELLED: Reason.CANCELLED,
    Send.State.FAILED: Reason.CAMPAIGN_WITHDRAWN,
}


def skip_pending(send: Send, reason: str) -> int:
    """Every pending row of ``send`` is skipped with ``reason``. Returns how many."""
    return Delivery.objects.filter(send=send, state=PENDING).update(
        state=SKIPPED, reason=reason, updated_at=timezone.now()
    )


def skip_if_over(send: Send) -> int:
    """A send cancelled (or failed) while a batch was out: the rows that batch put back to
    pending (a retry, a release) are skipped, so that every row still ends final."""
    state = Send.objects.filter(pk=send.pk).values_list("state", flat=True).first()
    reason = ENDED_REASONS.get(state)
    return skip_pending(send, reason) if reason else 0


def tidy_ended() -> int:
    """For the watchdog: rows left *pending* in a cancelled or failed send (a batch that
    ended as the send did) are skipped, and rows left *sending* past their lease in any
    ended send become *unknown* (nobody settles an ended send). Returns how many."""
    count = 0
    for state, reason in ENDED_REASONS.items():
        count += Delivery.objects.filter(send__state=state, state=PENDING).update(
            state=SKIPPED, reason=reason, updated_at=timezone.now()
        )
    cutoff = timezone.now() - timedelta(seconds=conf.get_send_lease_seconds())
    count += Delivery.objects.filter(
        send__state__in=Send.FINAL_STATES, state=SENDING, claimed_at__lt=cutoff
    ).update(state=UNKNOWN, reason=Reason.WORKER_LOST, updated_at=timezone.now())
    return count


def mark_done(send: Send) -> bool:
    """The send is *done* if no row of it is pending or sending, judged in the same
    statement (a check, then an update, would let another worker's retry slip between)."""
    busy = Delivery.objects.filter(send=OuterRef("pk"), state__in=[PENDING, SENDING])
    with transaction.atomic():
        # The send's row locked first: an operator's resend (which locks it too) either
        # comes before this statement, which then sees its rows, or waits for it.
        if not Send.objects.select_for_update().filter(pk=send.pk).exists():
            return False
        return bool(
            Send.objects.filter(pk=send.pk, state=Send.State.SENDING)
            .filter(~Exists(busy))
            .update(state=Send.State.DONE, finished_at=timezone.now())
        )


def next_due(send: Send):
    """When the earliest pending row is due (``None``: no pending row)."""
    return Delivery.objects.filter(send=send, state=PENDING).aggregate(at=Min("next_attempt_at"))[
        "at"
    ]


def has_rows_in_flight(send: Send) -> bool:
    return Delivery.objects.filter(send=send, state=SENDING).exists()
