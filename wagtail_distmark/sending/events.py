"""Provider events (django-anymail's ``tracking`` signal) back onto deliveries.

An ESP's webhook reaches anymail's view, which sends ``anymail.signals.tracking`` with a
normalised :class:`~anymail.signals.AnymailTrackingEvent`; :func:`on_tracking` (connected in
``signal_handlers.py`` when anymail is installed) records it. django-anymail is optional:
nothing here imports it.

**Finding the delivery.** By the event's ``metadata["distmark_delivery"]`` (every message
carries it: ``messages.build_message`` and the batch path's ``merge_metadata``), but only if
the event's recipient is that delivery's contact's address: metadata alone never touches a
person (an event naming one delivery for someone else's address is ignored). Without that
metadata, by the ESP's message id (a batch may share one id between its recipients: the
recipient picks the row).

**What each event does** (the states are ``Delivery.State``):

- ``queued``, ``sent``, ``delivered``, ``opened``, ``clicked``, ``complained``,
  ``unsubscribed``: proof that the message left. A row still *unknown* (its worker died, or
  the ESP's answer was lost), *sending* or *pending* (a retry after an ambiguous error) becomes
  *sent*: a ``reconciled`` event, the message id recorded — so it is never sent twice.
- ``delivered``: a ``delivered`` event.
- ``bounced`` (a bounce by the receiving server): the delivery becomes *failed* even if it was
  *sent* — it did not arrive, and a failed row is never resent either. A hard bounce (the
  usual case: most ESPs report soft ones as ``deferred``) has reason ``hard_bounce`` and
  suppresses the address (``Suppression.Reason.HARD_BOUNCE``): no later send reaches it. A
  bounce is taken for soft — reason ``rejected``, nothing suppressed — when its SMTP reply is
  temporary (``4xx`` or ``4.x.x``), the ESP calls it soft (Postmark's ``SoftBounce``, which
  anymail reports as ``bounced``) or its ``reject_reason`` is neither ``bounced`` nor
  ``invalid`` (a virus, a policy block).
- ``rejected`` and ``failed`` (the ESP did not send it): *failed* (``rejected``); when the ESP
  says why (``reject_reason`` ``bounced`` or ``invalid``: a hard bounce; ``spam``: a complaint)
  the address is suppressed for that reason.
- ``complained``: the person is unsubscribed from every type and unit and the address
  suppressed with reason ``complaint`` (``consent.unsubscribe_everywhere``, source *system*,
  the ESP named in the evidence): a spam report is the strongest "stop"; the delivery stays
  *sent* (it arrived) with a ``complaint`` event.
- ``unsubscribed`` (an ESP-hosted unsubscribe): unsubscribed from the send's communication
  type like our own link (``consent.unsubscribe_from``: a per-unit type at the send's unit and
  every unit below it; source *unsubscribe*); a send without a type unsubscribes from
  everything.
- ``deferred``: an event only.
- ``opened``, ``clicked`` (the ESP's own tracking; ours is off by default): an event, marked as
  a machine's when the user agent is one our own tracking takes for a machine's
  (``tracking.machine_reason``: scanners, Apple's privacy proxy); none reported: a person's.
  At most ``tracking.MAX_EVENTS_PER_KIND`` of a kind per delivery, as for our own.
- Anything else, no delivery found, or the contact erased: ignored (logged at debug level).

**Never an error.** A webhook must answer 200 or the ESP retries it forever: an event that
cannot be read is ignored, and an unexpected failure is logged and swallowed (its database
changes rolled back).

**Idempotent.** ESPs deliver webhooks at least once. Bounce, complaint, delivered, rejected,
unsubscribe and reconciled are recorded once per delivery; opens, clicks and deferrals once per
ESP event id (kept at the start of the event's detail), or per timestamp when the ESP gives
no id. Effects (state, suppression, consent) only follow a newly recorded event.
"""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone

from wagtail_distmark.contacts.consent import suppress, unsubscribe_everywhere, unsubscribe_from
from wagtail_distmark.contacts.models import Source, Suppression
from wagtail_distmark.sending import tracking
from wagtail_distmark.sending.models import Delivery, DeliveryEvent

log = logging.getLogger(__name__)

State, Kind, Reason = Delivery.State, DeliveryEvent.Kind, Delivery.Reason
#: anymail's event types, by what we record.
KINDS = {
    "delivered": Kind.DELIVERED,
    "bounced": Kind.BOUNCE,
    "complained": Kind.COMPLAINT,
    "deferred": Kind.DEFERRED,
    "rejected": Kind.REJECTED,
    "failed": Kind.REJECTED,
    "opened": Kind.OPEN,
    "clicked": Kind.CLICK,
    "unsubscribed": Kind.UNSUBSCRIBE,
    "queued": Kind.RECONCILED,  # accepted by the ESP: only reconciles
    "sent": Kind.RECONCILED,
}
#: Events recorded once per delivery (the others once per ESP event).
ONCE = {Kind.DELIVERED, Kind.BOUNCE, Kind.COMPLAINT, Kind.REJECTED, Kind.UNSUBSCRIBE,
        Kind.RECONCILED}  # fmt: skip
#: Events that prove the message left.
LEFT = {Kind.DELIVERED, Kind.OPEN, Kind.CLICK, Kind.COMPLAINT, Kind.UNSUBSCRIBE, Kind.RECONCILED}
#: Rows an event may turn *sent* (never *failed* or *skipped* ones: their fate is known).
RECONCILABLE = (State.UNKNOWN, State.SENDING, State.PENDING)
#: Rows a bounce or a rejection may turn *failed*.
FAILABLE = (State.SENT, State.UNKNOWN, State.SENDING, State.PENDING)
#: A rejection's reason (anymail's ``RejectReason``) that tells the address is bad for good.
REJECT_SUPPRESSES = {
    "bounced": Suppression.Reason.HARD_BOUNCE,
    "invalid": Suppression.Reason.HARD_BOUNCE,
    "spam": Suppression.Reason.COMPLAINT,
}
MAX_ID = 255


def on_tracking(sender, event=None, esp_name="", **kwargs) -> None:
    """The receiver of ``anymail.signals.tracking``: never raises."""
    try:
        record(event, str(esp_name or "")[:40])
    except Exception:  # noqa: BLE001 (a webhook must answer 200; the failure is logged)
        log.exception("Could not record the %s event %r", esp_name, getattr(event, "event_id", ""))


def record(event, esp_name: str = "") -> DeliveryEvent | None:
    """Record one provider event; returns the event row, or ``None`` if it was ignored."""
    kind = KINDS.get(getattr(event, "event_type", None))
    delivery = find_delivery(event) if kind is not None else None
    if delivery is None:
        log.debug("Provider event ignored: %s", getattr(event, "event_type", None))
        return None
    with transaction.atomic():
        # One event of a delivery at a time (a webhook retried while the first runs).
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("contact", "send")
            .get(pk=delivery.pk)
        )
        if kind == Kind.RECONCILED:  # accepted by the ESP: nothing to record but the fate
            return reconcile(delivery, event, esp_name)
        if seen(delivery, kind, event, esp_name):
            return None
        row = DeliveryEvent.objects.create(delivery=delivery, kind=kind, **details(event, esp_name))
        apply(delivery, kind, event, esp_name)
    return row


# Finding the delivery


def find_delivery(event) -> Delivery | None:
    recipient = str(getattr(event, "recipient", None) or "").strip().lower()[:254]
    metadata = getattr(event, "metadata", None)
    named = metadata.get("distmark_delivery") if isinstance(metadata, dict) else None
    if named is not None:
        delivery = by_id(named)
        if delivery is None or not recipient or not addressed_to(delivery, recipient):
            return None  # metadata alone never touches a person
        return delivery
    delivery = by_message_id(str(getattr(event, "message_id", None) or "")[:MAX_ID], recipient)
    if delivery is not None and delivery.contact.erased_at is not None:
        return None  # an erased person leaves no new trace
    return delivery


def by_id(value) -> Delivery | None:
    text = str(value)[:20]
    if not text.isascii() or not text.isdigit():
        return None
    return Delivery.objects.select_related("contact").filter(pk=int(text)).first()


def addressed_to(delivery: Delivery, recipient: str) -> bool:
    email = delivery.contact.email
    return bool(email) and email.lower() == recipient


def by_message_id(message_id: str, recipient: str) -> Delivery | None:
    """The delivery with this ESP (or Message-ID header) id, and this recipient if given."""
    bare = message_id.strip().strip("<>")
    if not bare:
        return None
    rows = Delivery.objects.select_related("contact").filter(message_id__in=[bare, f"<{bare}>"])
    if recipient:
        rows = rows.filter(contact__email__iexact=recipient)
    found = list(rows[:2])
    return found[0] if len(found) == 1 else None  # two: the event cannot say which


# Recording once


def details(event, esp_name: str) -> dict:
    user_agent = str(getattr(event, "user_agent", None) or "")[:255]
    machine = machine_reason(user_agent)
    return {
        "at": getattr(event, "timestamp", None) or timezone.now(),
        "detail": (event_marker(event, esp_name) + describe(event))[:255],
        "user_agent": user_agent,
        "is_machine": bool(machine),
        "machine_reason": machine[:40],
    }


def event_marker(event, esp_name: str) -> str:
    """The start of the event's detail: the ESP and its event id (how a repeat is known)."""
    event_id = str(getattr(event, "event_id", None) or "")[:100]
    return f"{esp_name}#{event_id} " if event_id else f"{esp_name} "


def describe(event) -> str:
    parts = (
        getattr(event, "click_url", None),
        getattr(event, "reject_reason", None),
        getattr(event, "description", None),
        getattr(event, "mta_response", None),
    )
    return " · ".join(str(part) for part in parts if part)


def seen(delivery: Delivery, kind: str, event, esp_name: str) -> bool:
    """Whether this event was recorded already."""
    earlier = DeliveryEvent.objects.filter(delivery=delivery, kind=kind)
    if kind in ONCE:
        return earlier.exists()
    if earlier.count() >= tracking.MAX_EVENTS_PER_KIND:  # a loop cannot fill the table
        return True
    if getattr(event, "event_id", None):
        return earlier.filter(detail__startswith=event_marker(event, esp_name)).exists()
    timestamp = getattr(event, "timestamp", None)
    return timestamp is not None and earlier.filter(at=timestamp).exists()


#: What a provider's report of an open or a click stands for when judged by the tracking
#: module (a fetch whose user agent is all that is known).
REPORTED_FETCH = SimpleNamespace(method="GET")


def machine_reason(user_agent: str) -> str:
    """Why an ESP-reported open or click is a machine's ("" for a person's), by the same
    user agents as our own tracking (``tracking.machine_reason``). No user agent: a person's,
    since the ESP did not say."""
    if not user_agent:
        return ""
    return tracking.machine_reason(REPORTED_FETCH, user_agent)


# Effects


def apply(delivery: Delivery, kind: str, event, esp_name: str) -> None:
    if kind in LEFT:
        reconcile(delivery, event, esp_name)
    if kind == Kind.BOUNCE and is_hard(event):
        fail(delivery, Reason.HARD_BOUNCE, event)
        suppress_contact(delivery, Suppression.Reason.HARD_BOUNCE, event, esp_name)
    elif kind == Kind.BOUNCE:  # soft, or blocked for another reason: the address may be fine
        fail(delivery, Reason.REJECTED, event)
    elif kind == Kind.REJECTED:
        fail(delivery, Reason.REJECTED, event)
        why = REJECT_SUPPRESSES.get(str(getattr(event, "reject_reason", None) or ""))
        if why is not None:
            suppress_contact(delivery, why, event, esp_name)
    elif kind == Kind.COMPLAINT:
        unsubscribe_everywhere(
            delivery.contact, source=Source.SYSTEM, reason=Suppression.Reason.COMPLAINT,
            evidence=f"Spam complaint reported by {esp_name or 'the ESP'}",
        )  # fmt: skip
    elif kind == Kind.UNSUBSCRIBE:
        unsubscribe(delivery, esp_name)


#: An SMTP reply's code at its start (``smtp;550 …``), else its enhanced status (``4.2.2``).
REPLY_CODE = re.compile(r"^\D{0,12}([2-5])\d\d(?!\d)")
ENHANCED_STATUS = re.compile(r"(?<![\d.])([245])\.\d{1,3}\.\d{1,3}(?![\d.])")
#: ESPs' own names of a soft bounce that anymail reports as ``bounced`` (Postmark's ``Type``).
SOFT_TYPES = {"SoftBounce", "Transient", "DnsError"}
#: ``reject_reason`` values of a bounce that says the address is bad.
HARD_REASONS = {None, "", "bounced", "invalid"}


def is_hard(event) -> bool:
    """Whether a ``bounced`` event says the address is bad for good: not a temporary SMTP
    reply (``452 4.2.2 mailbox full``), not an ESP's soft bounce, not a block for another
    reason (a virus, a policy)."""
    if getattr(event, "reject_reason", None) not in HARD_REASONS:
        return False
    raw = getattr(event, "esp_event", None)
    if isinstance(raw, dict) and raw.get("Type") in SOFT_TYPES:
        return False
    reply = str(getattr(event, "mta_response", None) or "")[:200]
    found = REPLY_CODE.search(reply) or ENHANCED_STATUS.search(reply)
    return found is None or found.group(1) != "4"


def reconcile(delivery: Delivery, event, esp_name: str) -> DeliveryEvent | None:
    """A row whose fate was not known is *sent*: the provider saw the message leave. Returns
    the ``reconciled`` event, if the row changed."""
    if delivery.state not in RECONCILABLE:
        return None
    message_id = str(getattr(event, "message_id", None) or "")[:MAX_ID] or delivery.message_id
    now = timezone.now()
    changed = Delivery.objects.filter(pk=delivery.pk, state__in=RECONCILABLE).update(
        state=State.SENT, reason="", message_id=message_id, sent_at=delivery.sent_at or now,
        last_error="", updated_at=now,
    )  # fmt: skip
    was, delivery.state = delivery.state, State.SENT
    if not changed:
        return None
    detail = f"{esp_name} {getattr(event, 'event_type', '')}, was {was}"[:255]
    return DeliveryEvent.objects.create(delivery=delivery, kind=Kind.RECONCILED, detail=detail)


def fail(delivery: Delivery, reason: str, event) -> None:
    Delivery.objects.filter(pk=delivery.pk, state__in=FAILABLE).update(
        state=State.FAILED, reason=reason, last_error=describe(event)[:1000],
        updated_at=timezone.now(),
    )  # fmt: skip


def suppress_contact(delivery: Delivery, why: str, event, esp_name: str) -> None:
    if delivery.contact.email:
        suppress(delivery.contact.email, why, note=f"{esp_name}: {describe(event)}"[:255])


def unsubscribe(delivery: Delivery, esp_name: str) -> None:
    evidence = f"Unsubscribed through {esp_name or 'the ESP'} (send {delivery.send_id})"
    send = delivery.send
    if send.communication_type is None:
        unsubscribe_everywhere(delivery.contact, source=Source.UNSUBSCRIBE, evidence=evidence)
        return
    unsubscribe_from(delivery.contact, send.communication_type, send.unit,
                     source=Source.UNSUBSCRIBE, evidence=evidence)  # fmt: skip
