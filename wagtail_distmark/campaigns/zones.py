"""Server-side enforcement of a brand template's zones on a local campaign's body.

A campaign body holds the template's zones, same ids, same types, same order. Whatever the
POST body says, :func:`check_campaign_body` refuses any addition, removal or reordering of
zones, any change to a locked zone and any broken constraint, with one message per zone.
:func:`effective_body` is what gets rendered: locked zones always come from the live
template, so an HQ fix reaches every campaign not yet sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText

from wagtail_distmark.blocks.zones import ZonePolicy


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
    if isinstance(value, RichText):
        return strip_tags(value.source)
    return value if isinstance(value, str) else None


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
    if constraints["required"] and any(not text.strip() for text in all_texts):
        errors.append(_("Every text of this zone must be filled in."))
    limit = constraints["max_chars"]
    if limit and any(len(text) > limit for text in all_texts):
        longest = max(len(text) for text in all_texts)
        errors.append(
            _("Texts of this zone are limited to %(limit)d characters (one has %(count)d).")
            % {"limit": limit, "count": longest}
        )
    allowed = [line.strip() for line in (constraints["choices"] or "").splitlines() if line.strip()]
    if allowed and (primary_text(block, value) or "").strip() not in allowed:
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


def banned_errors(block, value, patterns: Iterable[re.Pattern]) -> list[str]:
    found = sorted(
        {m.group(0) for text in texts(block, value) for p in patterns if (m := p.search(text))}
    )
    if not found:
        return []
    return [_("These words are not allowed by the brand: %(words)s.") % {"words": ", ".join(found)}]


def compile_banned(lines: Iterable[str]) -> list[re.Pattern]:
    """Banned words (whole words, any case) and ``re:`` patterns from HQ's list."""
    patterns = []
    for line in lines:
        line = line.strip()
        if line.startswith("re:"):
            patterns.append(re.compile(line[3:].strip(), re.IGNORECASE))
        elif line:
            patterns.append(re.compile(rf"\b{re.escape(line)}\b", re.IGNORECASE))
    return patterns


def prep(child) -> object:
    return child.block.get_prep_value(child.value)


def check_campaign_body(template_body, campaign_body, banned: Iterable[re.Pattern] = (), unit=None):
    """Raise ``StreamBlockValidationError`` if the campaign breaks the template's zones.

    Args:
        template_body: the template's StreamValue of :class:`ZoneBlock` values.
        campaign_body: the campaign's StreamValue of e-mail block values.
        banned: compiled banned-word patterns (:func:`compile_banned`).
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
    if locked:
        template_value = content_block.get_prep_value(zone.value["content"])
        if prep(child) != template_value:
            return [_("This zone is locked by HQ and cannot be changed.")]
        errors = []
    else:
        errors = banned_errors(child.block, child.value, banned)
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
