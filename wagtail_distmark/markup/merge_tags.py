"""Merge tags: the small, whitelisted language local users may type.

``{{ contact.first_name }}`` or ``{{ unit.phone }}`` in an editable zone is replaced by an
escaped value; nothing else is ever interpreted. Unknown tags and Django template syntax are
validation errors at save time, never a crash at send time.

A :class:`MergeTemplate` splits a text (or a compiled e-mail) once; rendering it for each
recipient is a join over the precomputed parts. Values are substituted, never parsed again.

Tags are found by :func:`split_tags`, a scanner in linear time (no regular expression that
could backtrack: ``{{`` followed by many spaces once took seconds), and every text is bounded
(:func:`wagtail_distmark.text.check_length`) before it is validated.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.text import check_length

OPEN, CLOSE = "{{", "}}"
TEMPLATE_CODE = ("{%", "%}", "{#", "#}")

#: Every tag a user may type, with what it shows. Documented in docs/merge-tags.md.
TAGS: dict[str, str] = {
    "contact.first_name": _("The recipient's first name"),
    "contact.last_name": _("The recipient's last name"),
    "contact.email": _("The recipient's e-mail address"),
    "contact.phone": _("The recipient's phone number"),
    "contact.birth_date": _("The recipient's birth date"),
    "contact.postal_code": _("The recipient's postal code"),
    "contact.city": _("The recipient's city"),
    "contact.country": _("The recipient's country code"),
    "contact.locale": _("The recipient's language"),
    "unit.name": _("Your unit's name"),
    "unit.code": _("Your unit's code (store number)"),
    "unit.address": _("Your unit's postal address, on one line"),
    "unit.city": _("Your unit's city"),
    "unit.phone": _("Your unit's phone number"),
    "unit.email": _("Your unit's e-mail address"),
    "unit.website": _("Your unit's website"),
    "unit.opening_hours": _("Your unit's opening hours"),
    "unit.sender_name": _("The sender name of your unit"),
    "unsubscribe_url": _("The recipient's one-click unsubscribe link"),
    "view_online_url": _("The link to this e-mail in a browser"),
}

#: ``{{ contact.attributes.<key> }}``: one of HQ's custom contact attributes, by its key.
ATTRIBUTE_PREFIX = "contact.attributes."
#: The longest attribute key (``ContactAttribute.key``, a slug).
MAX_ATTRIBUTE_KEY = 40
CONTACT_FIELDS = tuple(tag.removeprefix("contact.") for tag in TAGS if tag.startswith("contact."))

UNIT_FIELDS = ("name", "code", "city", "phone", "email", "website", "opening_hours", "sender_name")


def split_tags(text: str) -> list[str]:
    """``[text, tag, text, tag, …, text]``: the texts between tags and the tags' names.

    A tag is ``{{`` and ``}}`` around a name without braces, spaces around it ignored; the
    last ``{{`` before a ``}}`` opens it. Each character is looked at a bounded number of
    times: ``find`` moves forward, ``rfind`` only searches the stretch ``find`` just crossed.
    """
    parts, start, pos = [], 0, 0
    while (close := text.find(CLOSE, pos)) >= 0:
        opening = text.rfind(OPEN, pos, close)
        name = text[opening + 2 : close]
        if opening >= 0 and "{" not in name and "}" not in name:
            parts += [text[start:opening], name.strip()]
            start = close + 2
        pos = close + 2
    parts.append(text[start:])
    return parts


def find_tags(text: str) -> list[str]:
    return split_tags(text or "")[1::2]


def validate_merge_tags(text: str) -> None:
    """Raise ``ValidationError`` for a text too long, unknown tags or template code."""
    if not text:
        return
    check_length(text)
    if any(code in text for code in TEMPLATE_CODE):
        raise ValidationError(
            _("Template code ({% … %} or {# … #}) is not allowed here."), code="template_code"
        )
    parts = split_tags(text)
    unknown = sorted({tag for tag in parts[1::2] if not is_known_tag(tag)})
    if unknown:
        raise ValidationError(
            _("Unknown merge tag(s): %(tags)s. Allowed: %(allowed)s."),
            code="unknown_merge_tag",
            params={
                "tags": ", ".join(f"{{{{ {tag} }}}}" for tag in unknown),
                "allowed": ", ".join(f"{{{{ {tag} }}}}" for tag in TAGS),
            },
        )
    if any(OPEN in rest or CLOSE in rest for rest in parts[::2]):
        raise ValidationError(
            _("A merge tag is not closed: write it as {{ unit.name }}."), code="broken_merge_tag"
        )


def is_known_tag(tag: str) -> bool:
    """A whitelisted tag, or ``contact.attributes.<key>`` with a slug key (an attribute HQ
    has not declared, or has since removed, renders empty rather than failing a send)."""
    if tag in TAGS:
        return True
    key = tag.removeprefix(ATTRIBUTE_PREFIX)
    return (
        tag.startswith(ATTRIBUTE_PREFIX)
        and 0 < len(key) <= MAX_ATTRIBUTE_KEY
        and key.replace("-", "").replace("_", "").isascii()
        and key.replace("-", "").replace("_", "").isalnum()
    )


def unit_values(unit) -> dict[str, str]:
    """The ``unit.*`` values of an org unit's profile."""
    values = {f"unit.{name}": str(getattr(unit, name, "") or "") for name in UNIT_FIELDS}
    street = ", ".join(
        part
        for part in (
            unit.address_line_1,
            unit.address_line_2,
            f"{unit.postal_code} {unit.city}".strip(),
            unit.country,
        )
        if part
    )
    values["unit.address"] = street
    return values


def contact_values(contact: Mapping | object | None) -> dict[str, str]:
    """The ``contact.*`` values of a contact (a model instance or a mapping): every field and
    attribute, whatever the sender's role may see, since the e-mail is built for the contact
    themselves (DESIGN invariant 9 governs what users see, not what a person receives)."""

    def read(name):
        if contact is None:
            return ""
        if isinstance(contact, Mapping):
            return contact.get(name, "")
        return getattr(contact, name, "")

    values = {f"contact.{name}": str(read(name) or "") for name in CONTACT_FIELDS}
    attributes = read("attributes")
    if isinstance(attributes, Mapping):
        values.update(
            {
                f"{ATTRIBUTE_PREFIX}{key}": str(value)
                for key, value in attributes.items()
                if value is not None
            }  # fmt: skip
        )
    return values


def escape_html_value(value: str) -> str:
    """A value for HTML: escaped, its line breaks kept (``<br>``).

    Called for every tag of every recipient's e-mail: plain ``str`` methods only (Django's
    lazy-aware ``normalize_newlines`` made personalising six times slower).
    """
    escaped = html.escape(value)
    if "\r" in escaped:
        escaped = escaped.replace("\r\n", "\n").replace("\r", "\n")
    return escaped.replace("\n", "<br>")


class MergeTemplate:
    """A text split once around its merge tags, rendered many times.

    Args:
        text: the text or compiled HTML, with ``{{ tag }}`` placeholders.
        escape: a function applied to every substituted value (:func:`escape_html_value`
            for HTML, ``str`` for plain text and subjects).
    """

    def __init__(self, text: str, escape: Callable[[str], str] = escape_html_value):
        self.parts = split_tags(text)
        self.escape = escape
        self.tags = set(self.parts[1::2])

    @classmethod
    def from_parts(cls, parts: list[str], escape: Callable[[str], str] = escape_html_value):
        """A template from the ``parts`` of another (as stored with a send): never parsed
        again, so a value bound into them can never turn into a tag."""
        template = cls.__new__(cls)
        template.parts, template.escape, template.tags = list(parts), escape, set(parts[1::2])
        return template

    def bind(self, values: Mapping[str, str]) -> MergeTemplate:
        """This template with the tags of ``values`` filled in now (escaped, and never parsed
        again); the other tags stay for :meth:`render`. A unit's values are bound once at
        compile time instead of being escaped again for every recipient."""
        parts, text = [], self.parts[0]
        for tag, after in zip(self.parts[1::2], self.parts[2::2], strict=True):
            if tag in values:
                text += self.escape(values[tag]) + after
            else:
                parts += [text, tag]
                text = after
        parts.append(text)
        bound = copy.copy(self)
        bound.parts, bound.tags = parts, set(parts[1::2])
        return bound

    def render(self, values: Mapping[str, str]) -> str:
        """Substitute the values; a tag with no value renders empty."""
        parts = self.parts
        escape = self.escape
        out = parts[:]
        for i in range(1, len(parts), 2):
            out[i] = escape(values.get(parts[i], ""))
        return "".join(out)


#: Tags whose value is the recipient's own signed link: for the body only. In a subject or a
#: preheader they would travel in notifications, logs and forwards, where anyone could
#: unsubscribe the person or read their e-mail.
PRIVATE_LINK_TAGS = ("unsubscribe_url", "view_online_url")


def validate_header_tags(text: str) -> None:
    """:func:`validate_merge_tags`, and no private link tag (a subject, a preheader)."""
    validate_merge_tags(text)
    found = sorted({tag for tag in split_tags(text or "")[1::2] if tag in PRIVATE_LINK_TAGS})
    if found:
        raise ValidationError(
            _("%(tags)s may only be used in the e-mail's body, never in its subject or "
              "preheader (it is the recipient's own link).")
            % {"tags": ", ".join(f"{{{{ {tag} }}}}" for tag in found)},
            code="private_link_tag",
        )  # fmt: skip
