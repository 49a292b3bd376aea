"""The e-mail of one delivery: compiled once per send, merged per recipient.

:func:`compile_for_send` runs once, when a send starts: the campaign compiled for its unit
(``compile_campaign``), its links turned into click redirects, an open pixel, the From and
Reply-To headers. The result is stored on the :class:`~wagtail_distmark.sending.models.Send`
(what is sent cannot change halfway). :func:`build_message` merges it for one contact: the
contact's values, their signed links, and the headers mail clients and providers need
(Message-ID, ``List-Unsubscribe`` with RFC 8058's one-click ``List-Unsubscribe-Post``).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache

from django.core.mail import EmailMultiAlternatives
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.crypto import salted_hmac

from wagtail_distmark import conf
from wagtail_distmark.campaigns.addresses import sender_address
from wagtail_distmark.campaigns.proofs import header_safe_unit
from wagtail_distmark.campaigns.rendering import compile_campaign, one_line
from wagtail_distmark.markup.merge_tags import MergeTemplate, contact_values, escape_html_value
from wagtail_distmark.sending import tokens, tracking

#: How each stored part is escaped when merged.
ESCAPES = {"subject": str, "html": escape_html_value, "text": str}


def compile_for_send(campaign) -> tuple[dict, list]:
    """What a send of ``campaign`` sends, to store on the send: ``(message, links)``."""
    compiled = compile_campaign(campaign, base_url=conf.get_public_base_url())
    html, links = tracking.prepare_links(short_lines(compiled.html.parts))
    unit = header_safe_unit(campaign.unit)
    from_email = sender_address(campaign.template, unit)
    message = {
        "subject": compiled.subject.parts,
        "html": tracking.add_open_pixel(html),
        "text": compiled.text.parts,
        "values": dict(compiled.base_values),
        "from": from_email,
        "reply_to": unit.reply_to_addresses(),
        "domain": parseaddr(from_email)[1].rpartition("@")[2] or "localhost",
    }
    return message, links


#: The longest run of HTML without a line break that we leave. RFC 5322 allows 998
#: characters a line; Django encodes a body with a longer line as quoted-printable, which
#: costs 40 % of the time it takes to turn each message into bytes (bench/send.py).
LINE_LENGTH = 600


def short_lines(parts: list[str]) -> list[str]:
    """The HTML's text parts with a line break in place of a space between two attributes of
    a tag wherever a line would run past :data:`LINE_LENGTH` (the same HTML: inside a tag,
    a space and a line break are the same separator; text and attribute values are left as
    they are)."""
    wrapper = Wrapper()
    return [wrapper.wrap(part) if i % 2 == 0 else part for i, part in enumerate(parts)]


class Wrapper:
    """One pass over the text parts; the state (in a tag, in a quoted value) carries over a
    merge tag, which may stand in an attribute's value."""

    def __init__(self):
        self.in_tag, self.quote, self.run = False, "", 0

    def wrap(self, text: str) -> str:
        out, last_space = list(text), -1
        for i, char in enumerate(out):
            self.run += 1
            if char == "\n":
                self.run, last_space = 0, -1
            elif self.quote:
                self.quote = "" if char == self.quote else self.quote
            elif char == "<":
                self.in_tag = True
            elif char == ">":
                self.in_tag = False
            elif self.in_tag and char in "\"'":
                self.quote = char
            elif self.in_tag and char == " ":
                last_space = i
            if self.run > LINE_LENGTH and last_space >= 0:
                out[last_space] = "\n"
                self.run, last_space = i - last_space, -1
        return "".join(out)


@dataclass(frozen=True)
class Prepared:
    """A send's stored message, ready to merge (kept per process: it never changes)."""

    subject: MergeTemplate
    html: MergeTemplate
    text: MergeTemplate
    values: dict
    from_email: str
    reply_to: list
    domain: str
    link_count: int


#: Prepared messages of this process, by send id (a send's message never changes).
_PREPARED: dict[tuple, Prepared] = {}


def prepare(send) -> Prepared:
    """The send's message, ready to merge (kept per process by the send's id)."""
    key = (send.pk, send.created_at)  # a test database may give a new send an old id
    found = _PREPARED.get(key)
    if found is None:
        message = send.message
        found = Prepared(
            **{part: MergeTemplate.from_parts(message[part], ESCAPES[part]) for part in ESCAPES},
            values=message.get("values", {}),
            from_email=message["from"],
            reply_to=list(message.get("reply_to", [])),
            domain=message.get("domain", "localhost"),
            link_count=len(send.links),
        )
        if len(_PREPARED) >= 64:
            _PREPARED.clear()
        _PREPARED[key] = found
    return found


@lru_cache(maxsize=8)
def url_prefix(name: str, base: str) -> str:
    """The absolute URL of the public view ``name`` up to its token (reversed once)."""
    return base + reverse(f"wagtail_distmark_public:{name}", args=["TOKEN"]).partition("TOKEN")[0]


def public_url(name: str, token: str) -> str:
    """The absolute URL of the public view ``name`` for ``token``."""
    return url_prefix(name, conf.get_public_base_url()) + token + URL_ENDINGS[name]


#: What follows the token in each public URL (sending/urls.py).
URL_ENDINGS = {"unsubscribe": "/", "view": "/", "open": ".gif", "click": "/"}


def personal_links(delivery_id: int, link_count: int) -> dict[str, str]:
    """The signed links of one recipient's e-mail, by merge tag."""
    links = {
        "unsubscribe_url": public_url("unsubscribe", tokens.make(tokens.UNSUBSCRIBE, delivery_id)),
        "view_online_url": public_url("view", tokens.make(tokens.VIEW, delivery_id)),
        tracking.OPEN_TAG: public_url("open", tokens.make(tokens.OPEN, delivery_id)),
    }
    for index in range(link_count):
        links[tracking.click_tag(index)] = public_url(
            "click", tokens.make(tokens.CLICK, delivery_id, index)
        )
    return links


def merge_values(send, delivery_id: int, contact) -> dict[str, str]:
    """Every value of one recipient's e-mail: the unit's, the contact's, their links."""
    ready = prepare(send)
    return {
        **ready.values,
        **contact_values(contact),
        **personal_links(delivery_id, ready.link_count),
    }


def message_id(send, delivery_id: int) -> str:
    """Our Message-ID of a delivery: stable, so a provider's report names it, and unique
    beyond this site (the send's key, from the secret key, sets two sites' ids apart)."""
    return f"<{delivery_id}{message_id_suffix(send)}"


def message_id_suffix(send) -> str:
    """What follows the delivery's id in its Message-ID: the same for a whole send, so a
    batch's ids are written in one ``UPDATE`` (:func:`message_id_sql`)."""
    key = salted_hmac("wagtail_distmark.sending.message_id", f"{send.pk}:{send.created_at}")
    return f".{send.pk}.{key.hexdigest()[:10]}@{prepare(send).domain}>"


def message_id_sql(send):
    """:func:`message_id` as a database expression of the delivery row."""
    return Concat(Value("<"), Cast("pk", CharField()), Value(message_id_suffix(send)))


def build_message(send, delivery, contact, connection=None) -> EmailMultiAlternatives:
    """The e-mail of ``delivery`` to ``contact``, merged and with its headers."""
    ready = prepare(send)
    values = merge_values(send, delivery.pk, contact)
    message = EmailMultiAlternatives(
        subject=one_line(ready.subject.render(values)),
        body=ready.text.render(values),
        from_email=ready.from_email,
        to=[contact.email],
        reply_to=ready.reply_to,
        connection=connection,
        headers={
            "Message-ID": message_id(send, delivery.pk),
            "List-Unsubscribe": f"<{values['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(ready.html.render(values), "text/html")
    # django-anymail reads these (ignored by other backends): provider events carry the
    # delivery back to us, even for a row whose message id was never recorded.
    message.metadata = {"distmark_delivery": str(delivery.pk), "distmark_send": str(send.pk)}
    message.track_clicks = False  # we track clicks ourselves; a provider's would re-wrap them
    return message
