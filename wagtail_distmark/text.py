"""What a reader sees: the one normalisation every user text is judged by (DESIGN invariant 8).

* :func:`visible` — the text without invisible characters (Unicode's Default_Ignorable_Code_Point
  set and control characters other than tab and line breaks), NFC-composed. Limits, "required"
  and allowed values are judged on it: a zero-width space is not a character a reader sees, a
  text made only of invisible characters is empty.
* :func:`fold` — the form banned words are matched on: :func:`visible`, NFKC (fullwidth and
  styled letters become plain ones), case-folded, and look-alike letters of other scripts folded
  to the letter they imitate, with the confusables data of Unicode TS #39 (from the
  ``confusable-homoglyphs`` package). ASCII characters are never remapped, so a banned word or
  an HQ pattern written in plain letters means what it says; accented Latin letters stay
  themselves (``ö`` is not folded), Latin look-alikes of ASCII letters fold (``ı``, ``ɑ``).
* :func:`check_length` — bounds a text before any pattern runs.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.conf import get_max_text_length

#: Unicode's Default_Ignorable_Code_Point property, as ranges of code points. Copied from
#: DerivedCoreProperties.txt (unchanged from Unicode 13 to 16; ``tests/test_text.py`` checks
#: the characters a dodge uses). Python's ``unicodedata`` does not expose this property.
DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
#: Control characters a reader never sees (tab, line feed and carriage return are kept).
CONTROLS = (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))


@lru_cache(maxsize=1)
def invisible_table() -> dict[int, None]:
    """A ``str.translate`` table deleting every invisible character."""
    table = dict.fromkeys(CONTROLS)
    for first, last in DEFAULT_IGNORABLE:
        table.update(dict.fromkeys(range(first, last + 1)))
    return table


def visible(text: str | None) -> str:
    """The text as a reader sees it: invisible characters removed, NFC-composed."""
    return unicodedata.normalize("NFC", (text or "").translate(invisible_table()))


def visible_length(text: str | None) -> int:
    """How many characters a reader sees (what every character limit counts)."""
    return len(visible(text))


def is_blank(text: str | None) -> bool:
    """True for a text made only of spaces and invisible characters."""
    return not visible(text).strip()


def prototype(char: str, entries: list[dict], data: dict) -> str | None:
    """The letter ``char`` imitates, per the confusables data, or None for a prototype."""
    if len(entries) != 1:
        return None  # the prototype of several look-alikes
    target = entries[0]["c"]
    if len(target) > 1 or len(data.get(target, ())) > 1:
        return target
    return min(char, target)  # two characters confused with each other only: fold to one


def folds_to(char: str, target: str | None) -> bool:
    """Whether ``char`` should fold to ``target``: letters of other scripts and symbols always,
    Latin letters only to plain ASCII (``ı`` to ``i``, but ``ö`` stays ``ö``)."""
    if not target or target == char or char.isascii():
        return False
    return not unicodedata.name(char, "").startswith("LATIN") or target.isascii()


@lru_cache(maxsize=1)
def look_alike_table() -> dict[int, str]:
    """A ``str.translate`` table folding each non-ASCII look-alike to its prototype."""
    from confusable_homoglyphs.confusables import confusables_data as data  # 1 MB: on first use

    table = {}
    for char, entries in data.items():
        if len(char) != 1:
            continue
        target = (prototype(char, entries, data) or "").translate(invisible_table())
        if folds_to(char, target):
            table[ord(char)] = target
    return table


@lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char).casefold().translate(look_alike_table()).casefold()


class Folded(NamedTuple):
    """A folded text that remembers where each of its characters came from."""

    #: The folded form, searched for banned words.
    text: str
    #: The text as a reader sees it (:func:`visible`).
    shown: str
    #: For each character of ``text``, the index of the character of ``shown`` it came from.
    origins: tuple[int, ...]

    def original(self, start: int, end: int) -> str:
        """The part of ``shown`` that ``text[start:end]`` came from (as the reader sees it)."""
        return self.shown[self.origins[start] : self.origins[end - 1] + 1]


def folded(text: str | None) -> Folded:
    """:func:`fold`, character by character, keeping where each folded character came from."""
    shown = visible(text)
    parts, origins = [], []
    for index, char in enumerate(shown):
        part = fold_char(char)
        parts.append(part)
        origins.extend([index] * len(part))
    return Folded("".join(parts), shown, tuple(origins))


def fold(text: str | None) -> str:
    """The form banned words are compared on (see the module's docstring)."""
    return folded(text).text


def check_length(text: str | None, limit: int | None = None) -> None:
    """Raise ``ValidationError`` if ``text`` is longer than ``limit`` (default: the
    ``WAGTAIL_DISTMARK_MAX_TEXT_LENGTH`` setting). Call it before any pattern runs."""
    limit = limit or get_max_text_length()
    if text and len(text) > limit:
        raise ValidationError(
            _("This text is too long: %(count)d characters, at most %(limit)d."),
            code="too_long",
            params={"count": len(text), "limit": limit},
        )


def is_one_of(value: str, allowed: list[str]) -> bool:
    """``value`` is exactly one of ``allowed``, as composed characters (NFC): a no-break or
    invisible character makes it another value, a decomposed accent does not."""
    canonical = {unicodedata.normalize("NFC", choice) for choice in allowed}
    return unicodedata.normalize("NFC", value or "") in canonical
