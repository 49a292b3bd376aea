"""Server-side enforcement of a brand template's zones on a local campaign's body.

A campaign body holds the template's zones, same ids, same types, same order. Whatever the
POST body says, :func:`check_campaign_body` refuses any addition, removal or reordering of
zones, any change to a locked zone and any broken constraint. Each message is put where the
editor shows it: on the field at fault (a nested block error, the field named in the message:
a screen reader hears it alone), or on the zone for what concerns the zone as a whole.
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
from wagtail.blocks.base import get_error_json_data
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Collection
from wagtail.rich_text import RichText

from wagtail_distmark.blocks.email import html_to_text
from wagtail_distmark.blocks.zones import ZoneLimits
from wagtail_distmark.campaigns.leaves import Path, leaves, list_lengths, located_leaves
from wagtail_distmark.conf import get_max_text_length
from wagtail_distmark.text import Folded, fold, folded, is_blank, is_one_of, visible_length


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


def primary_text(block, value) -> str | None:
    field = getattr(block, "primary_text_field", None)
    if field is None:
        return as_text(value)
    return value[field]


Problems = dict  # Path -> list of messages


def add_problem(problems: Problems, path: Path, message: str) -> None:
    problems.setdefault(path, []).append(message)


def field_label(block, path: Path) -> str:
    """The label of the field at ``path`` (``Left › Heading``, ``Links › 2 › Link``)."""
    parts = []
    for key in path:
        if isinstance(block, blocks.ListBlock):
            block = block.child_block
            parts.append(str(key + 1))
        else:
            block = block.child_blocks[key]
            parts.append(str(block.label))
    return " › ".join(parts) or str(block.label)


def on_field(block, path: Path, message: str) -> str:
    """``message`` naming its field, for a screen reader that hears it alone."""
    return _("%(field)s: %(message)s") % {"field": field_label(block, path), "message": message}


def constraint_problems(block, value, limits: ZoneLimits) -> Problems:
    """Messages for every limit of a constrained zone that ``value`` breaks, by field."""
    problems = {}
    limit = limits.max_chars
    for path, _leaf, leaf in located_leaves(block, value):
        text = as_text(leaf)
        if text is None:
            continue
        if limits.required and is_blank(text):
            message = _("Every text of this zone must be filled in.")
            add_problem(problems, path, on_field(block, path, message))
        if limit and visible_length(text) > limit:
            message = _("%(field)s: at most %(limit)d characters (you wrote %(count)d).") % {
                "field": field_label(block, path), "limit": limit, "count": visible_length(text)
            }  # fmt: skip
            add_problem(problems, path, message)
    choice_problems(problems, block, value, limits.choices)
    number_problems(problems, block, value, limits.min_value, limits.max_value)
    image_problems(problems, block, value, limits.collection)
    item_problems(problems, block, value, limits.min_items, limits.max_items)
    return problems


def choice_problems(problems: Problems, block, value, choices: tuple[str, ...]) -> None:
    allowed = list(choices)
    if allowed and not is_one_of(primary_text(block, value) or "", allowed):
        field = getattr(block, "primary_text_field", None)
        path = (field,) if field else ()
        message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}
        add_problem(problems, path, on_field(block, path, message))


NUMBER_BLOCKS = (blocks.IntegerBlock, blocks.DecimalBlock, blocks.FloatBlock)


def outside(number, low, high) -> bool:
    return (low is not None and number < low) or (high is not None and number > high)


def number_problems(problems: Problems, block, value, low, high) -> None:
    for path, child, leaf in located_leaves(block, value):
        if (
            isinstance(child, NUMBER_BLOCKS)
            and leaf is not None
            and outside(Decimal(leaf), low, high)
        ):
            message = _("This number must be between %(low)s and %(high)s (it is %(value)s).") % {
                "low": low if low is not None else "…", "high": high if high is not None else "…",
                "value": Decimal(leaf),
            }  # fmt: skip
            add_problem(problems, path, on_field(block, path, message))


def image_problems(problems: Problems, block, value, collection_id) -> None:
    if not collection_id:
        return
    collection = Collection.objects.filter(pk=collection_id).first()
    allowed = (
        collection.get_descendants(inclusive=True) if collection else Collection.objects.none()
    )
    allowed_ids = set(allowed.values_list("pk", flat=True))
    name = collection.name if collection else "?"
    message = _("Images of this zone must come from the “%(name)s” collection.") % {"name": name}
    for path, child, image in located_leaves(block, value):
        if (
            isinstance(child, ImageChooserBlock)
            and image
            and image.collection_id not in allowed_ids
        ):
            add_problem(problems, path, on_field(block, path, message))


def item_problems(problems: Problems, block, value, low, high) -> None:
    for path, count in list_lengths(block, value):
        if (low is not None and count < low) or (high is not None and count > high):
            message = _(
                "This zone needs between %(low)s and %(high)s items (it has %(count)d)."
            ) % {"low": low if low is not None else 0, "high": high if high is not None else "…",
                 "count": count}  # fmt: skip
            add_problem(problems, path, on_field(block, path, message))
            return


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


def banned_problems(block, value, banned: Iterable[Banned]) -> Problems:
    """The banned words of each text of a zone, on the field that holds them."""
    problems = {}
    banned = list(banned)
    for path, _leaf, leaf in located_leaves(block, value) if banned else ():
        found = banned_in([text] if (text := as_text(leaf)) else [], banned)
        if found:
            add_problem(problems, path, on_field(block, path, banned_message(found)))
    return problems


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
        problems = zone_problems(zone, child, banned, unit)
        if problems:
            errors[index] = block_error(child.block, problems)
    if errors:
        raise blocks.StreamBlockValidationError(block_errors=errors)


def zone_problems(zone, child, banned, unit=None) -> Problems:
    """A zone's messages by field (``()``: the zone as a whole)."""
    hq = zone.value  # a ZoneValue: the template's zone
    locked, unchanged = hq.is_locked, hq.unchanged_in(child)
    if locked and not unchanged:
        return {(): [_("This zone is locked by HQ and cannot be changed.")]}
    if not locked and oversized(child.block, child.value):
        limit = get_max_text_length()
        return {
            (): [_("A text of this zone is longer than %(limit)d characters.") % {"limit": limit}]
        }
    problems = {}
    if hq.is_constrained:
        problems = constraint_problems(child.block, child.value, hq.limits)
    # HQ's own content is HQ's: a word banned later does not lock every campaign out.
    for path, messages in (
        {} if unchanged else banned_problems(child.block, child.value, banned)
    ).items():
        problems.setdefault(path, []).extend(messages)
    if unit is not None:
        # Imported when called: assets reaches Wagtail's admin views (library.files, compat),
        # which need the app registry ready, and this module loads with the models.
        from wagtail_distmark.campaigns.assets import asset_errors, chosen

        hq_images = chosen(zone.block.content_block, hq.content, ImageChooserBlock)
        for message in asset_errors(child.block, child.value, unit, locked, hq_images):
            add_problem(problems, (), message)
    return problems


def block_error(block, problems: Problems) -> ValidationError:
    """A zone's messages as Wagtail's nested block errors, each on the field it concerns
    (Wagtail's editor shows them there, and marks that input invalid)."""
    own = problems.get((), [])
    nested = {}
    for path, messages in problems.items():
        if path:
            nested.setdefault(path[0], {})[path[1:]] = messages
    if not nested:
        return ValidationError(own)
    if isinstance(block, blocks.ListBlock):
        children = {key: block_error(block.child_block, sub) for key, sub in nested.items()}
        return blocks.ListBlockValidationError(block_errors=children, non_block_errors=own)
    children = {key: block_error(block.child_blocks[key], sub) for key, sub in nested.items()}
    return blocks.StructBlockValidationError(block_errors=children, non_block_errors=own)


def error_messages(error) -> list[str]:
    """Every message of a (nested) block error, the zone's own first."""
    return list(json_messages(get_error_json_data(error)))


def json_messages(data) -> Iterator[str]:
    yield from data.get("messages", [])
    for child in data.get("blockErrors", {}).values():
        yield from json_messages(child)


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
        if zone.value.is_locked or child is None:
            result.append(Part(zone.block_type, content_block, zone.value.content, zone.id))
        else:
            result.append(Part(zone.block_type, child.block, child.value, zone.id))
    return result
