"""CSV imports of products and of their availability per unit.

Every row is checked first (each value through its model field's validation); then the good
rows are written in one transaction and every bad row is reported with its line number,
column and reason. Nothing is silently dropped, and importing the same file again changes
nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from wagtail_distmark.catalogue.models import Product, ProductAvailability
from wagtail_distmark.org.models import OrgUnit

TRUE = {"1", "true", "yes", "y", "oui"}
FALSE = {"0", "false", "no", "n", "non"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class RowError(ValueError):
    """A row that cannot be imported, with the reason to report."""


#: The delimiters a spreadsheet may save a CSV with (Excel uses ";" where "," is a decimal
#: separator, e.g. in France).
DELIMITERS = ",;\t"


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252 (Excel's "CSV" on Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def sniff_delimiter(header: str) -> str:
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_rows(source, required: set[str]):
    """(line number, row dict) for a CSV text or file; header problems raise ``RowError``."""
    text = source if isinstance(source, (str, bytes)) else source.read()
    if isinstance(text, bytes):
        text = decode(text)
    header = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=sniff_delimiter(header))
    found = [name.strip() for name in reader.fieldnames or [] if name]
    missing = required - set(found)
    if missing:
        raise RowError(
            _("Missing column(s): %(columns)s. The first line has: %(found)s.")
            % {"columns": ", ".join(sorted(missing)),
               "found": ", ".join(f"“{name}”" for name in found) or _("nothing")}
        )  # fmt: skip
    for row in reader:
        yield (
            reader.line_num,
            {
                key.strip(): (value or "").strip()
                for key, value in row.items()
                if isinstance(key, str)
            },
        )


def parse_price(value: str, column: str) -> Decimal | None:
    if not value:
        return None
    try:
        price = Decimal(value.replace(",", "."))
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite():  # NaN and Infinity parse as Decimals
        raise RowError(
            _("%(column)s “%(value)s” is not a number.") % {"column": column, "value": value}
        )
    if price < 0:
        raise RowError(_("%(column)s cannot be negative.") % {"column": column})
    try:
        return price.quantize(Decimal("0.01"))
    except InvalidOperation:  # beyond Decimal's precision, e.g. 1e309
        raise RowError(
            _("%(column)s “%(value)s” is too large.") % {"column": column, "value": value}
        ) from None


def parse_bool(value: str, column: str, default: bool) -> bool:
    if not value:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise RowError(
        _("%(column)s must be yes or no, not “%(value)s”.") % {"column": column, "value": value}
    )


def refuse_control_characters(row: dict) -> None:
    for column, value in row.items():
        if "\x00" in value:
            raise RowError(_("%(column)s contains a NUL character.") % {"column": column})


def checked(model, lookup: dict, values: dict):
    """The row as a model instance, through the model's field validation (lengths, digits),
    so that the database never refuses a row half-way through the import."""
    instance = model(**lookup, **values)
    exclude = [f.name for f in model._meta.fields if f.name not in {**lookup, **values}]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        column, messages = next(iter(error.message_dict.items()))
        raise RowError(
            _("%(column)s: %(reason)s") % {"column": column, "reason": " ".join(messages)}
        ) from error
    return instance


@dataclass
class Planned:
    """A validated row, waiting to be written."""

    model: type
    lookup: dict
    values: dict


def save(report: ImportReport, planned: Planned) -> None:
    model, lookup, values = planned.model, planned.lookup, planned.values
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        model.objects.create(**lookup, **values)
        report.created += 1
    elif any(getattr(obj, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
        report.updated += 1
    else:
        report.unchanged += 1


def import_rows(source, required, plan) -> ImportReport:
    """Check every row first, then write all the good rows in one transaction.

    A bad row is reported (line, column, reason) and skipped; if the database still refuses a
    good row, nothing is written and the report says why.
    """
    report = ImportReport()
    try:
        rows = list(read_rows(source, required))
    except UnicodeDecodeError:
        report.errors.append((1, _("The file is not text: save it as CSV UTF-8.")))
        return report
    except (RowError, csv.Error) as error:
        report.errors.append((1, str(error)))
        return report
    planned, seen = [], set()
    for line, row in rows:
        try:
            refuse_control_characters(row)
            planned.append(plan(row, seen))
        except RowError as error:
            report.errors.append((line, str(error)))
    write(report, planned)
    return report


def write(report: ImportReport, planned: list[Planned]) -> None:
    try:
        with transaction.atomic():
            for item in planned:
                save(report, item)
    except DatabaseError as error:
        report.created = report.updated = report.unchanged = 0
        message = _("Nothing was imported: the database refused it (%(reason)s).")
        report.errors.append((1, message % {"reason": error}))  # the whole file


def import_products(source) -> ImportReport:
    """Columns: sku, name, price (required); description, currency, category, active."""

    def plan(row, seen) -> Planned:
        sku, name = row.get("sku", ""), row.get("name", "")
        if not sku or not name:
            raise RowError(_("sku and name are required."))
        if sku in seen:
            raise RowError(_("SKU %(sku)s appears twice in this file.") % {"sku": sku})
        seen.add(sku)
        price = parse_price(row.get("price", ""), "price")
        if price is None:
            raise RowError(_("price is required."))
        currency = (row.get("currency") or "EUR").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise RowError(_("currency must be a 3-letter code such as EUR."))
        values = {
            "name": name, "price": price, "currency": currency,
            "description": row.get("description", ""), "category": row.get("category", ""),
            "active": parse_bool(row.get("active", ""), "active", default=True),
        }  # fmt: skip
        checked(Product, {"sku": sku}, values)
        return Planned(Product, {"sku": sku}, values)

    return import_rows(source, {"sku", "name", "price"}, plan)


def import_availability(source) -> ImportReport:
    """Columns: sku, unit_code (required); available (default yes), local_price."""

    def plan(row, seen) -> Planned:
        key = (row.get("sku", ""), row.get("unit_code", ""))
        if key in seen:
            raise RowError(_("This product and unit appear twice in this file."))
        seen.add(key)
        product = Product.objects.filter(sku=key[0]).first()
        if product is None:
            raise RowError(_("No product has the SKU “%(sku)s”.") % {"sku": key[0]})
        unit = OrgUnit.objects.filter(code=key[1]).first()
        if unit is None:
            raise RowError(_("No unit has the code “%(code)s”.") % {"code": key[1]})
        values = {
            "available": parse_bool(row.get("available", ""), "available", default=True),
            "local_price": parse_price(row.get("local_price", ""), "local_price"),
        }
        lookup = {"product": product, "unit": unit}
        checked(ProductAvailability, lookup, values)
        return Planned(ProductAvailability, lookup, values)

    return import_rows(source, {"sku", "unit_code"}, plan)
