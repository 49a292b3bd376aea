"""The one normalisation user texts are judged by (wagtail_distmark.text). No database."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError

from wagtail_distmark.text import (
    DEFAULT_IGNORABLE,
    check_length,
    fold,
    folded,
    is_blank,
    is_one_of,
    visible,
    visible_length,
)

#: Characters a reader does not see, from every kind the Unicode property lists.
INVISIBLE = [
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u061c",  # Arabic letter mark
    "\u115f",  # Hangul choseong filler
    "\u180e",  # Mongolian vowel separator
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u2060",  # word joiner
    "\u2064",  # invisible plus
    "\u3164",  # Hangul filler
    "\ufe0f",  # variation selector 16
    "\ufeff",  # byte-order mark
    "\U000e0041",  # tag latin capital A
    "\U000e0100",  # variation selector 17
    "\x00",  # NUL (a control character)
]


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_characters_are_removed(char):
    assert visible(f"gra{char}tuit") == "gratuit"
    assert visible_length(f"ab{char}") == 2
    assert is_blank(char * 3)


def test_the_table_covers_the_whole_default_ignorable_property():
    # Every listed range is either format (Cf), a mark, a filler letter or unassigned.
    for first, last in DEFAULT_IGNORABLE:
        for code in (first, last):
            assert unicodedata.category(chr(code)) in {"Cf", "Mn", "Lo", "Cn"}, hex(code)
    assert sum(last - first + 1 for first, last in DEFAULT_IGNORABLE) == 4174


def test_visible_text_keeps_what_a_reader_sees():
    assert visible("Line one\nLine two\tend") == "Line one\nLine two\tend"
    assert visible("cafe\u0301") == "café"  # composed: one character
    assert visible_length("cafe\u0301") == 4
    assert visible_length("❤️") == 1  # the variation selector is not a character
    assert not is_blank("\u00a0x")
    assert is_blank("\u00a0 \u2003\u200b")  # no-break and em spaces, zero-width space


@pytest.mark.parametrize(
    "dodge",
    [
        "GRATUIT",
        "Gratuit",
        "ｇｒａｔｕｉｔ",  # fullwidth
        "𝐠𝐫𝐚𝐭𝐮𝐢𝐭",  # mathematical bold
        "grаtuit",  # Cyrillic а
        "gratuіt",  # Cyrillic і
        "grαtuit",  # Greek alpha
        "gra\u00adtuit",
        "g\u200br\u200ca\u200dt\u2060u\ufeffi\ufe0ft",
    ],
)
def test_dodges_fold_to_the_plain_word(dodge):
    assert fold(dodge) == "gratuit"


def test_accented_latin_letters_stay_themselves():
    assert fold("Größe café naïve Łódź") == "grösse café naïve łódź"
    assert fold("ɑ ı") == "a i"  # Latin look-alikes of ASCII letters do fold


def test_ascii_is_never_remapped():
    assert fold("c0upon") == "c0upon"
    assert fold("modern") == "modern"  # "rn" is not folded into "m", nor "m" into "rn"


def test_a_folded_text_points_back_to_what_the_reader_sees():
    form = folded("Tout est ＧＲＡＴ\u200bＵＩＴ !")
    start = form.text.index("gratuit")
    assert form.original(start, start + 7) == "ＧＲＡＴＵＩＴ"


def test_an_allowed_value_is_exact():
    allowed = ["Shop now", "Réserver"]
    assert is_one_of("Shop now", allowed)
    assert is_one_of("Re\u0301server", allowed)  # a decomposed accent is the same text
    assert not is_one_of("Shop now\u00a0", allowed)
    assert not is_one_of("Shop\u00a0now", allowed)
    assert not is_one_of("Shop now\u200b", allowed)


def test_length_is_bounded_before_parsing(settings):
    settings.WAGTAIL_DISTMARK_MAX_TEXT_LENGTH = 10
    check_length("a" * 10)
    with pytest.raises(ValidationError, match="at most 10"):
        check_length("a" * 11)
    check_length("a" * 50, limit=50)
