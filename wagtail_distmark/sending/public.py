"""The public views of a sent e-mail: unsubscribe (RFC 8058 one-click), view online, the open
pixel and click redirects.

No login, no session, no cookie: each URL carries a signed token (``sending/tokens.py``) that
names one delivery, so one contact of one send. A token that is malformed, forged or made for
another purpose is a 404 page (the pixel: still a GIF, nothing recorded), never a 500.

* **Unsubscribe** (``u/<token>/``): a GET only shows a confirmation page (link scanners follow
  every link of a message: a GET must never unsubscribe); a POST — the mail client's RFC 8058
  one-click ``List-Unsubscribe=One-Click``, or the page's button — unsubscribes from the
  send's communication type (per-unit types: at the send's unit and below) and answers 200
  with a page, no redirect. ``scope=everywhere`` unsubscribes from everything and suppresses
  the address. Idempotent: a second POST shows the same page.
* **View online** (``v/<token>/``): the e-mail as that contact received it.
* **Open** (``o/<token>.gif``): a 1×1 transparent GIF; records an open.
* **Click** (``c/<token>/``): a 302 to link N of *that* e-mail, rendered for that contact; the
  target comes only from the send's stored links, never from the request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models.fields.json import KeyTransform
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from wagtail_distmark.contacts.consent import unsubscribe_everywhere, unsubscribe_from
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.markup.merge_tags import contact_values
from wagtail_distmark.sending import messages, tokens, tracking
from wagtail_distmark.sending.models import Delivery, DeliveryEvent

#: A transparent 1×1 GIF (43 bytes).
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
#: Headers of every public page: never indexed, never leaking the token as a referrer,
#: never cached (each page is one person's).
PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store, private",
}
#: The e-mail shown online is HTML we did not write alone (a campaign's blocks, a contact's
#: values): sandboxed (no script, no form, no same-origin access), nothing loaded but images
#: and its inline styles.
VIEW_ONLINE_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'"
)
TEMPLATES = "wagtail_distmark/sending/public/"
#: What the page's second button posts.
EVERYWHERE = "everywhere"


def find_delivery(purpose: str, token: str, rows=None) -> tuple[Delivery | None, int | None]:
    """The delivery of a token (and its link number), or ``(None, None)``; ``rows``: what
    to load of it (by default its send without the compiled message, its unit, type and
    contact)."""
    try:
        delivery_id, link = tokens.read(purpose, token)
    except tokens.BadToken:
        return None, None
    if rows is None:
        rows = Delivery.objects.select_related(
            "send__unit", "send__communication_type", "contact"
        ).defer("send__message", "send__links")
    return rows.filter(pk=delivery_id).first(), link


def private(response: HttpResponse, csp: str = "") -> HttpResponse:
    """``response`` with :data:`PRIVATE_HEADERS` (and a Content-Security-Policy if given):
    every public response goes through here."""
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    if csp:
        response["Content-Security-Policy"] = csp
    return response


def page(request, name: str, context: dict, status: int = 200, unit=None) -> HttpResponse:
    """A public page, in the unit's language when the site offers it."""
    with translation.override(page_language(unit)):
        return private(render(request, f"{TEMPLATES}{name}", context, status=status))


def page_language(unit) -> str | None:
    locale = (getattr(unit, "locale", "") or "").replace("_", "-").lower()
    codes = {code.lower(): code for code, _name in settings.LANGUAGES}
    return codes.get(locale) or codes.get(locale.partition("-")[0]) or translation.get_language()


def not_found(request) -> HttpResponse:
    return page(request, "not_found.html", {}, status=404)


# Unsubscribe


@csrf_exempt
def unsubscribe(request, token):
    """GET: the confirmation page; POST (one-click or the page's form): unsubscribe."""
    delivery, _link = find_delivery(tokens.UNSUBSCRIBE, token)
    if delivery is None:
        return not_found(request)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if request.method == "POST":
        everywhere = posted(request, "scope") == EVERYWHERE
        try:
            unsubscribe_delivery(delivery, everywhere=everywhere)
        except OperationalError:  # the database busy (SQLite's lock): nothing was written
            return busy(request, delivery)
        return unsubscribe_page(request, delivery, done=True, everywhere=everywhere)
    return unsubscribe_page(request, delivery, done=False, everywhere=False)


def busy(request, delivery) -> HttpResponse:
    """503 with ``Retry-After``: a mail client retries a one-click POST; a person sees the
    page again and presses the button once more (the attacker's 20 concurrent POSTs on
    SQLite met its lock)."""
    response = unsubscribe_page(request, delivery, done=False, everywhere=False)
    response.status_code = 503
    response["Retry-After"] = "5"
    return response


def posted(request, name: str) -> str:
    """A field of the POST body ('' if the body cannot be read: a crafted multipart body)."""
    try:
        return str(request.POST.get(name, ""))[:40]
    except Exception:  # noqa: BLE001 (a malformed body is no reason to fail an unsubscribe)
        return ""


def unsubscribe_page(request, delivery, *, done: bool, everywhere: bool) -> HttpResponse:
    send = delivery.send
    context = {
        "unit_name": send.unit.name,
        "communication_type": send.communication_type,
        "done": done,
        "everywhere": everywhere,
        "everywhere_value": EVERYWHERE,
    }
    return page(request, "unsubscribe.html", context, unit=send.unit)


@transaction.atomic
def unsubscribe_delivery(delivery: Delivery, *, everywhere: bool) -> None:
    """Unsubscribe the delivery's contact from its send's type (or from everything), and
    record it once."""
    contact, send = delivery.contact, delivery.send
    if contact.erased_at is not None:  # erased: never sent to again, nothing left to change
        return
    # Neutral: the consent history is read by every unit the person is on, who must not
    # learn which unit wrote to them (the send's own page records the event).
    evidence = "Unsubscribe link in an e-mail"
    kind = DeliveryEvent.Kind.UNSUBSCRIBE
    if everywhere or send.communication_type is None:
        unsubscribe_everywhere(contact, source=Source.UNSUBSCRIBE, evidence=evidence)
        detail = EVERYWHERE
    else:
        unsubscribe_from(contact, send.communication_type, send.unit,
                         source=Source.UNSUBSCRIBE, evidence=evidence)  # fmt: skip
        detail = "type"
    if not delivery.events.filter(kind=kind, detail=detail).exists():
        DeliveryEvent.objects.create(delivery=delivery, kind=kind, detail=detail)


# View online


@csrf_exempt  # only GET and HEAD: anything else is a 405, not a CSRF 403 page
@require_safe
def view_online(request, token):
    """The e-mail as its recipient received it (that recipient's values and links)."""
    rows = Delivery.objects.select_related("send__unit", "contact")
    delivery, _link = find_delivery(tokens.VIEW, token, rows)
    if delivery is None:
        return not_found(request)
    if delivery.contact.erased_at is not None or not delivery.send.message:
        return page(request, "gone.html", {}, status=410, unit=delivery.send.unit)
    send = delivery.send
    values = messages.merge_values(send, delivery.pk, delivery.contact)
    body = messages.prepare(send).html.render(values)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    return private(response, csp=VIEW_ONLINE_CSP)


# Open pixel

#: What recording an open reads of a delivery: its contact's erasure, nothing of its send.
OPEN_ROWS = Delivery.objects.select_related("contact").only(
    "id", "sent_at", "contact", "contact__erased_at"
)


@csrf_exempt
def open_pixel(request, token):
    """A transparent GIF, whatever the token and method; a GET or a HEAD with a valid token
    records an open."""
    delivery = None
    if request.method in ("GET", "HEAD"):
        delivery, _link = find_delivery(tokens.OPEN, token, OPEN_ROWS)
    if delivery is not None:
        tracking.record_open(delivery, request)
    return private(HttpResponse(PIXEL, content_type="image/gif"))


# Click

#: What a click reads: the contact (its values) and, of the send, the unit's values frozen
#: in its message (not the compiled message itself) and the one link clicked.
CLICK_ROWS = (
    Delivery.objects.select_related("contact")
    .only("id", "sent_at", "contact")
    .annotate(unit_values=KeyTransform("values", "send__message"))
)
#: The recipient's own links a link may hold (each one HMAC, made only if used).
PERSONAL_TAGS = frozenset(("unsubscribe_url", "view_online_url", tracking.OPEN_TAG))


def link_values(delivery: Delivery, link: list) -> dict[str, str]:
    """The values one link of the e-mail needs: the unit's (as frozen in the send), the
    contact's, and the recipient's own links only if the link holds one (never the e-mail's
    every click link)."""
    unit_values = delivery.unit_values if isinstance(delivery.unit_values, dict) else {}
    values = {**unit_values, **contact_values(delivery.contact)}
    if PERSONAL_TAGS.intersection(link[1::2]):
        values.update(messages.personal_links(delivery.pk, 0))
    return values


@csrf_exempt
@require_safe
def click(request, token):
    """A redirect to link N of that e-mail, for that recipient; 404 for anything else."""
    try:
        _delivery_id, index = tokens.read(tokens.CLICK, token)
    except tokens.BadToken:
        return not_found(request)
    if index is None or not 0 <= index < tracking.MAX_LINKS:
        return not_found(request)
    # Only link N of the send's links is read (a JSON path), not all of them.
    rows = CLICK_ROWS.annotate(link=KeyTransform(str(index), "send__links"))
    delivery, _index = find_delivery(tokens.CLICK, token, rows)
    link = delivery.link if delivery is not None else None
    if not isinstance(link, list) or not link:
        return not_found(request)
    url = tracking.render_link(link, link_values(delivery, link))
    if url is None:
        return not_found(request)
    tracking.record_click(delivery, index, request)
    return private(HttpResponseRedirect(url))
