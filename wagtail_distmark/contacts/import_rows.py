"""Reading and checking one row of a contact import: its values, bounded and normalised, or
its errors (column and reason) — no query per row: units, tags and attributes are read once
per import into a :class:`Context`. ``importing`` plans and writes the checked rows."""

from __future__ import annotations

import contextlib
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.contacts.models import (
    Contact,
    ContactAttribute,
    ImportJob,
)
from wagtail_distmark.contacts.normalise import email_hash, normalise_email, normalise_phone
from wagtail_distmark.contacts.spreadsheet import plain
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.contacts import can_import_for_unit
from wagtail_distmark.rules.scope import get_scope

UNIT, CONSENT, TAGS, EMAIL = "unit", "consent", "tags", "email"
MAX_CELL_LENGTH = 1000
MAX_TEXT_ATTRIBUTE_LENGTH = 255
YES = {"yes", "y", "true", "1", "oui", "o", "ja", "j", "x", "subscribed"}
NO = {"no", "n", "false", "0", "non", "nee", "nein", "unsubscribed"}
TAG_SEPARATORS = re.compile(r"[;|,]")
#: NUL and the other C0 controls but tab and line breaks have no meaning in a contact
#: (PostgreSQL refuses NUL). A quoted line break is kept, as written; headers never take a
#: value with one (``campaigns.rendering.one_line``, DESIGN invariant 8).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_REASON = _("This cell holds a control character (such as NUL).")
#: Plain ASCII addresses (a subset of what ``normalise_email`` accepts, normalised the same).
PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MAX_EMAIL_LENGTH = 254
EARLIEST_DATE = datetime.date(1900, 1, 1)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")


# --- Checking rows --------------------------------------------------------------------------


@dataclass
class Row:
    """A good row, ready to be written."""

    line: int
    email: str
    hash: str
    unit: OrgUnit
    values: dict
    attributes: dict
    tag_ids: frozenset
    subscribe: bool


@dataclass
class Context:
    """What every row is checked against, loaded once per run (no per-row query)."""

    job: ImportJob
    headers: list[str]
    columns: list[tuple[int, str, str]]
    units: dict
    tags: dict
    attributes: dict
    countries: frozenset
    prefixes: list | None
    home_mode: bool
    seen: set = field(default_factory=set)

    def __post_init__(self):
        self.subscribes_by_default = all(target != CONSENT for _i, _h, target in self.columns)


def importable_units(user) -> dict[str, OrgUnit]:
    """The units the user may import into, by lower-cased code (one query)."""
    units = OrgUnit.objects.filter(get_scope(user).q("path")).only("pk", "code", "path", "country")
    return {u.code.casefold(): u for u in units if u.code and can_import_for_unit(user, u)}


def visible_prefixes(user) -> list[str] | None:
    """The user's scope as path prefixes; ``None`` when they see every contact."""
    scope = get_scope(user)
    return None if scope.is_superuser else scope.prefixes()


def check_row(ctx: Context, line: int, cells: list[str]):
    """A :class:`Row`, or the row's errors as ``[(column, reason)]``."""
    errors = []
    if len(cells) > len(ctx.headers) and any(c.strip() for c in cells[len(ctx.headers) :]):
        errors.append(("", _("This row has more cells than the file has columns.")))
    raw = {target: (header, plain(cells[i].strip()) if i < len(cells) else "")
           for i, header, target in ctx.columns}  # fmt: skip
    for header, text in raw.values():
        if len(text) > MAX_CELL_LENGTH:
            errors.append((header, too_long(MAX_CELL_LENGTH)))
        elif CONTROL_CHARACTERS.search(text):
            errors.append((header, CONTROL_REASON))
    if errors:
        return errors
    return read_row(ctx, line, raw)


def read_row(ctx: Context, line: int, raw: dict):
    errors, values, attributes = [], {}, {}
    email, digest = read_email(ctx, raw, errors)
    unit = read_unit(ctx, raw, errors)
    country = read_value(raw, "country", lambda t: read_country(ctx, t), errors, values)
    region = country or (unit.country if unit else "")
    for target, (header, text) in raw.items():
        if not text or target in (EMAIL, UNIT, CONSENT, TAGS, "country"):
            continue
        try:
            if target in ctx.attributes:
                attributes[target] = read_attribute(ctx.attributes[target], text)
            else:
                values[target] = read_field(target, text, region)
        except ValidationError as error:
            errors.append((header, error.messages[0]))
    tag_ids = read_tags(ctx, raw, errors)
    subscribe = read_consent(ctx, raw, errors)
    if errors:
        return errors
    return Row(line, email, digest, unit, values, attributes, tag_ids, subscribe)


def read_value(raw, target, reader, errors, values):
    header, text = raw.get(target, ("", ""))
    if not text:
        return ""
    try:
        values[target] = reader(text)
    except ValidationError as error:
        errors.append((header, error.messages[0]))
        return ""
    return values[target]


def fast_email(text: str) -> str:
    """``normalise_email(text)``: plain ASCII addresses take a shortcut giving the same result
    (the pattern accepts a subset of what Django's validator does), others the full path."""
    if len(text) <= MAX_EMAIL_LENGTH and PLAIN_EMAIL.fullmatch(text):
        local, _at, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    return normalise_email(text)


def read_email(ctx: Context, raw: dict, errors: list):
    header, text = raw[EMAIL]
    if not text:
        errors.append((header, _("An e-mail address is required.")))
        return "", ""
    try:
        email = fast_email(text)
    except ValidationError as error:
        errors.append((header, error.messages[0]))
        return "", ""
    digest = email_hash(email)
    key = int(digest[:16], 16)
    if key in ctx.seen:
        errors.append((header, _("This address is already on an earlier line of the file.")))
    ctx.seen.add(key)
    return email, digest


def read_unit(ctx: Context, raw: dict, errors: list):
    header, text = raw.get(UNIT, ("", ""))
    if not text:
        return ctx.job.unit
    unit = ctx.units.get(text.casefold())
    if unit is None:  # unknown or out of scope: one message, so other units stay unknown
        errors.append((header, _("This is not the code of a unit you may import into.")))
    return unit


def read_country(ctx: Context, text: str) -> str:
    code = text.upper()
    if code not in ctx.countries:
        raise ValidationError(_("Use a two-letter country code (ISO 3166), e.g. FR."))
    return code


def read_field(target: str, text: str, region: str):
    if target == "phone":
        return normalise_phone(text, region)
    if target == "birth_date":
        return read_date(text, past=True)
    limit = FIELD_LIMITS.get(target)
    if limit and len(text) > limit:
        raise ValidationError(too_long(limit))
    return text


FIELD_NAMES = frozenset(f.name for f in Contact._meta.concrete_fields)
FIELD_LIMITS = {
    f.name: f.max_length for f in Contact._meta.concrete_fields if getattr(f, "max_length", None)
}


def too_long(limit: int) -> str:
    return str(_("This value is too long: at most %(max)d characters.") % {"max": limit})


def read_date(text: str, past: bool = False) -> datetime.date:
    """ISO dates (2026-11-30), or day first (30/11/2026, 30.11.2026, 30-11-2026)."""
    if len(text) == 10 and text[4] == "-":  # the common case, without strptime's cost
        with contextlib.suppress(ValueError):
            return check_past(datetime.date.fromisoformat(text), past)
    for pattern in DATE_FORMATS:
        try:
            value = datetime.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
        if len(text) <= 10 or text[10:11] in ("T", " "):
            return check_past(value, past)
    raise ValidationError(_("Enter a date as YYYY-MM-DD or DD/MM/YYYY."))


def check_past(value: datetime.date, past: bool) -> datetime.date:
    if past and not (EARLIEST_DATE <= value <= datetime.date.today()):
        raise ValidationError(_("This date is not a possible birth date."))
    return value


def read_attribute(kind: str, text: str):
    if kind == ContactAttribute.Kind.NUMBER:
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation as error:
            raise ValidationError(_("Enter a number.")) from error
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == ContactAttribute.Kind.DATE:
        return read_date(text).isoformat()
    if kind == ContactAttribute.Kind.BOOLEAN:
        return read_yes_no(text)
    if len(text) > MAX_TEXT_ATTRIBUTE_LENGTH:
        raise ValidationError(too_long(MAX_TEXT_ATTRIBUTE_LENGTH))
    return text


def read_yes_no(text: str) -> bool:
    word = text.casefold()
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValidationError(_("Enter yes or no."))


def read_tags(ctx: Context, raw: dict, errors: list) -> frozenset:
    header, text = raw.get(TAGS, ("", ""))
    ids = set()
    for name in filter(None, (part.strip() for part in TAG_SEPARATORS.split(text))):
        tag_id = ctx.tags.get(name.casefold())
        if tag_id is None:
            message = _("Unknown tag “%(tag)s”: HQ declares the tags.") % {"tag": name[:50]}
            errors.append((header, str(message)))
            break
        ids.add(tag_id)
    return frozenset(ids)


def read_consent(ctx: Context, raw: dict, errors: list) -> bool:
    if ctx.job.communication_type_id is None:
        return False
    header, text = raw.get(CONSENT, ("", ""))
    if ctx.subscribes_by_default:
        return True
    try:
        return read_yes_no(text) if text else False
    except ValidationError as error:
        errors.append((header, error.messages[0]))
        return False
