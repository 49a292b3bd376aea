"""CSV imports of products and of their availability per unit.

Good rows are imported, every bad row is reported with its line number and reason, nothing
is silently dropped, and importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from wagtail_distmark.models import OrgUnit, Product, ProductAvailability

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


def read_rows(source, required: set[str]):
    """(line number, row dict) for a CSV text or file; header problems raise ``RowError``."""
    text = source if isinstance(source, (str, bytes)) else source.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise RowError(
            _("Missing column(s): %(columns)s.") % {"columns": ", ".join(sorted(missing))}
        )
    for row in reader:
        yield reader.line_num, {key: (value or "").strip() for key, value in row.items() if key}


def parse_price(value: str, column: str) -> Decimal | None:
    if not value:
        return None
    try:
        price = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise RowError(
            _("%(column)s “%(value)s” is not a number.") % {"column": column, "value": value}
        ) from None
    if price < 0:
        raise RowError(_("%(column)s cannot be negative.") % {"column": column})
    return price.quantize(Decimal("0.01"))


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


def save(report: ImportReport, model, lookup: dict, values: dict) -> None:
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


def import_rows(source, required, handle) -> ImportReport:
    report = ImportReport()
    seen = set()
    try:
        rows = list(read_rows(source, required))
    except UnicodeDecodeError:
        report.errors.append((1, _("The file is not UTF-8 text: save it as CSV UTF-8.")))
        return report
    except (RowError, csv.Error) as error:
        report.errors.append((1, str(error)))
        return report
    for line, row in rows:
        try:
            with transaction.atomic():
                handle(report, row, seen)
        except RowError as error:
            report.errors.append((line, str(error)))
    return report


def import_products(source) -> ImportReport:
    """Columns: sku, name, price (required); description, currency, category, active."""

    def handle(report, row, seen):
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
        save(report, Product, {"sku": sku}, values)

    return import_rows(source, {"sku", "name", "price"}, handle)


def import_availability(source) -> ImportReport:
    """Columns: sku, unit_code (required); available (default yes), local_price."""

    def handle(report, row, seen):
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
        save(report, ProductAvailability, {"product": product, "unit": unit}, values)

    return import_rows(source, {"sku", "unit_code"}, handle)
