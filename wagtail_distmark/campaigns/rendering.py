"""Render a stream of e-mail blocks: MJML → HTML once, then personalise per recipient.

``compile_email()`` is the expensive step (blocks → MJML → HTML, about once per campaign
revision and unit); ``CompiledEmail.personalise()`` is a join over precomputed parts.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache

from wagtail_distmark.blocks.email import EmailContext
from wagtail_distmark.conf import get_compiled_cache_timeout
from wagtail_distmark.markup.merge_tags import (
    MergeTemplate,
    contact_values,
    escape_html_value,
    unit_values,
)
from wagtail_distmark.markup.mjml import COMPILED_DOCUMENTS, DEFAULT_HEAD, compile_mjml, document


@dataclass(frozen=True)
class PersonalEmail:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class CompiledEmail:
    """An e-mail compiled for one unit, still holding the recipients' merge tags."""

    subject: MergeTemplate
    html: MergeTemplate
    text: MergeTemplate
    base_values: Mapping[str, str]

    def personalise(self, contact=None, links: Mapping[str, str] | None = None) -> PersonalEmail:
        values = {**self.base_values, **contact_values(contact), **(links or {})}
        return PersonalEmail(
            subject=one_line(self.subject.render(values)),
            html=self.html.render(values),
            text=self.text.render(values),
        )


def one_line(value: str) -> str:
    """A header value: line breaks and other control characters become spaces (a merged
    value must never add a header)."""
    if value.isprintable():  # the common case, in C: no control or line separator
        return value.strip()
    return "".join(" " if is_control(char) else char for char in value).strip()


def is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def render_mjml(stream: Iterable, context: EmailContext) -> str:
    """The MJML of every block of ``stream`` (a StreamValue), in order."""
    return "".join(child.block.render_mjml(child.value, context) for child in stream)


def render_head(stream: Iterable) -> str:
    """What blocks add to the e-mail's ``<mj-head>`` (a raw MJML document's styles)."""
    return "".join(
        child.block.render_head(child.value)
        for child in stream
        if hasattr(child.block, "render_head")
    )


def catalogue_products(stream: Iterable) -> list:
    """The catalogue products the blocks of ``stream`` show (their prices are read once)."""
    return [
        product
        for child in stream
        if hasattr(child.block, "catalogue_products")
        for product in child.block.catalogue_products(child.value)
    ]


def render_text(stream: Iterable, context: EmailContext) -> str:
    parts = (child.block.render_text(child.value, context) for child in stream)
    return "\n\n".join(part for part in parts if part)


def compile_email(
    stream, *, subject: str, preheader: str = "", context: EmailContext
) -> CompiledEmail:
    """Compile ``stream`` for the unit of ``context``.

    Raises:
        MJMLError: if the blocks produce MJML that does not compile (HQ's raw MJML is
            validated when the template is saved, so this means a bug, not user input).
    """
    stream = list(stream)
    context = context.with_prices(catalogue_products(stream))  # one query, for MJML and text
    body = render_mjml(stream, context)
    head = DEFAULT_HEAD + render_head(stream)
    source = document(body, title=subject, preheader=preheader, head=head, lang=context.language)
    unit = unit_values(context.unit) if context.unit is not None else {}
    return CompiledEmail(
        subject=MergeTemplate(subject, escape=str).bind(unit),
        html=html_template(source).bind(unit),
        text=MergeTemplate(render_text(stream, context), escape=str).bind(unit),
        base_values=unit,
    )


@lru_cache(maxsize=COMPILED_DOCUMENTS)
def html_template(source: str) -> MergeTemplate:
    """The HTML of an MJML document, split around its merge tags: kept, like the compiled
    documents, for the units that share the document (``bind()`` copies it)."""
    return MergeTemplate(compile_mjml(source), escape=escape_html_value)


def compile_campaign(campaign, base_url: str = "") -> CompiledEmail:
    """The e-mail compiled for ``campaign``'s unit (a ``LocalCampaign``), cached by content.

    The key is a digest of everything the result depends on (the effective zones, subject
    and preheader, the unit's profile, locale and currency, its prices of the products shown,
    the base URL), so an HQ fix, a local edit, a new phone number or a new local price
    compiles afresh, and nothing stale is ever served. The prices are read once, for the key
    and the compile. Entries live ``WAGTAIL_DISTMARK_COMPILED_CACHE_TIMEOUT`` seconds.
    """
    parts = list(campaign.effective_body())
    subject, preheader = campaign.effective_subject(), campaign.effective_preheader()
    context = EmailContext(unit=campaign.unit, base_url=base_url)
    context = context.with_prices(catalogue_products(parts))
    key = compiled_cache_key(parts, subject, preheader, context)
    compiled = cache.get(key)
    if compiled is None:
        compiled = compile_email(parts, subject=subject, preheader=preheader, context=context)
        cache.set(key, compiled, timeout=get_compiled_cache_timeout())
    return compiled


def compiled_cache_key(parts, subject: str, preheader: str, context: EmailContext) -> str:
    source = [[part.block_type, part.block.get_prep_value(part.value)] for part in parts]
    unit = context.unit
    about_unit = [unit_values(unit), unit.locale, unit.currency, unit.country]
    prices = sorted(context.unit_prices.items())
    digest = hashlib.sha256(
        json.dumps([source, subject, preheader, about_unit, prices, context.base_url],
                   sort_keys=True, default=str).encode()
    ).hexdigest()  # fmt: skip
    return f"distmark:compiled:{digest}"
