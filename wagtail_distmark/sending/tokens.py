"""Compact signed tokens of the links in a sent e-mail (unsubscribe, view online, open, click).

A token names one delivery (so one contact of one send) and, for a click, one link of that
e-mail; it is signed with the site's ``SECRET_KEY`` (HMAC, salted per purpose), so it cannot
be forged, nor turned into another contact's or another purpose's token.
"""

from __future__ import annotations

from django.core import signing

from wagtail_distmark.ids import parse_id

#: Purposes, each with its own salt: a click token is no unsubscribe token.
UNSUBSCRIBE, VIEW, OPEN, CLICK = "u", "v", "o", "c"
PURPOSES = (UNSUBSCRIBE, VIEW, OPEN, CLICK)
#: No token is longer (checked before any signature is computed).
MAX_LENGTH = 80


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def encode(number: int) -> str:
    """A positive integer in base 62 (short links)."""
    digits = ""
    while True:
        number, digit = divmod(number, 62)
        digits = ALPHABET[digit] + digits
        if not number:
            return digits


def decode(text: str) -> int:
    """The integer of a base-62 text (raises ValueError if it is not one, or not an id)."""
    if not text or len(text) > 11 or any(char not in ALPHABET for char in text):
        raise ValueError(text)
    number = 0
    for char in text:
        number = number * 62 + ALPHABET.index(char)
    if parse_id(number) is None:
        raise ValueError(text)
    return number


class BadToken(Exception):
    """The token is malformed, forged, or for another purpose."""


def signer(purpose: str) -> signing.Signer:
    return signing.Signer(salt=f"wagtail_distmark.sending.{purpose}", algorithm="sha256")


def make(purpose: str, delivery_id: int, link: int | None = None) -> str:
    """The token of ``delivery_id`` (and link number ``link`` for a click)."""
    value = encode(delivery_id) if link is None else f"{encode(delivery_id)}-{link}"
    return signer(purpose).sign(value)


def read(purpose: str, token: str) -> tuple[int, int | None]:
    """The delivery id (and link number) of a token.

    Raises:
        BadToken: if it is not a valid token of ``purpose``.
    """
    if not isinstance(token, str) or not 0 < len(token) <= MAX_LENGTH:
        raise BadToken
    try:
        value = signer(purpose).unsign(token)
    except signing.BadSignature as error:
        raise BadToken from error
    delivery, _sep, link = value.partition("-")
    try:
        if link and not (link.isascii() and link.isdigit() and len(link) <= 5):
            raise ValueError(link)
        return decode(delivery), (int(link) if link else None)
    except ValueError as error:
        raise BadToken from error
