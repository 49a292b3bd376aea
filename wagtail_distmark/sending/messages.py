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
from django.urls import reverse

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
    html, links = tracking.prepare_links(compiled.html.parts)
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
    """Our Message-ID of a delivery: stable, so a provider's report names it."""
    return f"<{tokens.encode(delivery_id)}.{tokens.encode(send.pk)}@{prepare(send).domain}>"


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
