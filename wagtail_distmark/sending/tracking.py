"""Open and click tracking: the e-mail's links turned into signed redirects, an open pixel,
and the record of opens and clicks, machines' apart from people's.

:func:`prepare_links` runs once per send on the compiled HTML's merge-template parts;
the public views (``sending/public.py``) call :func:`record_open` / :func:`record_click`.

Machines (docs/reference/sending.md, "The public URLs"): an open or a click is kept, marked
``is_machine`` with a ``machine_reason``, and counted apart from people's when

* it is a ``HEAD`` request (link checkers ask whether a link works; a person's browser GETs);
* it has no user agent, or a user agent of :data:`MACHINE_AGENTS` (security gateways that
  fetch every link of an incoming e-mail, HTTP libraries, crawlers);
* its user agent is just ``Mozilla/5.0`` (Apple Mail Privacy Protection prefetches every
  image of every message through its proxy with that bare user agent, whether or not the
  person ever reads it): reason ``apple_mpp``;
* it is a click within ``WAGTAIL_DISTMARK_MACHINE_CLICK_SECONDS`` (2) of the delivery: no
  person reads an e-mail and clicks that fast, a link scanner (Microsoft Defender Safe Links
  opens links with an ordinary browser's user agent) does.

Gmail's ``GoogleImageProxy`` is *not* a machine: Gmail fetches the images through its proxy
when the person opens the message (and caches them), so it stands for a person's open.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

from django.db.models import Count, Q
from django.utils import timezone

from wagtail_distmark import conf
from wagtail_distmark.sending.models import DeliveryEvent

#: The merge tag of the open pixel's URL, and of link number N's redirect.
OPEN_TAG = "distmark.open"
CLICK_PREFIX = "distmark.click."
#: Links that are never tracked: the recipient's own links, whole.
UNTRACKED_TAGS = ("unsubscribe_url", "view_online_url")
#: Links kept as they are (a mail client opens them itself, or they stay in the page).
UNTRACKED_PREFIXES = ("mailto:", "tel:", "#")
#: No more links are tracked in one e-mail (the rest are left as they are).
MAX_LINKS = 500
#: An ``<a`` tag's start, and what ends an attribute name or the tag. Fixed patterns of one
#: or two characters: a search cannot backtrack.
A_TAG = re.compile(r"<[aA]\s")
QUOTE_OR_END = re.compile(r'[">]')

PIXEL = (
    f'<img src="{{{{ {OPEN_TAG} }}}}" width="1" height="1" alt="" border="0" '
    'style="display:block;width:1px;height:1px;border:0;opacity:0;" />'
)


def click_tag(index: int) -> str:
    return f"{CLICK_PREFIX}{index}"


# Links


class _Parts:
    """Merge-template parts built in order (``[text, tag, text, …, text]``); texts are
    gathered in pieces and joined once (adding to a string in a loop copies it each time)."""

    def __init__(self):
        self.done, self.pieces = [], []

    def text(self, text: str) -> None:
        self.pieces.append(text)

    def tag(self, name: str) -> None:
        self.done += ["".join(self.pieces), name]
        self.pieces = []

    @property
    def parts(self) -> list[str]:
        return [*self.done, "".join(self.pieces)]


def prepare_links(parts: list[str]) -> tuple[list[str], list]:
    """The HTML parts with each tracked link's URL replaced by its click tag, and the links
    (each a list of merge-template parts, to render for the contact at click time).

    The HTML is our own MJML output: attributes in double quotes, so one pass finds each
    ``<a …>`` tag and its ``href="…"`` (which may hold merge tags). Each character is looked
    at once (linear time). The stored link's texts are unescaped (``&amp;`` → ``&``): the
    redirect goes to the URL the browser would have opened. The same URL twice is one link.
    """
    out, links, index_of = _Parts(), [], {}
    state, value = "outside", []
    for number, part in enumerate(parts):
        if number % 2:
            if state == "href":
                value += [part, ""]
            else:
                out.tag(part)
            continue
        pos = 0
        while True:
            if state == "outside":
                found = A_TAG.search(part, pos)
                if found is None:
                    out.text(part[pos:])
                    break
                out.text(part[pos : found.end()])
                pos, state = found.end(), "tag"
            elif state == "tag":
                found = QUOTE_OR_END.search(part, pos)
                if found is None:
                    out.text(part[pos:])
                    break
                is_href = found.group() == '"' and attribute_name(part[pos : found.start()])
                out.text(part[pos : found.end()])
                pos = found.end()
                if found.group() == ">":
                    state = "outside"
                else:
                    state, value = ("href", [""]) if is_href == "href" else ("value", [])
            else:  # inside an attribute's value, up to its closing quote
                end = part.find('"', pos)
                chunk = part[pos:] if end < 0 else part[pos:end]
                if state == "href":
                    value[-1] += chunk
                else:
                    out.text(chunk)
                if end < 0:
                    break
                if state == "href":
                    track(value, out, links, index_of)
                out.text('"')
                pos, state = end + 1, "tag"
    if state == "href":  # an unclosed value (not our output): kept as it was
        for number, piece in enumerate(value):
            out.tag(piece) if number % 2 else out.text(piece)
    return out.parts, links


def attribute_name(stretch: str) -> str:
    """The name of the attribute whose value's quote follows ``stretch`` (`` href=``)."""
    stretch = stretch.rstrip()
    if not stretch.endswith("="):
        return ""
    words = stretch[:-1].rstrip().rsplit(None, 1)
    return words[-1].lower() if words else ""


def track(value: list[str], out: _Parts, links: list, index_of: dict) -> None:
    """Write ``value`` (an href's parts) to ``out``: its click tag, or itself if untracked."""
    if is_tracked(value) and (tuple(value) in index_of or len(links) < MAX_LINKS):
        key = tuple(value)
        if key not in index_of:
            index_of[key] = len(links)
            links.append(
                [html.unescape(piece) if not n % 2 else piece for n, piece in enumerate(value)]
            )
        out.tag(click_tag(index_of[key]))
        return
    for number, piece in enumerate(value):
        out.tag(piece) if number % 2 else out.text(piece)


def is_tracked(value: list[str]) -> bool:
    """Whether an href (its parts) becomes a click redirect: web links, and links that start
    with a merge tag (checked at click time: only http(s) is redirected to); not the
    recipient's own links alone, ``mailto:``, ``tel:`` or anchors."""
    start = html.unescape(value[0]).strip().lower()
    if start:
        return start.startswith(("http://", "https://"))
    if len(value) == 1:  # an empty href
        return False
    alone = len(value) == 3 and not value[2].strip()
    return not (alone and value[1] in UNTRACKED_TAGS) and value[1] != OPEN_TAG


def add_open_pixel(parts: list[str]) -> list[str]:
    """The HTML parts with an invisible 1×1 image whose URL is the open tag, before
    ``</body>`` (or at the end)."""
    parts = list(parts)
    for number in reversed(range(0, len(parts), 2)):
        text = parts[number]
        at = max(text.rfind("</body>"), text.rfind("</BODY>"))
        if at >= 0:
            return [
                *parts[:number], text[:at] + PIXEL_BEFORE, OPEN_TAG, PIXEL_AFTER + text[at:],
                *parts[number + 1 :],
            ]  # fmt: skip
    return [*parts[:-1], parts[-1] + PIXEL_BEFORE, OPEN_TAG, PIXEL_AFTER]


PIXEL_BEFORE, _sep, PIXEL_AFTER = PIXEL.partition(f"{{{{ {OPEN_TAG} }}}}")


def render_link(link: list[str], values: dict[str, str]) -> str | None:
    """The URL of a stored link for one recipient, or ``None`` unless it is an http(s) URL
    with a host and no control character (the redirect's only targets).

    A value that stands at the very start of the link (a whole-link tag, ``{{ unit.website }}``)
    is used as it is; any other value is percent-encoded (``quote(value, safe="")``), so a
    contact's or unit's value cannot add a ``@``, ``/``, ``?`` or ``#`` that moves the link to
    another host. A link that starts with a literal ``http(s)://host`` redirects only to that
    scheme and host (a value cannot lengthen the host either: ``.evil.example``)."""
    pieces = []
    for number, piece in enumerate(link):
        if not number % 2:
            pieces.append(piece)
            continue
        value = str(values.get(piece, ""))
        at_start = number == 1 and not link[0].strip()
        pieces.append(value if at_start else quote(value, safe=""))
    url = "".join(pieces).strip()
    if len(url) > 8000 or any(ord(char) < 32 or ord(char) == 127 for char in url):
        return None
    try:
        split = urlsplit(url)
        fixed = literal_origin(link[0] if link else "")
    except ValueError:
        return None
    if split.scheme.lower() not in ("http", "https") or not split.hostname:
        return None
    if fixed is not None and fixed != (split.scheme.lower(), split.hostname.lower()):
        return None
    return url


def literal_origin(prefix: str) -> tuple[str, str] | None:
    """The (scheme, host) a link's literal start names (``https://shop.example/…``), or
    ``None`` if it does not start with one (a link that starts with a merge tag)."""
    prefix = prefix.strip()[:2000]
    split = urlsplit(prefix)
    if split.scheme.lower() not in ("http", "https") or not split.hostname:
        return None
    return split.scheme.lower(), split.hostname.lower()


# Machines


#: User agents of machines (lowercase substrings, looked for in the first 255 characters):
#: mail security gateways that fetch every link and image of an incoming message, HTTP
#: libraries and crawlers. Bounded: each request is matched against this list once.
MACHINE_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "safelinks",
    "office existence discovery",  # Office checks a link before opening it
    "forcepoint",
    "symantec",
    "trendmicro",
    "sophos",
    "fireeye",
    "messagelabs",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "curl/",
    "wget/",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww-perl",
    "headlesschrome",
    "phantomjs",
    "facebookexternalhit",
    "bot",
    "spider",
    "crawler",
    "scanner",
    "preview",
)
#: The bare user agent of Apple Mail Privacy Protection's image proxy.
APPLE_MPP_AGENTS = ("mozilla/5.0",)
#: The longest user agent kept (and looked at).
MAX_USER_AGENT = 255
#: No more opens (or clicks) are recorded for one delivery: a pixel fetched in a loop
#: cannot fill the table.
MAX_EVENTS_PER_KIND = 50


def user_agent(request) -> str:
    """The request's user agent, bounded and without control characters (PostgreSQL refuses
    NUL in text)."""
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:MAX_USER_AGENT]
    return "".join(char for char in agent if char.isprintable())


def machine_reason(request, agent: str) -> str:
    """Why a request is a machine's (empty if it looks like a person's)."""
    if request.method == "HEAD":
        return "head"
    lowered = agent.strip().lower()
    if not lowered:
        return "no_user_agent"
    if lowered in APPLE_MPP_AGENTS:
        return "apple_mpp"
    for token in MACHINE_AGENTS:
        if token in lowered:
            return f"user_agent:{token}"[:40]
    return ""


def record(delivery, kind: str, request, reason: str = "", link_index=None):
    """Record an open or a click of ``delivery`` (unless it has too many of them already)."""
    if delivery.contact.erased_at is not None:  # an erased person leaves no new trace
        return None
    if delivery.events.filter(kind=kind).count() >= MAX_EVENTS_PER_KIND:
        return None
    agent = user_agent(request)
    reason = machine_reason(request, agent) or reason
    return DeliveryEvent.objects.create(
        delivery=delivery, kind=kind, is_machine=bool(reason), machine_reason=reason,
        link_index=link_index, user_agent=agent,
    )  # fmt: skip


def record_open(delivery, request):
    """Record an open (the pixel was fetched), a machine's or a person's."""
    return record(delivery, DeliveryEvent.Kind.OPEN, request)


def record_click(delivery, index: int, request):
    """Record a click of link ``index``; a click this soon after the delivery is a machine's."""
    return record(
        delivery, DeliveryEvent.Kind.CLICK, request, reason=too_fast(delivery), link_index=index
    )


def too_fast(delivery) -> str:
    if delivery.sent_at is None:
        return ""
    soon = delivery.sent_at + timedelta(seconds=conf.get_machine_click_seconds())
    return "too_fast" if timezone.now() < soon else ""


def event_counts(send) -> dict[str, int]:
    """Opens and clicks of a send, people's apart from machines' (one query).

    Returns:
        ``{"opens", "opens_machine", "clicks", "clicks_machine", "unique_openers",
        "unique_clickers"}``: ``opens`` and ``clicks`` count people's events,
        ``*_machine`` machines'; ``unique_openers`` the deliveries a person opened or
        clicked in (a click means the message was read, even with images blocked),
        ``unique_clickers`` those a person clicked in.
    """
    person, machine = Q(is_machine=False), Q(is_machine=True)
    opened, clicked = Q(kind=DeliveryEvent.Kind.OPEN), Q(kind=DeliveryEvent.Kind.CLICK)
    counts = DeliveryEvent.objects.filter(delivery__send=send).aggregate(
        opens=Count("pk", filter=person & opened),
        opens_machine=Count("pk", filter=machine & opened),
        clicks=Count("pk", filter=person & clicked),
        clicks_machine=Count("pk", filter=machine & clicked),
        unique_openers=Count("delivery", distinct=True, filter=person & (opened | clicked)),
        unique_clickers=Count("delivery", distinct=True, filter=person & clicked),
    )
    return {key: value or 0 for key, value in counts.items()}
