"""A whole batch in one provider (ESP) call, through django-anymail's batch sending.

Turned on by ``WAGTAIL_DISTMARK_SEND_BATCH_API = True`` with an anymail backend as
``WAGTAIL_DISTMARK_EMAIL_BACKEND``; ``engine.deliver`` then hands each batch's rows to
:func:`deliver_batch` instead of sending one message per row. django-anymail is optional:
without it (or with the setting off) this module is never used for sending.

**How personalisation works.** Anymail's batch send is *one* message with ``to`` = every
recipient and ``merge_data = {address: {field: value}}``: the ESP makes one copy per recipient
and substitutes the fields itself, in *its own* merge syntax. Anymail does not translate that
syntax, so the send's stored merge templates (subject, HTML, text) are turned once per send
into the ESP's fields, written with ``WAGTAIL_DISTMARK_ESP_MERGE_FIELD`` (a ``%s`` pattern):

- Mailgun: ``"%recipient.%s%"``
- Mandrill: ``"*|%s|*"``
- SendGrid: ``"-%s-"``, with ``ANYMAIL["SENDGRID_MERGE_FIELD_FORMAT"] = "-{}-"``
- SparkPost: ``"{{%s}}"`` (the default)
- others: see anymail's page of the ESP. An ESP that needs a stored template for
  ``merge_data`` (Amazon SES) cannot use this path.

Each tag becomes its own field per context, named ``s<n>`` (subject: the value on one line),
``h<n>`` (HTML: the value escaped) and ``t<n>`` (plain text), so every value is escaped for
where it lands, exactly as ``messages.build_message`` does; the unit's values, the same for
everyone, are bound into the template once. Per recipient the message carries
``merge_headers`` (their own ``List-Unsubscribe`` URL; ``List-Unsubscribe-Post`` is common)
and ``merge_metadata`` (``distmark_delivery``: the delivery's id, how provider events find the
row, see ``events.py``). No per-recipient ``Message-ID`` is set (several ESPs refuse or replace
it): the ESP's message id is recorded instead.

**Each recipient's fate** comes from ``anymail_status.recipients``: ``sent``/``queued`` →
*sent* with the ESP's message id; ``rejected``/``invalid`` → *failed* (rejected: the ESP's own
suppression list or a bad address; our suppression list follows the ESP's events, see
``events.py``); ``failed`` → retried later; ``unknown`` or no status → *unknown* (the call
was accepted: the message may have left, it is never resent automatically). When the call
itself fails: HTTP 429 or 5xx → every row retried; another 4xx → every row *failed* with the
error; the connection could not be opened → retried; the connection broke after the request
may have reached the ESP (a read timeout, a reset) → every row *unknown*; anything else (an
ESP backend without batch sending or ``merge_headers`` raises ``AnymailUnsupportedFeature``)
→ every row *failed* with the error's text.

Only with an anymail backend that will not ignore what its ESP cannot do: any other backend
would send the batch as one message with every address in its To header, so the rows are
retried (and fail after the last attempt) with the reason instead.

Known limits: a literal field pattern in the campaign's own text (``{{`` in the HTML with the
default pattern) would be read by the ESP as a field; a value a contact typed that contains
the ESP's pattern can at most be replaced by that same recipient's own values (the ESP
substitutes each copy with its recipient's data only: no other person's data can leak).
Two rows of one batch with the same address (case aside) cannot share one batch call: the
second is released, unclaimed, for a later batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.utils import timezone

from wagtail_distmark import conf
from wagtail_distmark.campaigns.rendering import one_line
from wagtail_distmark.markup.merge_tags import MergeTemplate, escape_html_value
from wagtail_distmark.sending import engine, messages, tokens
from wagtail_distmark.sending.models import Delivery

try:  # django-anymail is optional
    from anymail.backends.base import AnymailBaseBackend
    from anymail.exceptions import AnymailError, AnymailRecipientsRefused
    from anymail.message import AnymailMessage
except ImportError:  # pragma: no cover (the batch path is only used with anymail)
    AnymailBaseBackend = AnymailError = AnymailRecipientsRefused = AnymailMessage = None

#: The default ESP merge-field pattern (SparkPost, and ESPs with ``{{name}}`` fields).
DEFAULT_MERGE_FIELD = "{{%s}}"
#: The escape of the value of each context's fields, by the field names' prefix.
CONTEXTS = {"s": one_line, "h": escape_html_value, "t": str}
#: Statuses anymail reports for an accepted, failed-for-now or refused recipient.
ACCEPTED, RETRY, REFUSED = {"sent", "queued"}, {"failed"}, {"rejected", "invalid"}


def merge_field_format() -> str:
    """The ESP's merge-field pattern, ``WAGTAIL_DISTMARK_ESP_MERGE_FIELD`` (one ``%s``)."""
    pattern = getattr(settings, "WAGTAIL_DISTMARK_ESP_MERGE_FIELD", DEFAULT_MERGE_FIELD)
    if not isinstance(pattern, str) or pattern.count("%s") != 1:
        raise ValueError(f"WAGTAIL_DISTMARK_ESP_MERGE_FIELD must hold one %s: {pattern!r}")
    return pattern


@dataclass(frozen=True)
class EspTemplate:
    """A send's message written with the ESP's merge fields: what is the same for every
    recipient, and which tag each field takes its value from."""

    subject: str
    html: str
    text: str
    #: field name → (merge tag, escape of the value)
    fields: dict


#: ESP templates of this process, by (send id, creation time, pattern).
_TEMPLATES: dict[tuple, EspTemplate] = {}


def esp_template(send, pattern: str) -> EspTemplate:
    """The send's message with the ESP's fields in place of its merge tags (kept per process:
    a send's message never changes)."""
    key = (send.pk, send.created_at, pattern)
    found = _TEMPLATES.get(key)
    if found is None:
        ready = messages.prepare(send)
        fields: dict = {}
        written = {
            prefix: with_fields(template.bind(ready.values), prefix, pattern, fields)
            for prefix, template in (("s", ready.subject), ("h", ready.html), ("t", ready.text))
        }
        found = EspTemplate(
            subject=one_line(written["s"]), html=written["h"], text=written["t"], fields=fields
        )
        if len(_TEMPLATES) >= 64:
            _TEMPLATES.clear()
        _TEMPLATES[key] = found
    return found


def with_fields(template: MergeTemplate, prefix: str, pattern: str, fields: dict) -> str:
    """``template`` with each tag replaced by an ESP field (one field per distinct tag)."""
    names: dict[str, str] = {}
    out = list(template.parts)
    for index in range(1, len(out), 2):
        tag = out[index]
        if tag not in names:
            names[tag] = f"{prefix}{len(names)}"
            fields[names[tag]] = (tag, CONTEXTS[prefix])
        out[index] = pattern.replace("%s", names[tag])
    return "".join(out)


def recipient_data(send, row: Delivery, template: EspTemplate) -> dict[str, str]:
    """One recipient's values of the ESP's fields, each escaped for its context."""
    values = messages.merge_values(send, row.pk, row.contact)
    return {name: escape(values.get(tag, "")) for name, (tag, escape) in template.fields.items()}


def build_batch(send, rows: list[Delivery], pattern: str, connection=None):
    """One anymail message for every row of the batch (their addresses must differ)."""
    template = esp_template(send, pattern)
    ready = messages.prepare(send)
    message = AnymailMessage(
        subject=template.subject,
        body=template.text,
        from_email=ready.from_email,
        to=[row.contact.email for row in rows],
        reply_to=ready.reply_to,
        connection=connection,
        headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        metadata={"distmark_send": str(send.pk)},
        track_clicks=False,  # we track clicks ourselves; the ESP's would re-wrap our links
        merge_data={row.contact.email: recipient_data(send, row, template) for row in rows},
        merge_headers={row.contact.email: list_unsubscribe(row) for row in rows},
        merge_metadata={row.contact.email: {"distmark_delivery": str(row.pk)} for row in rows},
    )
    message.attach_alternative(template.html, "text/html")
    return message


def list_unsubscribe(row: Delivery) -> dict[str, str]:
    token = tokens.make(tokens.UNSUBSCRIBE, row.pk)
    return {"List-Unsubscribe": f"<{messages.public_url('unsubscribe', token)}>"}


def one_per_address(rows: list[Delivery]) -> tuple[list[Delivery], list[Delivery]]:
    """The rows whose address is the first of its kind in the batch, and the others."""
    seen, first, again = set(), [], []
    for row in rows:
        key = row.contact.email.lower()
        (again if key in seen else first).append(row)
        seen.add(key)
    return first, again


def deliver_batch(send, rows: list[Delivery], result) -> None:
    """Send ``rows`` in one ESP call with per-recipient merge data; set each row's fate (not
    saved: ``engine.save_fates`` records them)."""
    rows, again = one_per_address(rows)
    engine.release(again, result)
    try:
        pattern = merge_field_format()
        connection = batch_connection()
    except (ValueError, ImportError, ImproperlyConfigured) as error:
        for row in rows:  # a setting to fix: retried until it is (then failed, with the text)
            engine.refuse(row, engine.Outcome(retry=True, text=str(error)[:1000]), result)
        return
    message = build_batch(send, rows, pattern, connection=connection)
    try:
        connection.send_messages([message])
    except AnymailRecipientsRefused:
        pass  # every recipient refused: their statuses say so
    except Exception as error:  # noqa: BLE001 (any backend error: classified below)
        outcome = classify_call(error)
        for row in rows:
            engine.refuse(row, outcome, result)
        return
    record_statuses(rows, message, result)


def batch_connection():
    """The campaigns' backend, if it can send a batch privately. One message to every
    recipient is only safe where anymail turns it into one copy per recipient: any other
    backend (SMTP, console), or anymail told to ignore what its ESP cannot do, would put every
    address of the batch in one message's To header."""
    connection = get_connection(conf.get_send_email_backend())
    if AnymailBaseBackend is None or not isinstance(connection, AnymailBaseBackend):
        raise ImproperlyConfigured(
            "WAGTAIL_DISTMARK_SEND_BATCH_API needs a django-anymail backend as "
            f"WAGTAIL_DISTMARK_EMAIL_BACKEND, not {type(connection).__module__}"
        )
    if connection.ignore_unsupported_features:
        raise ImproperlyConfigured(
            "WAGTAIL_DISTMARK_SEND_BATCH_API cannot be used with anymail's "
            "IGNORE_UNSUPPORTED_FEATURES: an ESP without batch sending would send one message "
            "to the whole batch"
        )
    return connection


def classify_call(error: Exception):
    """A failed batch call: like ``engine.classify``, but a broken connection is ambiguous
    only once the request may have reached the ESP."""
    try:
        outcome = engine.classify(error)
    except Exception:  # noqa: BLE001 (its text could not be built: an error without a response)
        code = getattr(error, "status_code", None)
        outcome = engine.classify(CallError(type(error).__name__, code))
    if getattr(error, "status_code", None) is None and isinstance(error, AnymailError):
        if never_connected(error):
            return engine.Outcome(retry=True, text=outcome.text)
        if error.__cause__ is not None:  # the transport broke during the call
            return engine.Outcome(retry=False, text=outcome.text, reason="", ambiguous=True)
    return outcome


class CallError(Exception):
    """A stand-in for an error whose text cannot be built, with its HTTP status."""

    def __init__(self, name: str, status_code):
        super().__init__(f"{name} (HTTP {status_code})")
        self.status_code = status_code


def never_connected(error: BaseException) -> bool:
    """Whether the error's causes show that no connection was ever made (nothing left)."""
    seen = 0
    while error is not None and seen < 8:
        name = type(error).__name__
        reason = getattr(error, "reason", None)
        if name in ("ConnectTimeout", "NewConnectionError", "NameResolutionError"):
            return True
        if type(reason).__name__ in ("NewConnectionError", "NameResolutionError"):
            return True
        nested = [arg for arg in getattr(error, "args", ()) if isinstance(arg, BaseException)]
        error = nested[0] if nested else (error.__cause__ or error.__context__)
        seen += 1
    return False


def record_statuses(rows: list[Delivery], message, result) -> None:
    """Each row's fate from anymail's per-recipient status."""
    recipients = {
        address.lower(): status for address, status in message.anymail_status.recipients.items()
    }
    for row in rows:
        status = recipients.get(row.contact.email.lower())
        fate = getattr(status, "status", None)
        if fate in ACCEPTED:
            accept(row, status.message_id, result)
        elif fate in REFUSED:
            engine.refuse(row, engine.Outcome(retry=False, text=f"ESP: {fate}"), result)
        elif fate in RETRY:
            engine.refuse(row, engine.Outcome(retry=True, text="ESP: failed"), result)
        else:  # accepted without a word on this recipient: it may have left
            text = f"ESP status: {fate or 'none'}"
            outcome = engine.Outcome(retry=False, text=text, reason="", ambiguous=True)
            engine.refuse(row, outcome, result)


def accept(row: Delivery, message_id, result) -> None:
    row.state, row.sent_at = Delivery.State.SENT, timezone.now()
    row.message_id = "" if message_id is None else str(message_id)[:255]
    row.last_error = ""
    result.sent += 1
