"""Server-side enforcement of a brand template's zones on a local campaign's body.

A campaign body holds the template's zones, same ids, same types, same order. Whatever the
POST body says, :func:`check_campaign_body` refuses any addition, removal or reordering of
zones, any change to a locked zone and any broken constraint, with one message per zone.
:func:`effective_body` is what gets rendered: locked zones always come from the live
template, so an HQ fix reaches every campaign not yet sent.

Texts are judged as a reader sees them (:mod:`wagtail_distmark.text`): limits count visible
characters, a text of invisible characters is empty, banned words are found on the folded
form (no invisible characters, any case, look-alike letters folded), and HQ's ``re:``
patterns run on RE2, an engine in linear time that no pattern can make backtrack.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import re2
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText

from wagtail_distmark.blocks.email import html_to_text
from wagtail_distmark.blocks.zones import ZonePolicy
from wagtail_distmark.conf import get_max_text_length
from wagtail_distmark.text import Folded, fold, folded, is_blank, is_one_of, visible_length


def leaves(block: blocks.Block, value) -> Iterator[tuple[blocks.Block, object]]:
    """Every (leaf block, value) inside a block value: texts, numbers, images."""
    if isinstance(block, blocks.StructBlock):
        for name, child in block.child_blocks.items():
            yield from leaves(child, value[name])
    elif isinstance(block, blocks.ListBlock):
        for item in value:
            yield from leaves(block.child_block, item)
    else:
        yield block, value


def as_text(value) -> str | None:
    """The text a reader sees in a leaf value (a rich text's words without its markup)."""
    if isinstance(value, RichText):
        return html_to_text(value.source)
    return value if isinstance(value, str) else None


def raw_length(value) -> int:
    return len(value.source if isinstance(value, RichText) else value or "")


def oversized(block, value) -> bool:
    """A text longer than ``WAGTAIL_DISTMARK_MAX_TEXT_LENGTH``: judged before any parsing."""
    limit = get_max_text_length()
    return any(raw_length(leaf) > limit for _, leaf in leaves(block, value) if as_text_like(leaf))


def as_text_like(value) -> bool:
    return isinstance(value, (str, RichText))


def texts(block, value) -> list[str]:
    return [text for _, leaf in leaves(block, value) if (text := as_text(leaf)) is not None]


def primary_text(block, value) -> str | None:
    field = getattr(block, "primary_text_field", None)
    if field is None:
        return as_text(value)
    return value[field]


def list_lengths(block, value) -> list[int]:
    if isinstance(block, blocks.StructBlock):
        return [
            n
            for name, child in block.child_blocks.items()
            for n in list_lengths(child, value[name])
        ]
    if isinstance(block, blocks.ListBlock):
        return [len(value)]
    return []


def constraint_errors(block, value, constraints) -> list[str]:
    """Messages for every limit of a constrained zone that ``value`` breaks."""
    errors = []
    all_texts = texts(block, value)
    if constraints["required"] and any(is_blank(text) for text in all_texts):
        errors.append(_("Every text of this zone must be filled in."))
    limit = constraints["max_chars"]
    longest = max((visible_length(text) for text in all_texts), default=0)
    if limit and longest > limit:
        errors.append(
            _("Texts of this zone are limited to %(limit)d characters (one has %(count)d).")
            % {"limit": limit, "count": longest}
        )
    allowed = [line.strip() for line in (constraints["choices"] or "").splitlines() if line.strip()]
    if allowed and not is_one_of(primary_text(block, value) or "", allowed):
        errors.append(_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    errors += number_errors(block, value, constraints["min_value"], constraints["max_value"])
    errors += image_errors(block, value, constraints["collection"])
    errors += item_errors(block, value, constraints["min_items"], constraints["max_items"])
    return errors


def number_errors(block, value, low, high) -> list[str]:
    numbers = [
        Decimal(leaf)
        for child, leaf in leaves(block, value)
        if isinstance(child, (blocks.IntegerBlock, blocks.DecimalBlock, blocks.FloatBlock))
        and leaf is not None
    ]
    outside = [
        n for n in numbers if (low is not None and n < low) or (high is not None and n > high)
    ]
    if not outside:
        return []
    return [
        _("This number must be between %(low)s and %(high)s (it is %(value)s).")
        % {"low": low if low is not None else "…", "high": high if high is not None else "…",
           "value": outside[0]}
    ]  # fmt: skip


def image_errors(block, value, collection_id) -> list[str]:
    if not collection_id:
        return []
    from wagtail.models import Collection

    collection = Collection.objects.filter(pk=collection_id).first()
    images = [leaf for child, leaf in leaves(block, value) if isinstance(child, ImageChooserBlock)]
    allowed = (
        collection.get_descendants(inclusive=True) if collection else Collection.objects.none()
    )
    allowed_ids = set(allowed.values_list("pk", flat=True))
    if any(image is not None and image.collection_id not in allowed_ids for image in images):
        name = collection.name if collection else "?"
        return [_("Images of this zone must come from the “%(name)s” collection.") % {"name": name}]
    return []


def item_errors(block, value, low, high) -> list[str]:
    for count in list_lengths(block, value):
        if (low is not None and count < low) or (high is not None and count > high):
            return [
                _("This zone needs between %(low)s and %(high)s items (it has %(count)d).")
                % {"low": low if low is not None else 0, "high": high if high is not None else "…",
                   "count": count}
            ]  # fmt: skip
    return []


@dataclass(frozen=True)
class Banned:
    """One entry of HQ's banned-word list, ready to search folded texts."""

    #: The entry as HQ wrote it (shown in messages).
    entry: str
    #: The folded word, for a plain word.
    word: str = ""
    #: The compiled RE2 pattern, for a ``re:`` entry.
    pattern: object = None

    def search(self, text: Folded) -> str | None:
        """The banned part of ``text``, as the reader sees it, or None."""
        if self.pattern is not None:
            match = self.pattern.search(text.text)
            span = match.span() if match and match.end() > match.start() else None
        else:
            span = whole_word_at(text.text, self.word)
        return text.original(*span) if span else None


def is_word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def whole_word_at(text: str, word: str) -> tuple[int, int] | None:
    """Where ``word`` occurs in ``text`` as a whole word (``str.find``: no pattern)."""
    start = text.find(word) if word else -1
    while start >= 0:
        end = start + len(word)
        if not is_word_char(text, start - 1) and not is_word_char(text, end):
            return start, end
        start = text.find(word, start + 1)
    return None


def re2_options():
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = 8 << 20  # a pattern whose program needs more is refused
    return options


def compile_pattern(pattern: str):
    """An HQ ``re:`` pattern compiled by RE2 (linear time whatever the text).

    Raises:
        ValueError: for a pattern RE2 cannot run (back-references, look-around, a
            program too large) or one that matches an empty text, with the reason.
    """
    try:
        compiled = re2.compile(pattern, re2_options())
    except re2.error as error:
        reason = error.args[0] if error.args else error
        reason = reason.decode() if isinstance(reason, bytes) else str(reason)
        raise ValueError(reason) from error
    if compiled.search("") is not None:
        raise ValueError(_("it matches an empty text, so it would ban every text"))
    return compiled


def banned_entry(line: str) -> Banned | None:
    """One line of HQ's list, or None if it is empty or a pattern RE2 cannot run (one
    saved before patterns were checked: it is skipped rather than crash every save)."""
    line = line.strip()
    if line.startswith("re:"):
        try:
            return Banned(line, pattern=compile_pattern(line[3:].strip()))
        except ValueError:
            return None
    word = fold(line).strip()
    return Banned(line, word=word) if word else None


def compile_banned(lines: Iterable[str]) -> list[Banned]:
    """Banned words (whole words, any case, any look-alike) and ``re:`` patterns."""
    return [entry for line in lines if (entry := banned_entry(line)) is not None]


def banned_in(texts: Iterable[str], banned: Iterable[Banned]) -> list[str]:
    """The banned words and pattern matches found in ``texts``, sorted."""
    banned = list(banned)
    forms = [folded(text) for text in texts if text] if banned else []
    return sorted({hit for form in forms for entry in banned if (hit := entry.search(form))})


def banned_message(found: list[str]) -> str:
    return _("These words are not allowed by the brand: %(words)s.") % {"words": ", ".join(found)}


def banned_errors(block, value, banned: Iterable[Banned]) -> list[str]:
    found = banned_in(texts(block, value), banned)
    return [banned_message(found)] if found else []


def prep(child) -> object:
    return child.block.get_prep_value(child.value)


def check_campaign_body(template_body, campaign_body, banned: Iterable[Banned] = (), unit=None):
    """Raise ``StreamBlockValidationError`` if the campaign breaks the template's zones.

    Args:
        template_body: the template's StreamValue of :class:`ZoneBlock` values.
        campaign_body: the campaign's StreamValue of e-mail block values.
        banned: HQ's banned words, compiled (:func:`compile_banned`).
        unit: the campaign's unit: its images and products must be ones it may use
            (:mod:`wagtail_distmark.campaigns.assets`).
    """
    zones, children = list(template_body), list(campaign_body)
    shape = [(zone.id, zone.block_type) for zone in zones]
    if [(child.id, child.block_type) for child in children] != shape:
        raise blocks.StreamBlockValidationError(non_block_errors=[structure_error(zones, children)])
    banned = list(banned)
    errors = {}
    for index, (zone, child) in enumerate(zip(zones, children, strict=True)):
        messages = zone_errors(zone, child, banned, unit)
        if messages:
            errors[index] = ValidationError(messages)
    if errors:
        raise blocks.StreamBlockValidationError(block_errors=errors)


def zone_errors(zone, child, banned, unit=None) -> list[str]:
    policy = zone.value["policy"]
    content_block = zone.block.content_block
    locked = policy == ZonePolicy.LOCKED
    unchanged = prep(child) == content_block.get_prep_value(zone.value["content"])
    if locked and not unchanged:
        return [_("This zone is locked by HQ and cannot be changed.")]
    if not locked and oversized(child.block, child.value):
        limit = get_max_text_length()
        return [_("A text of this zone is longer than %(limit)d characters.") % {"limit": limit}]
    # HQ's own content is HQ's: a word banned later does not lock every campaign out.
    errors = [] if unchanged else banned_errors(child.block, child.value, banned)
    if policy == ZonePolicy.CONSTRAINED:
        errors = constraint_errors(child.block, child.value, zone.value["constraints"]) + errors
    if unit is not None:
        from wagtail_distmark.campaigns.assets import asset_errors, chosen

        hq_images = chosen(content_block, zone.value["content"], ImageChooserBlock)
        errors += asset_errors(child.block, child.value, unit, locked, hq_images)
    return errors


def structure_error(zones, children) -> str:
    zone_ids = [zone.id for zone in zones]
    child_ids = [child.id for child in children]
    if set(child_ids) - set(zone_ids):
        return _("Zones were added: a campaign keeps exactly the zones of its template.")
    if set(zone_ids) - set(child_ids):
        return _("Zones were removed: a campaign keeps exactly the zones of its template.")
    if child_ids != zone_ids:
        return _("Zones were reordered: a campaign keeps the order of its template.")
    return _("A zone's type was changed: a campaign keeps the zones of its template.")


class Part(NamedTuple):
    """One block to render; has ``.block`` and ``.value`` like a StreamValue child."""

    block_type: str
    block: blocks.Block
    value: object
    id: str


def effective_body(template_body, campaign_body) -> list[Part]:
    """What to render, in the template's order: locked zones from the live template, the
    others from the campaign (or the template's content when the campaign lacks the zone).
    """
    by_id = {child.id: child for child in campaign_body}
    result = []
    for zone in template_body:
        content_block = zone.block.content_block
        child = by_id.get(zone.id)
        if zone.value["policy"] == ZonePolicy.LOCKED or child is None:
            result.append(Part(zone.block_type, content_block, zone.value["content"], zone.id))
        else:
            result.append(Part(zone.block_type, child.block, child.value, zone.id))
    return result
