"""Bulk SQL for the contact import: a constant number of short statements per chunk.

On PostgreSQL each read and write of a chunk is one statement with one array parameter per
column (``= ANY(%s)``, ``INSERT … SELECT FROM unnest(…)``, ``UPDATE … FROM unnest(…)``): the
driver binds a few arrays at once, where a multi-row ``VALUES`` or an ``IN`` list with tens of
thousands of parameters costs more to bind than to run. Elsewhere (SQLite: tests, the demo)
Django's ``bulk_create``, ``bulk_update`` and ``__in`` do the same work. Only model metadata is
ever formatted into the SQL; every value is a parameter.
"""

from __future__ import annotations

import json

from django.db import connection


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def any_of(queryset, name: str, values: list):
    """``queryset.filter(<name>__in=values)``, as ``= ANY(%s)`` on PostgreSQL."""
    if not values:
        return queryset.none()
    if not on_postgresql():
        return queryset.filter(**{f"{name}__in": values})
    meta = queryset.model._meta
    column = f"{quote(meta.db_table)}.{quote(meta.get_field(name).column)}"
    return queryset.extra(where=[f"{column} = ANY(%s)"], params=[list(values)])  # noqa: S610


def insert_rows(model, rows: list[dict], *, returning: str = "", ignore_conflicts=False) -> dict:
    """Insert ``rows`` (``{attname: value}``; other columns take their field's default).
    With ``returning`` (a unique attname), returns ``{that value: new primary key}``.

    On PostgreSQL with psycopg 3, rows that may not conflict go through ``COPY`` (their keys
    drawn from the table's sequence first), the fastest way in; ``ignore_conflicts`` rows
    through ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING``."""
    if not rows:
        return {}
    if not on_postgresql():
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects, ignore_conflicts=ignore_conflicts)
        return {getattr(obj, returning): obj.pk for obj in objects} if returning else {}
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    values = [column([row.get(f.attname, defaults[f.attname]) for row in rows], f) for f in fields]
    with connection.cursor() as cursor:
        if not ignore_conflicts and hasattr(cursor.cursor, "copy"):
            return copy_rows(cursor, model, fields, values, returning)
        return insert_unnest(cursor, model, fields, values, returning, ignore_conflicts)


def copy_rows(cursor, model, fields, values: list[list], returning: str) -> dict:
    meta = model._meta
    names = [quote(f.column) for f in fields]
    if returning:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(values[0])],
        )
        values = [[pk for (pk,) in cursor.fetchall()], *values]
        names.insert(0, quote(meta.pk.column))
    statement = f"COPY {quote(meta.db_table)} ({', '.join(names)}) FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)
    if not returning:
        return {}
    keys = values[1 + [f.attname for f in fields].index(returning)]
    return dict(zip(keys, values[0], strict=True))


def insert_unnest(cursor, model, fields, values, returning: str, ignore_conflicts) -> dict:
    meta = model._meta
    names = ", ".join(quote(f.column) for f in fields)
    insert = f"INSERT INTO {quote(meta.db_table)} ({names}) "  # noqa: S608
    sql = f"{insert}SELECT * FROM unnest({arrays(fields)})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {quote(meta.get_field(returning).column)}, {quote(meta.pk.column)}"
    cursor.execute(sql, values)
    return dict(cursor.fetchall()) if returning else {}


def update_rows(model, objects: list, names: list[str]) -> None:
    """``bulk_update(objects, names)``; on PostgreSQL one ``UPDATE … FROM unnest(…)``."""
    if not on_postgresql():
        model.objects.bulk_update(objects, names)
        return
    meta = model._meta
    fields = [meta.pk, *(meta.get_field(name) for name in names)]
    table, aliases = quote(meta.db_table), ", ".join(f"c{i}" for i in range(len(fields)))
    assignments = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(fields) if i)
    update = f"UPDATE {table} SET {assignments} "  # noqa: S608
    pk = quote(meta.pk.column)
    sql = f"{update}FROM unnest({arrays(fields)}) AS v({aliases}) WHERE {table}.{pk} = v.c0"
    values = [column([getattr(obj, f.attname) for obj in objects], f) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def arrays(fields) -> str:
    return ", ".join(f"%s::{array_type(f)}" for f in fields)


def array_type(field) -> str:
    """JSON travels as text (``json.dumps``) and is cast on the server."""
    if field.get_internal_type() == "JSONField":
        return "text[]::jsonb[]"
    return f"{field.db_type(connection)}[]"


def column(values: list, field) -> list:
    """A column's values as the driver takes them. What the import sets is already text,
    numbers, dates or aware datetimes, so only JSON is converted (``get_db_prep_save`` per
    value would cost more than the insert itself)."""
    if field.get_internal_type() == "JSONField":
        return [None if value is None else json.dumps(value) for value in values]
    return values
