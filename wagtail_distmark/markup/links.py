"""The one rule every link of an e-mail follows (buttons, images, logos, products, social
links and the links inside rich text).

* A link is ``https:``, ``http:``, ``mailto:`` or ``tel:``; a web link names its host plainly
  (no ``user@`` part, no backslash, spaces or invisible characters), and when
  ``WAGTAIL_DISTMARK_ALLOWED_LINK_DOMAINS`` is set, only those domains.
* ``{{ unsubscribe_url }}`` and ``{{ view_online_url }}`` may be a whole link.
* Merge tags may follow the host (``https://brand.example/?store={{ unit.code }}``). Tags
  that carry the recipient's data — ``{{ contact.* }}``, and the two per-recipient links
  above inside another link — are allowed only in ``https://`` links to a domain of
  ``WAGTAIL_DISTMARK_LINK_DOMAINS_FOR_CONTACT_DATA`` (none by default): a link must not carry
  personal data out to a third party.
"""

from __future__ import annotations

import html
import unicodedata
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.conf import get_allowed_link_domains, get_link_domains_for_contact_data
from wagtail_distmark.markup.merge_tags import split_tags, validate_merge_tags
from wagtail_distmark.text import check_length

SCHEMES = ("https", "http", "mailto", "tel")
WEB_SCHEMES = ("https", "http")
#: Per-recipient links: a whole link by themselves, personal data inside another one.
LINK_TAGS = ("unsubscribe_url", "view_online_url")
#: The longest link accepted (browsers and mail clients cope with about 2,000 characters).
MAX_LINK_LENGTH = 2_000
#: The longest tag of stored rich text (a link of the longest length and its attributes).
MAX_TAG_LENGTH = MAX_LINK_LENGTH + 500


def on_domains(host: str, domains: list[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d.lower() or host.endswith(f".{d.lower()}") for d in domains)


def is_personal(tag: str) -> bool:
    return tag.startswith("contact.") or tag in LINK_TAGS


def validate_link(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` follows the link rule (module docstring)."""
    if not value:
        return
    check_length(value, MAX_LINK_LENGTH)
    validate_merge_tags(value)
    parts = split_tags(value)
    if is_whole_link_tag(parts):
        return
    url = split("x".join(parts[::2]))  # each tag stands for a plain value
    scheme, tags = url.scheme.lower(), parts[1::2]
    host = web_host(url, parts[0] if tags else None) if scheme in WEB_SCHEMES else None
    if any(is_personal(tag) for tag in tags):
        check_personal_data(host if scheme == "https" else None)


def is_whole_link_tag(parts: list[str]) -> bool:
    """``{{ unsubscribe_url }}`` or ``{{ view_online_url }}``, alone."""
    return len(parts) == 3 and not (parts[0] + parts[2]).strip() and parts[1] in LINK_TAGS


def split(literal: str):
    """The parts of a link (with its merge tags replaced), after its characters and scheme
    are checked."""
    if any(char.isspace() or char == "\\" or unicodedata.category(char)[0] == "C"
           for char in literal):  # fmt: skip
        raise ValidationError(
            _("A link cannot contain spaces, backslashes or invisible characters."), code="link"
        )
    try:
        url = urlsplit(literal)
        url.hostname  # noqa: B018 -- raises ValueError for a malformed host
    except ValueError as error:
        raise ValidationError(_("This link is not a valid address."), code="link") from error
    if url.scheme.lower() not in SCHEMES:
        raise ValidationError(
            _("Enter a link starting with https:// (or http://, mailto:, tel:)."),
            code="link_scheme",
        )
    return url


def web_host(url, prefix: str | None) -> str:
    """The host of a web link, checked; ``prefix``: the link before its first merge tag."""
    netloc = url.netloc
    if not netloc or "@" in netloc:
        raise ValidationError(_("Enter a full web address starting with https://."), code="link")
    if prefix is not None and (netloc not in prefix or prefix.endswith(netloc)):
        raise ValidationError(
            _("Merge tags may only follow the web address's domain (after its first /)."),
            code="link_host",
        )
    host = url.hostname or ""
    if not host or not all(char.isalnum() or char in ".-" for char in host):
        raise ValidationError(_("Enter a full web address starting with https://."), code="link")
    domains = get_allowed_link_domains()
    if domains and not on_domains(host, domains):
        raise ValidationError(
            _("Links may only point to %(domains)s."),
            code="link_domain",
            params={"domains": ", ".join(domains)},
        )
    return host


def check_personal_data(host: str | None) -> None:
    domains = get_link_domains_for_contact_data()
    if host and domains and on_domains(host, domains):
        return
    message = (
        _("Links that carry the recipient's data ({{ contact.email }} …) may only point to "
          "https:// addresses on %(domains)s.")
        if domains
        else _("A link cannot carry the recipient's data ({{ contact.email }} …) to a web site.")
    )  # fmt: skip
    raise ValidationError(
        message, code="link_personal_data", params={"domains": ", ".join(domains)}
    )


def link_targets(source: str) -> list[str]:
    """The ``href`` of every external ``<a>`` of stored rich text, found in linear time.

    Raises:
        ValidationError: for a link written other than as Wagtail stores one
            (``href="…"``), which could otherwise slip past the link rule.
    """
    targets, pos = [], 0
    while (start := source.find("<a", pos)) >= 0:
        end = source.find(">", start)
        if end < 0:
            break
        raw = source[start + 2 : end]
        pos = end + 1
        if raw[:1] not in ("", " ", "\t", "\n", "/"):
            continue  # <abbr>, <address> …
        attrs = attributes(raw)
        if "href" in raw.lower() and "href" not in attrs:
            raise ValidationError(_("A link of this text could not be read."), code="link")
        if "href" in attrs and "linktype" not in attrs:
            targets.append(attrs["href"])
    return targets


def attributes(raw: str) -> dict[str, str]:
    """``name="value"`` pairs of a tag (values unescaped), split on quotes: no pattern."""
    pieces = raw.split('"')
    attrs = {}
    for i in range(0, len(pieces) - 1, 2):
        name = pieces[i].strip()
        if name.endswith("=") and name[:-1].split():
            attrs[name[:-1].split()[-1].lower()] = html.unescape(pieces[i + 1])
    return attrs


def check_tags(source: str) -> None:
    """Every tag of stored rich text is closed and short. Wagtail's own tag patterns
    (``<a(\\b[^>]*)>``, ``([\\w-]+)\\="…"``) take quadratic time on an unclosed or very long
    tag; this linear scan refuses such text before any of them runs."""
    pos = 0
    while (start := source.find("<", pos)) >= 0:
        end = source.find(">", start)
        if end < 0 or end - start > MAX_TAG_LENGTH:
            raise ValidationError(_("A link of this text could not be read."), code="link")
        pos = end + 1


def validate_rich_text_links(source: str) -> None:
    """Every tag of stored rich text is well formed and every external link follows
    :func:`validate_link`."""
    check_tags(source or "")
    for target in link_targets(source or ""):
        try:
            validate_link(target.strip())
        except ValidationError as error:
            raise ValidationError(
                _("Link “%(link)s”: %(error)s"),
                code=error.code,
                params={"link": target[:80], "error": " ".join(error.messages)},
            ) from error
