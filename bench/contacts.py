"""Benchmark of the customer base: contacts listing, audience count and import at scale.

Run from the repository root (not part of the test suite)::

    .venv/bin/python bench/contacts.py                   # PostgreSQL, 1,000,000 contacts
    .venv/bin/python bench/contacts.py --quick           # CI: SQLite, small sizes, checks only

On a throwaway database (a SQLite file, or a PostgreSQL database created and dropped by the
script) it bulk-creates the org tree of ``bench/scope.py`` (10,000 units by default), then
contacts over its stores (one home-unit link each, consents for most, a few suppressions and
erasures, tags), first ``--contacts``' smaller size, then grown to the larger one. At each size
it measures, for a store manager, a regional manager (depth-2 region) and an HQ admin:

* the contacts listing: the admin listing page through ``django.test.Client`` when the
  listing view exists, else the queryset work it does (``Contact.objects.for_user(user)`` in
  its default order, the first page of 50 and the count); the output says which;
* an audience count for a regional segment: ``audiences.recipients(audience).count()``;

and at the largest size the import of a ``--import-rows`` CSV with 5 % bad rows and its report
(``importing.run_import`` then ``importing.write_report``), in a subprocess of its own so that
its peak memory is the import's, not the data generation's.

Targets (judged on PostgreSQL at 1,000,000 contacts, 'info' elsewhere): listing under 150 ms
(median), its query count identical at every size; audience count under 300 ms; import at
least 10,000 rows/s with its report, peak memory under 300 MB. The script exits with status 1
if a check fails (a query count that grows, a count that is wrong, import counts that do not
add up), 2 if the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.scope import (  # noqa: E402 (after the path set-up)
    DEFAULT_PG_URL,
    EXAMPLE_SITE_DIR,
    MAX_DEPTH,
    SETTINGS_MODULE,
    database_url,
    log,
    measure,
    pg_admin,
    plan_tree,
    shape,
    throwaway_database,
    timed_queries,
)

DEFAULT_PG_DB = "distmark_bench_contacts"
SEED = 20261130

LISTING_TARGET_MS = 150.0
AUDIENCE_TARGET_MS = 300.0
IMPORT_TARGET_ROWS_S = 10_000.0
IMPORT_TARGET_MB = 300.0
TARGET_CONTACTS = 1_000_000
PAGE_SIZE = 50
SQL_RUNS = 3  # quick mode: 1
BAD_ROW_SHARE = 20  # one row in 20 is bad: 5 %

#: The measured users: (label, role, depth of their only membership's unit).
SUBJECTS = (
    ("store_mgr", "unit_manager", MAX_DEPTH),
    ("regional", "regional_manager", 2),
    ("hq", "hq_admin", 1),
)
#: Names the contacts listing's index view may have (the first that resolves is measured).
LISTING_URL_NAMES = (
    "distmark_contacts:index",
    "wagtail_distmark_contacts:index",
    "wagtail_distmark_contact:index",
    "contacts:index",
)

FIRST_NAMES = (
    "Anne",
    "Bruno",
    "Chloé",
    "David",
    "Émilie",
    "Farid",
    "Greta",
    "Hugo",
    "Inès",
    "Jonas",
    "Katrin",
    "Lucas",
    "Marie",
    "Nils",
    "Olga",
    "Pieter",
    "Sanne",
    "Zoë",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Müller",
    "Schmidt",
    "de Vries",
    "Jansen",
    "Lefèvre",
    "Moreau",
    "Fischer",
    "Bakker",
    "Visser",
    "Roux",
    "Weber",
)
PLACES = (  # city, country, locale, postal code prefix, phone prefix
    ("Paris", "FR", "fr", "75", "+3361"),
    ("Lyon", "FR", "fr", "69", "+3375"),
    ("Berlin", "DE", "de", "10", "+49151"),
    ("Amsterdam", "NL", "nl", "10", "+3161"),
)


def phone_number(prefix: str, rng: random.Random) -> str:
    """A valid mobile number (``phonenumbers`` agrees) with the place's prefix."""
    digits = 12 - len(prefix) if prefix.startswith("+33") or prefix.startswith("+31") else 8
    return f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"


TAGS = ("VIP", "Loyalty card", "Events", "Newsletter sign-up", "Wholesale")
COMMUNICATION_TYPES = (("Newsletter", "newsletter"), ("Promotions", "promotions"))

#: Import CSV columns and the importer's target for each (the mapping an importer chooses).
IMPORT_COLUMNS = (
    "E-mail",
    "First name",
    "Last name",
    "Phone",
    "Postal code",
    "City",
    "Country",
    "Language",
    "Birth date",
    "Store",
    "Tags",
)
IMPORT_MAPPING = {
    "E-mail": "email",
    "First name": "first_name",
    "Last name": "last_name",
    "Phone": "phone",
    "Postal code": "postal_code",
    "City": "city",
    "Country": "country",
    "Language": "locale",
    "Birth date": "birth_date",
    "Store": "unit",
    "Tags": "tags",
}
#: The contacts listing's count of the user's contacts (shown when not searching or filtering).
COUNT_IN_PAGE = re.compile(rb'data-contact-count="(\d+)"')
#: The kinds of bad rows, in turn: (what is wrong, the column at fault).
BAD_KINDS = (
    ("invalid e-mail", "E-mail"),
    ("invalid phone", "Phone"),
    ("unknown store", "Store"),
    ("unknown tag", "Tags"),
)


@dataclass
class Timing:
    """One measured action at one size."""

    db: str
    contacts: int
    what: str  # "listing" or "audience"
    user: str
    queries: int | str
    median_ms: float
    min_ms: float
    cpu_ms: float
    count: int
    expected: int
    sql_ms: float = 0.0  # median time spent in the database (SQL_RUNS runs), of median_ms
    slowest_sql_ms: float = 0.0  # its slowest query (median)


@dataclass
class ImportResult:
    db: str
    rows: int
    bad_rows: int
    seconds: float  # the import and its report
    report_seconds: float
    cpu_seconds: float
    peak_mb: float
    baseline_mb: float  # the subprocess's peak after Django's set-up, before the import
    created: int
    updated: int
    unchanged: int
    errors: int
    report_lines: int
    rerun: dict | None = None  # quick mode: the same file again


@dataclass
class Result:
    db: str
    units: int
    listing_kind: str = ""
    timings: list[Timing] = field(default_factory=list)
    imports: list[ImportResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


# --- Django ---------------------------------------------------------------------------------


def sql_share(prepare, action, runs: int) -> tuple[float, float]:
    """The median, over ``runs`` runs, of the time ``action(prepare())`` spends in its SQL
    queries and in the slowest of them (ms): the database's share of the page."""
    totals, slowest = [], []
    for _run in range(runs):
        argument = prepare()
        queries, _total = timed_queries(lambda argument=argument: action(argument))
        durations = [duration for _sql, duration in queries] or [0.0]
        totals.append(sum(durations) * 1000)
        slowest.append(max(durations) * 1000)
    return statistics.median(totals), statistics.median(slowest)


def setup_django(url: str, private_root: str, migrate: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    for directory in (EXAMPLE_SITE_DIR, REPO_ROOT):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))

    import django
    from django.core.files.storage import FileSystemStorage
    from django.core.management import call_command

    django.setup()
    from wagtail_distmark.contacts.models import ExportJob, ImportJob

    # The jobs' storage is chosen when the models load: point it at the temporary directory,
    # never at the example site's private folder.
    for model in (ImportJob, ExportJob):
        model._meta.get_field("file").storage = FileSystemStorage(location=private_root)
    if migrate:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"migrated in {time.perf_counter() - started:.1f} s")


# --- Loading rows fast ---------------------------------------------------------------------


def load_rows(model, columns: tuple[str, ...], rows) -> int:
    """Insert ``rows`` (tuples in ``columns``' order) into ``model``'s table: PostgreSQL's
    COPY, or batched ``executemany`` on SQLite. No model code runs (no save(), no signals)."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        batch = []
        for row in rows:
            batch.append(tuple(sqlite_value(value) for value in row))
            if len(batch) == 5000:
                cursor.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
    return count


def sqlite_value(value):
    from django.db import connection

    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def reset_sequence(model) -> None:
    """After explicit ids, the next one the database gives follows them (PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id by itself
    table = model._meta.db_table
    largest = f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}"  # noqa: S608 (a model's)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({largest}))", [table])


def analyse() -> None:
    """Fresh statistics and visibility map, as autovacuum gives a table after bulk inserts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- The benchmark ----------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, url: str, private_root: str):
        self.args = args
        self.db = args.db
        self.url = url
        self.private_root = private_root
        self.rng = random.Random(SEED)
        self.sql_runs = 1 if args.quick else SQL_RUNS
        self.next_id = 1
        self.now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
        # What the measured pages should count, from the generated data (not from the code).
        self.expected = {"store_mgr": 0, "regional": 0, "hq": 0, "audience": 0}

    def run(self) -> Result:
        from django.db import connection

        log(f"{self.db}: {connection.vendor} {connection.get_database_version()}")
        result = Result(self.db, self.args.units)
        self.build_network()
        result.listing_kind = "page" if self.listing_url() else "queryset"
        log(f"listing measured as: {result.listing_kind} ({self.listing_url() or 'no view'})")
        for size in self.args.contacts:
            self.grow_to(size)
            result.timings.extend(self.measure_size(size, largest=size == self.args.contacts[-1]))
        if self.args.import_rows:
            try:
                result.imports.append(self.measure_import(result))
            except Exception as error:  # reported as a failed check, the figures above kept
                log(f"{self.db}: the import failed: {error!r}")
                result.failures.append(f"import: {error!r}")
        return result

    # The network, users and set-up rows

    def build_network(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from django.db import transaction

        from wagtail_distmark.contacts.models import Audience, CommunicationType, Tag
        from wagtail_distmark.models import Membership, OrgUnit

        started = time.perf_counter()
        nodes = plan_tree(self.args.units)
        counters = {"headquarters": 0, "region": 0, "unit": 0}
        units = []
        for node in nodes:
            counters[node.kind] += 1
            number = counters[node.kind]
            city, country, locale, _postal, _phone = PLACES[number % len(PLACES)]
            name, code = {
                "headquarters": ("Head office", "HQ"),
                "region": (f"Region {number}", f"R{number:05d}"),
                "unit": (f"Store {number} {city}", f"S{number:06d}"),
            }[node.kind]
            units.append(
                OrgUnit(
                    path=node.path,
                    depth=node.depth,
                    numchild=node.numchild,
                    name=name,
                    kind=node.kind,
                    code=code,
                    city=city,
                    country=country,
                    locale=locale,
                    sender_name=name,
                )
            )
        with transaction.atomic():
            OrgUnit.objects.bulk_create(units, batch_size=1000)
        ordered = OrgUnit.objects.order_by("path")
        self.root = ordered.get(depth=1)
        self.region = ordered.filter(depth=2).first()
        self.store = ordered.filter(depth=MAX_DEPTH, path__startswith=self.region.path).last()
        #: (id, path, code, place index) of every store, contacts go round them.
        self.stores = [
            (pk, path, code, int(code[1:]) % len(PLACES))
            for pk, path, code in ordered.filter(kind=OrgUnit.Kind.UNIT).values_list(
                "pk", "path", "code"
            )
        ]

        user_model = get_user_model()
        password = make_password("bench-password")
        user_model.objects.bulk_create(
            user_model(username=label, email=f"{label}@bench.example", password=password)
            for label, _role, _depth in SUBJECTS
        )
        self.user_ids = dict(user_model.objects.values_list("username", "pk"))
        subject_units = {"store_mgr": self.store, "regional": self.region, "hq": self.root}
        Membership.objects.bulk_create(
            Membership(user_id=self.user_ids[label], unit=subject_units[label], role=role)
            for label, role, _depth in SUBJECTS
        )
        self.types = [
            CommunicationType.objects.create(name=name, slug=slug)
            for name, slug in COMMUNICATION_TYPES
        ]
        self.tags = [Tag.objects.create(name=name) for name in TAGS]
        self.audience = Audience.objects.create(
            name="Region: newsletter", unit=self.region, communication_type=self.types[0]
        )
        self.narrow_audience = Audience.objects.create(
            name="Region: VIP in Paris",
            unit=self.region,
            communication_type=self.types[0],
            base=self.audience,
            postal_prefixes=["75"],
        )
        self.narrow_audience.tags.set([self.tags[0]])
        log(
            f"{self.db}: {len(nodes)} units ({shape(nodes)}), {len(self.stores)} stores, "
            f"built in {time.perf_counter() - started:.1f} s"
        )

    # Contacts

    def grow_to(self, size: int) -> None:
        """Add contacts up to ``size`` in all, with their links, consents, tags and
        suppressions; then ANALYZE."""
        from django.db import transaction

        from wagtail_distmark.contacts.models import (
            Consent,
            Contact,
            ContactTag,
            ContactUnit,
            Suppression,
        )

        first, last = self.next_id, size
        if last < first:
            return
        started = time.perf_counter()
        people = [self.person(i) for i in range(first, last + 1)]
        with transaction.atomic():
            load_rows(
                Contact,
                (
                    "id",
                    "email",
                    "email_hash",
                    "first_name",
                    "last_name",
                    "locale",
                    "phone",
                    "birth_date",
                    "postal_code",
                    "city",
                    "country",
                    "attributes",
                    "created_at",
                    "updated_at",
                    "last_activity_at",
                    "erased_at",
                ),
                (p["contact"] for p in people),
            )
            reset_sequence(Contact)
            load_rows(
                ContactUnit,
                ("contact_id", "unit_id", "source", "since"),
                ((p["id"], p["store"][0], "import", p["contact"][12]) for p in people),
            )
            load_rows(
                Consent,
                ("contact_id", "communication_type_id", "status", "updated_at"),
                (c for p in people for c in p["consents"]),
            )
            load_rows(
                ContactTag,
                ("contact_id", "tag_id"),
                ((p["id"], tag) for p in people for tag in p["tags"]),
            )
            load_rows(
                Suppression,
                ("email_hash", "reason", "note", "created_at"),
                ((p["contact"][2], "hard_bounce", "", self.now) for p in people if p["suppressed"]),
            )
        self.next_id = last + 1
        generated = time.perf_counter() - started
        analyse()
        log(
            f"{self.db}: contacts {first:,}–{last:,} generated and loaded in {generated:.1f} s, "
            f"VACUUM ANALYZE {time.perf_counter() - started - generated:.1f} s"
        )

    def person(self, i: int) -> dict:
        """Contact number ``i``: its row, store, consents, tags, and whether it is suppressed;
        counts it in what the measured pages should show."""
        rng = self.rng
        store = self.stores[(i * 7919) % len(self.stores)]  # scattered over the stores
        city, country, locale, postal, phone = PLACES[store[3]]
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        erased = i % 1000 == 999
        email = None if erased else f"contact{i}@mail{i % 97}.example.com"
        suppressed = not erased and i % 200 == 7
        created = self.now - datetime.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        row = (
            i,
            email,
            hashlib.sha256(email.encode()).hexdigest() if email else "",
            "" if erased else first_name,
            "" if erased else last_name,
            locale,
            "" if erased else phone_number(phone, rng),
            None if erased else datetime.date(1950 + i % 55, 1 + i % 12, 1 + i % 28),
            f"{postal}{i % 1000:03d}",
            city,
            country,
            "{}",
            created,
            created,
            created + datetime.timedelta(days=rng.randrange(300)) if i % 3 else None,
            self.now if erased else None,
        )
        draw = rng.random()
        newsletter = "subscribed" if draw < 0.85 else ("unsubscribed" if draw < 0.88 else None)
        consents = []
        if newsletter and not erased:
            consents.append((i, self.types[0].pk, newsletter, created))
        if rng.random() < 0.5 and not erased:
            consents.append((i, self.types[1].pk, "subscribed", created))
        tags = [self.tags[(i // 5) % len(self.tags)].pk] if i % 5 == 0 else []

        in_region = store[1].startswith(self.region.path)
        self.expected["hq"] += not erased  # the listing hides erased contacts
        self.expected["regional"] += in_region and not erased
        self.expected["store_mgr"] += store[0] == self.store.pk and not erased
        self.expected["audience"] += (
            in_region and newsletter == "subscribed" and not erased and not suppressed
        )
        return {
            "id": i,
            "contact": row,
            "store": store,
            "consents": consents,
            "tags": tags,
            "suppressed": suppressed,
        }

    # Measures

    def listing_url(self) -> str | None:
        from django.urls import NoReverseMatch, reverse

        for name in LISTING_URL_NAMES:
            try:
                return reverse(name)
            except NoReverseMatch:
                continue
        return None

    def fresh_user(self, label: str):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(pk=self.user_ids[label])

    def measure_size(self, size: int, largest: bool) -> list[Timing]:
        timings = [self.measure_listing(size, label, largest) for label, _r, _d in SUBJECTS]
        timings.append(self.measure_audience(size, largest))
        timings.append(self.measure_audience(size, largest, narrow=True))
        return timings

    def measure_listing(self, size: int, label: str, largest: bool) -> Timing:
        from django.test import Client

        from wagtail_distmark.contacts.models import Contact

        url = self.listing_url()
        if url:
            client = Client()
            client.force_login(
                self.fresh_user(label), backend="django.contrib.auth.backends.ModelBackend"
            )

            def action(_user):
                response = client.get(url)
                assert response.status_code == 200, (label, response.status_code)
                found = COUNT_IN_PAGE.search(response.content)
                return int(found[1]) if found else -1

            prepare = lambda: None  # noqa: E731 (the page loads its own user)
        else:

            def action(user):
                contacts = Contact.objects.for_user(user).live()  # as the listing
                page = list(contacts[:PAGE_SIZE])
                assert len(page) == min(PAGE_SIZE, self.expected[label]), (label, len(page))
                return contacts.count()

            prepare = lambda: self.fresh_user(label)  # noqa: E731
        result = measure(self.args.runs, prepare, action)
        if largest and self.args.explain:
            self.explain(f"listing, {label}", lambda: action(prepare()))
        log(
            f"{self.db}, {size:,} contacts: listing {label} {result.median_ms:.1f} ms, "
            f"{result.queries} queries, counted {result.result}"
        )
        return Timing(
            self.db,
            size,
            "listing",
            label,
            result.queries,
            result.median_ms,
            result.min_ms,
            result.cpu_ms,
            result.result,
            self.expected[label],
            *sql_share(prepare, action, self.sql_runs),
        )

    def measure_audience(self, size: int, largest: bool, narrow: bool = False) -> Timing:
        from wagtail_distmark.contacts import audiences
        from wagtail_distmark.contacts.models import Audience

        pk = (self.narrow_audience if narrow else self.audience).pk

        def prepare():
            return Audience.objects.select_related("unit", "communication_type", "base__unit").get(
                pk=pk
            )

        def action(audience):
            return audiences.recipients(audience).count()

        result = measure(self.args.runs, prepare, action)
        label = "regional+tag+postal" if narrow else "regional"
        if largest and self.args.explain:
            self.explain(f"audience {label}", lambda: action(prepare()))
        log(
            f"{self.db}, {size:,} contacts: audience {label} {result.median_ms:.1f} ms, "
            f"{result.queries} queries, counted {result.result}"
        )
        expected = -1 if narrow else self.expected["audience"]
        return Timing(
            self.db,
            size,
            "audience",
            label,
            result.queries,
            result.median_ms,
            result.min_ms,
            result.cpu_ms,
            result.result,
            expected,
            *sql_share(prepare, action, self.sql_runs),
        )

    def explain(self, title: str, request) -> None:
        """Log each query of ``request()`` with its time, and EXPLAIN ANALYZE of the slow ones."""
        from django.db import connection

        queries, total = timed_queries(request)
        lines = [f"SQL of {title} ({total * 1000:.1f} ms):"]
        for number, (sql, duration) in enumerate(queries, 1):
            lines.append(f"  {number:2d}. {duration * 1000:7.2f} ms  {sql[:400]}")
            if duration > 0.005 and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    lines.extend(f"        {row[0]}" for row in cursor.fetchall())
        print("\n".join(lines) + "\n", file=sys.stderr, flush=True)

    # Import

    def write_csv(self, path: Path, rows: int, first: int) -> int:
        """``rows`` new people, one in BAD_ROW_SHARE of them bad (a kind of BAD_KINDS in
        turn); returns the number of bad rows."""
        bad = 0
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(IMPORT_COLUMNS)
            for n in range(rows):
                i = first + n
                store = self.stores[(i * 7919) % len(self.stores)]
                city, country, locale, postal, phone = PLACES[store[3]]
                row = [
                    f"import{i}@Mail{i % 89}.Example.org",
                    self.rng.choice(FIRST_NAMES),
                    self.rng.choice(LAST_NAMES),
                    phone_number(phone, self.rng),
                    f"{postal}{i % 1000:03d}",
                    city,
                    country,
                    locale,
                    f"{1950 + i % 55}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    store[2],
                    TAGS[i % len(TAGS)] if i % 4 == 0 else "",
                ]
                if n % BAD_ROW_SHARE == BAD_ROW_SHARE - 1:
                    kind = BAD_KINDS[bad % len(BAD_KINDS)][0]
                    bad += 1
                    if kind == "invalid e-mail":
                        row[0] = f"import{i}.at.nowhere"
                    elif kind == "invalid phone":
                        row[3] = "12"
                    elif kind == "unknown store":
                        row[9] = "NO-SUCH-STORE"
                    else:
                        row[10] = "No such tag"
                writer.writerow(row)
        return bad

    def measure_import(self, result: Result) -> ImportResult:
        from wagtail_distmark.contacts.models import ImportJob

        rows = self.args.import_rows
        path = Path(self.private_root) / "contact-imports" / "bench.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        bad = self.write_csv(path, rows, first=10_000_000)
        log(
            f"{self.db}: {rows:,}-row CSV ({bad:,} bad, {path.stat().st_size / 1e6:.0f} MB) "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        outcome = self.import_in_subprocess(path, ImportJob)
        imported = ImportResult(self.db, rows, bad, **outcome)
        log(
            f"{self.db}: import of {rows:,} rows in {imported.seconds:.1f} s "
            f"({rows / imported.seconds:,.0f} rows/s), peak {imported.peak_mb:.0f} MB"
        )
        good = rows - bad
        checks = {
            "created": (imported.created, good),
            "errors": (imported.errors, bad),
            "report lines": (imported.report_lines, bad),
        }
        if self.args.quick:
            imported.rerun = self.import_in_subprocess(path, ImportJob)
            checks["re-import created"] = (imported.rerun["created"], 0)
            checks["re-import updated"] = (imported.rerun["updated"], 0)
            checks["re-import unchanged"] = (imported.rerun["unchanged"], good)
        for name, (found, wanted) in checks.items():
            if found != wanted:
                result.failures.append(f"import: {name} {found}, expected {wanted}")
        return imported

    def import_in_subprocess(self, path: Path, job_model) -> dict:
        """Run the import and its report in a fresh process; its counts, time and memory."""
        from django.db import connections

        from wagtail_distmark.contacts import importing

        # Each job its own copy: a finished import deletes its upload (the retention rule).
        copy = path.with_name(f"{path.stem}-{job_model.objects.count() + 1}{path.suffix}")
        shutil.copyfile(path, copy)
        job = job_model.objects.create(
            unit=self.root,
            created_by_id=self.user_ids["hq"],
            file=f"contact-imports/{copy.name}",
            original_name=path.name,
            mapping=IMPORT_MAPPING,
            communication_type=self.types[0],
            consent_evidence="Bench: signed up in store (paper form)",
        )
        importing.sniff(job)  # the upload step: format, encoding and delimiter on the job
        connections.close_all()  # the subprocess gets the database to itself
        with tempfile.TemporaryDirectory(prefix="distmark-bench-import-") as directory:
            output = Path(directory) / "import.json"
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--import-job",
                str(job.pk),
                "--database-url",
                self.url,
                "--private-root",
                self.private_root,
                "--worker-output",
                str(output),
            ]
            completed = subprocess.run(command, check=False)  # noqa: S603 (our own script)
            if completed.returncode:
                raise RuntimeError(f"the import subprocess failed (exit {completed.returncode})")
            return json.loads(output.read_text())


def peak_memory_mb() -> float:
    """This process's peak resident memory. Linux's ``VmHWM`` starts afresh at ``exec``;
    ``ru_maxrss`` would carry the parent's peak at ``fork`` (the data generation's)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import_worker(args: argparse.Namespace) -> None:
    """In its own process: import one job and write its report; counts, times, memory."""
    setup_django(args.database_url, args.private_root, migrate=False)
    from wagtail_distmark.contacts import importing
    from wagtail_distmark.contacts.models import ImportJob

    baseline = peak_memory_mb()
    started, cpu = time.perf_counter(), time.process_time()
    importing.run_import(args.import_job)
    job = ImportJob.objects.get(pk=args.import_job)
    reported = time.perf_counter()
    report = Path(args.worker_output).with_suffix(".report")
    with report.open("w", encoding="utf-8", newline="") as out:
        importing.write_report(job, out)
    finished = time.perf_counter()
    reasons: Counter = Counter()
    with report.open(encoding="utf-8") as lines:
        for _line, column, reason in islice(csv.reader(lines), 1, None):  # after its header
            reasons[f"{column}: {reason[:60]}"] += 1
    report_lines = sum(reasons.values())
    for reason, count in reasons.most_common(8):
        log(f"import report: {count:,} × {reason}")
    outcome = {
        "seconds": finished - started,
        "report_seconds": finished - reported,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mb": peak_memory_mb(),
        "baseline_mb": baseline,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
        "report_lines": report_lines,
    }
    Path(args.worker_output).write_text(json.dumps(outcome))


@contextmanager
def kept_database(args: argparse.Namespace) -> Iterator[str]:
    """``--keep``: a new PostgreSQL database left in place at the end (for EXPLAIN by hand);
    the next run drops it."""
    if args.db != "postgres":
        raise SystemExit("--keep is for PostgreSQL")
    pg_admin(args.pg_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", args.pg_db)
    pg_admin(args.pg_url, "CREATE DATABASE {}", args.pg_db)
    yield database_url(args.pg_url, args.pg_db)


def run_worker(args: argparse.Namespace) -> None:
    """Benchmark one database, in this process; write the result as JSON."""
    with (
        (
            kept_database(args)
            if args.keep
            else throwaway_database(args.db, args.pg_url, args.pg_db)
        ) as url,
        tempfile.TemporaryDirectory(prefix="distmark-bench-private-") as private_root,
    ):
        setup_django(url, private_root, migrate=True)
        from django.db import connections

        try:
            result = Bench(args, url, private_root).run()
        finally:
            connections.close_all()
    Path(args.worker_output).write_text(json.dumps(asdict(result)))


# --- Report ---------------------------------------------------------------------------------


def verdict(judged: bool, ok: bool) -> str:
    return ("PASS" if ok else "MISS") if judged else "info"


def print_report(result: Result, args: argparse.Namespace) -> bool:
    """Print the figures and the targets; True if every check holds."""
    failures = list(result.failures)
    judged = result.db == "postgres"
    kind = {"page": "GET of the admin listing page", "queryset": "its queryset work"}
    print(
        f"\n{result.db}, {result.units:,} units. Contacts listing measured as "
        f"{kind[result.listing_kind]}; medians of {args.runs} runs. CPU: this process's\n"
        f"(Python's share); SQL: time in the database and in its slowest query (median of "
        f"{1 if args.quick else SQL_RUNS} more runs)."
    )
    print(
        f"{'contacts':>10}  {'measure':<8} {'user':<20} {'queries':>7} {'median ms':>9} "
        f"{'fastest':>8} {'CPU ms':>7} {'SQL ms':>7} {'slowest q':>9} {'count':>9}"
    )
    for t in result.timings:
        print(
            f"{t.contacts:>10,}  {t.what:<8} {t.user:<20} {t.queries!s:>7} {t.median_ms:>9.1f} "
            f"{t.min_ms:>8.1f} {t.cpu_ms:>7.1f} {t.sql_ms:>7.1f} {t.slowest_sql_ms:>9.1f} "
            f"{t.count:>9,}"
        )
        if t.expected >= 0 and t.count != t.expected:
            failures.append(
                f"{t.what} {t.user} at {t.contacts:,}: counted {t.count:,}, expected {t.expected:,}"
            )

    print("\nQuery counts across sizes:")
    for what, user in dict.fromkeys((t.what, t.user) for t in result.timings):
        counts = {t.contacts: t.queries for t in result.timings if (t.what, t.user) == (what, user)}
        same = len(set(map(str, counts.values()))) == 1 and isinstance(
            next(iter(counts.values())), int
        )
        print(f"  {what:<8} {user:<20} {'identical' if same else 'DIFFERENT'} {counts}")
        if not same:
            failures.append(f"{what} {user}: query counts {counts}")

    largest = max(t.contacts for t in result.timings)
    at_target = judged and largest >= TARGET_CONTACTS
    print(f"\nTargets (judged on PostgreSQL at {TARGET_CONTACTS:,} contacts; 'info' elsewhere):")
    for t in result.timings:
        if t.contacts != largest:
            continue
        target = LISTING_TARGET_MS if t.what == "listing" else AUDIENCE_TARGET_MS
        judged_here = at_target and (t.what == "listing" or t.user == "regional")
        print(
            f"  {verdict(judged_here, t.median_ms < target)}  {t.what:<8} {t.user:<20} "
            f"median {t.median_ms:7.1f} ms (target < {target:g}; SQL {t.sql_ms:.1f}, "
            f"CPU {t.cpu_ms:.1f} ms, {t.queries} queries) at {t.contacts:,} contacts"
        )
    for imp in result.imports:
        rate = imp.rows / imp.seconds
        judged_here = judged and imp.rows >= TARGET_CONTACTS
        print(
            f"  {verdict(judged_here, rate >= IMPORT_TARGET_ROWS_S)}  import   {imp.rows:,} rows "
            f"({imp.bad_rows:,} bad): {rate:,.0f} rows/s with its report ({imp.seconds:.1f} s, "
            f"report {imp.report_seconds:.1f} s, CPU {imp.cpu_seconds:.1f} s; target "
            f">= {IMPORT_TARGET_ROWS_S:,.0f})"
        )
        print(
            f"  {verdict(judged_here, imp.peak_mb < IMPORT_TARGET_MB)}  import   peak memory "
            f"{imp.peak_mb:.0f} MB (the process after Django's set-up: {imp.baseline_mb:.0f} "
            f"MB; target < {IMPORT_TARGET_MB:g})"
        )
        print(
            f"        created {imp.created:,}, updated {imp.updated:,}, unchanged "
            f"{imp.unchanged:,}, errors {imp.errors:,}, report rows {imp.report_lines:,}"
        )
        if imp.rerun:
            print(
                f"        same file again: created {imp.rerun['created']:,}, updated "
                f"{imp.rerun['updated']:,}, unchanged {imp.rerun['unchanged']:,}, errors "
                f"{imp.rerun['errors']:,}"
            )
    print()
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    print("Checks: " + ("all hold." if not failures else f"{len(failures)} FAILED."))
    return not failures


# --- Command line ---------------------------------------------------------------------------


def sizes(value: str) -> list[int]:
    return sorted(int(size) for size in value.split(","))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI: SQLite, 200 units, 1,000 and 5,000 contacts, a 2,000-row "
        "import (and again, unchanged), 2 runs; checks only",
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument(
        "--contacts",
        type=sizes,
        default=[10_000, 1_000_000],
        help="comma-separated numbers of contacts, measured in turn",
    )
    parser.add_argument("--import-rows", type=int, default=1_000_000, help="0: no import")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per measure")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server URL (env BENCH_PG_URL)")
    parser.add_argument("--pg-db", default=DEFAULT_PG_DB, help="throwaway, dropped if it exists")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="at the largest size, log the SQL of each measure with its time, "
        "and EXPLAIN ANALYZE of the queries over 5 ms (PostgreSQL)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the PostgreSQL database in place at the end (EXPLAIN by "
        "hand; the next run drops it)",
    )
    parser.add_argument("--worker-output", help=argparse.SUPPRESS)
    parser.add_argument("--import-job", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--private-root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.db, args.units, args.contacts = "sqlite", 200, [1_000, 5_000]
        args.import_rows, args.runs = 2_000, 2
    plan_tree(args.units)  # fails early on a tree too small for depth 6
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.import_job:
        run_import_worker(args)
        return 0
    if args.worker_output:
        run_worker(args)
        return 0

    loads = [os.getloadavg()[0]]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="distmark-bench-") as directory:
        output = Path(directory) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            *(argv or sys.argv[1:]),
            "--worker-output",
            str(output),
        ]
        completed = subprocess.run(command, check=False)  # noqa: S603 (our own script)
        if completed.returncode:
            print(f"{args.db}: the benchmark failed (exit {completed.returncode})", file=sys.stderr)
            return 2
        result = Result(**json.loads(output.read_text()))
    result.timings = [Timing(**t) for t in result.timings]
    result.imports = [ImportResult(**i) for i in result.imports]
    loads.append(os.getloadavg()[0])
    ok = print_report(result, args)
    print(
        f"Machine load average (1 min) {loads[0]:.1f} before, {loads[1]:.1f} after, on "
        f"{os.cpu_count()} CPUs; {time.perf_counter() - started:.0f} s in all."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
