"""Ids, numbers and search terms a client sends (a URL, a query string, a form), parsed
without a 500.

A crafted value ("²", "abc", "%00", "1e309", "[1]", "99999999999999999999") is not an id:
the callers treat it as an unknown one (a 404, an ignored filter) and never let it reach the
database, where "²" raises ValueError (``int("²")`` fails though ``"²".isdigit()``) and a
number past 64 bits raises OverflowError on SQLite (PostgreSQL compares it as numeric, or
fails on a bigint parameter).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import IntegerField

#: The largest bigint on PostgreSQL, and the largest integer SQLite stores.
MAX_ID = 2**63 - 1


def parse_number(value, minimum: int = 0) -> int | None:
    """``value`` as a whole number in ``minimum..MAX_ID`` written in ASCII digits, or None."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if minimum <= number <= MAX_ID else None


def parse_id(value) -> int | None:
    """``value`` as a database id (``1..MAX_ID``), or None: an unknown id."""
    return parse_number(value, minimum=1)


def parse_pk(model, value):
    """``value`` as a primary key of ``model``, or None: integer keys must be ids, other
    keys (a UUID, a slug) are what their field's ``to_python`` accepts."""
    field = model._meta.pk
    while field.is_relation:  # a key that is a one-to-one link (multi-table inheritance)
        field = field.target_field
    if isinstance(field, IntegerField):
        return parse_id(value)
    try:
        return field.to_python(value)
    except ValidationError:
        return None


def valid_pks(model, values) -> list:
    """The ``values`` that are keys of ``model``; the others are dropped, as unknown ids."""
    return [pk for value in values if (pk := parse_pk(model, value)) is not None]


def clean_search(text: str) -> str:
    """A search term the search backends accept: SQLite's full-text index fails on NUL."""
    return text.replace("\x00", "")
