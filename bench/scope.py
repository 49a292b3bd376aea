"""Benchmark of the user's scope: ``for_user()``, ``has_perm()`` and the Network index page.

Run from the repository root (not part of the test suite)::

    .venv/bin/python bench/scope.py [--db sqlite|postgres|both] [--sizes 100,1000,10000]

For each database and tree size it bulk-creates an org tree that reaches depth 6 (head
office, regions and sub-regions, stores as leaves) and a few hundred users with memberships,
then measures for an HQ admin (depth 1), a regional manager at depth 2, another at depth 4
and a store manager (depth 6) the SQL query count and median time of:

* ``list(OrgUnit.objects.for_user(user))``;
* 1,000 ``user.has_perm("wagtail_distmark.change_orgunit", unit)`` checks;
* a GET of the Network admin index page, ``/admin/distmark/network/``.

The user object is fetched afresh before each run, so the membership query is counted. The
query counts must not depend on the size of the tree or on the depth of the membership: the
script exits with status 1 if they do.

Each database is benchmarked in its own subprocess (Django is set up once per process), on a
throwaway SQLite file or on a PostgreSQL database created, and dropped, by the script.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE_DIR = REPO_ROOT / "example_site"
SETTINGS_MODULE = "example_site.settings.test"

DEFAULT_PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DEFAULT_PG_DB = "distmark_bench"

#: treebeard's MP_Node defaults, as used by OrgUnit.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
MAX_DEPTH = 6

PERM = "wagtail_distmark.change_orgunit"
INDEX_URL = "/admin/distmark/network/"
INDEX_TARGET_MS = 100.0
TARGET_SIZE = 10_000
BACKGROUND_USERS = 300
SEED = 20261122

#: The measured users: (label, role, depth of the unit of their only membership).
SUBJECTS = (
    ("hq_admin@d1", "hq_admin", 1),
    ("regional@d2", "regional_manager", 2),
    ("regional@d4", "regional_manager", 4),
    ("unit_mgr@d6", "unit_manager", 6),
)
#: The user whose index page is held to INDEX_TARGET_MS.
TARGET_SUBJECT = "regional@d2"

CITIES = (
    ("Paris", "FR", "fr", "Europe/Paris"),
    ("Lyon", "FR", "fr", "Europe/Paris"),
    ("Montréal", "CA", "fr-CA", "America/Toronto"),
    ("Toronto", "CA", "en-CA", "America/Toronto"),
    ("London", "GB", "en-GB", "Europe/London"),
    ("Dublin", "IE", "en-IE", "Europe/Dublin"),
)


@dataclass
class Row:
    """One line of the result table."""

    db: str
    units: int
    user: str
    role: str
    depth: int
    for_user_queries: int | str
    for_user_ms: float
    rows: int
    has_perm_queries: int | str
    has_perm_ms: float
    index_queries: int | str
    index_ms: float
    index_min_ms: float
    index_cpu_ms: float


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- The tree, planned in memory --------------------------------------------------------


@dataclass
class NodeSpec:
    path: str
    kind: str
    numchild: int = 0

    @property
    def depth(self) -> int:
        return len(self.path) // STEPLEN


def step(position: int) -> str:
    """The ``position``-th (1-based) step of a materialized path: 4 base-36 digits."""
    if not 0 < position < len(ALPHABET) ** STEPLEN:
        raise ValueError(f"no {STEPLEN}-character step for position {position}")
    digits = ""
    while position:
        position, rest = divmod(position, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEPLEN, "0")


def fanout_for(size: int) -> int:
    """Sub-units per region: the regions make up about a tenth of the tree."""
    return max(2, round((size / 10) ** 0.25))


def plan_tree(size: int) -> list[NodeSpec]:
    """``size`` nodes: the head office, regions down to depth 5, stores at the leaves.

    Every depth-5 region gets at least one store, so every branch reaches depth 6; one store
    in twenty hangs directly below an upper region (a flagship), hence "depth up to 6".
    """
    fanout = fanout_for(size)
    root = NodeSpec(step(1), "headquarters")
    nodes = [root]

    def add_child(parent: NodeSpec, kind: str) -> NodeSpec:
        parent.numchild += 1
        child = NodeSpec(parent.path + step(parent.numchild), kind)
        nodes.append(child)
        return child

    levels = [[root]]
    for _depth in range(2, MAX_DEPTH):
        levels.append([add_child(p, "region") for p in levels[-1] for _ in range(fanout)])

    deepest_regions = levels[-1]
    upper_regions = [node for level in levels[1:-1] for node in level]
    stores = size - len(nodes)
    if stores < len(deepest_regions):
        minimum = len(nodes) + len(deepest_regions)
        raise ValueError(f"{size} units are too few for a depth-{MAX_DEPTH} tree ({minimum}+)")
    flagships = min(stores // 20, stores - len(deepest_regions))
    for i in range(flagships):
        add_child(upper_regions[i % len(upper_regions)], "unit")
    for i in range(stores - flagships):
        add_child(deepest_regions[i % len(deepest_regions)], "unit")
    return nodes


def shape(nodes: list[NodeSpec]) -> str:
    counts: dict[int, int] = {}
    for node in nodes:
        counts[node.depth] = counts.get(node.depth, 0) + 1
    return " ".join(f"d{depth}:{count}" for depth, count in sorted(counts.items()))


# --- Databases ---------------------------------------------------------------------------


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pg_admin(server_url: str, statement: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    query = sql.SQL(statement).format(sql.Identifier(name))
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(query)


@contextmanager
def throwaway_database(db: str, pg_url: str, pg_db: str) -> Iterator[str]:
    """Yield the DATABASE_URL of a new, empty database; delete it afterwards."""
    if db == "sqlite":
        directory = tempfile.mkdtemp(prefix="distmark-bench-")
        try:
            yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    pg_admin(pg_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", pg_db)
    pg_admin(pg_url, "CREATE DATABASE {}", pg_db)
    try:
        yield database_url(pg_url, pg_db)
    finally:
        pg_admin(pg_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", pg_db)


# --- The benchmark, inside Django ----------------------------------------------------------


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    for directory in (EXAMPLE_SITE_DIR, REPO_ROOT):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))

    import django
    from django.core.management import call_command

    django.setup()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")


@dataclass
class Measure:
    queries: int | str  # an int, or "min..max" should the count vary between runs
    median_ms: float
    min_ms: float
    result: object
    cpu_ms: float = 0.0  # median CPU time of this process (the database server's not included)


def measure(runs: int, prepare: Callable, action: Callable) -> Measure:
    """Count the queries of ``action(prepare())``, then time ``runs`` runs of it.

    ``prepare`` (fetching a fresh user object) is neither timed nor counted. One warm-up run
    comes first, then one run under ``CaptureQueriesContext`` for the count. The timed runs
    go without its debug cursor (which renders every query with its parameters, on SQLite by
    an extra ``SELECT QUOTE(?)``: 3-4 ms on a 15-query page) and count their queries with a
    bare execute wrapper, to check that the count holds.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    action(prepare())
    argument = prepare()
    with CaptureQueriesContext(connection) as captured:
        action(argument)
    counts = {len(captured.captured_queries)}

    times, cpu_times, result = [], [], None
    gc.collect()
    for _ in range(runs):
        argument = prepare()
        executed = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = action(argument)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        counts.add(len(executed))
    queries = counts.pop() if len(counts) == 1 else f"{min(counts)}..{max(counts)}"
    return Measure(
        queries,
        statistics.median(times) * 1000,
        min(times) * 1000,
        result,
        statistics.median(cpu_times) * 1000,
    )


class Bench:
    def __init__(self, db: str, runs: int, checks: int, show_queries: bool):
        self.db = db
        self.runs = runs
        self.checks = checks
        self.show_queries = show_queries

    def run(self, sizes: list[int]) -> list[Row]:
        from django.db import connection

        log(f"{self.db}: {connection.vendor} {connection.get_database_version()}")
        self.user_ids = self.create_users()
        rows = []
        for size in sizes:
            rows.extend(self.run_size(size, show_queries=self.show_queries and size == sizes[-1]))
        return rows

    # Data

    def create_users(self) -> dict[str, int]:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        user_model = get_user_model()
        password = make_password("bench-password")
        names = [label.replace("@", "_") for label, _role, _depth in SUBJECTS]
        names += [f"bench_user_{i:03d}" for i in range(BACKGROUND_USERS)]
        user_model.objects.bulk_create(
            user_model(username=name, email=f"{name}@bench.example", password=password)
            for name in names
        )
        return dict(user_model.objects.filter(username__in=names).values_list("username", "pk"))

    def build(self, size: int, rng: random.Random) -> None:
        """Replace the tree and the memberships with new ones of ``size`` units."""
        from django.db import connection, transaction

        from wagtail_distmark.models import Membership, OrgUnit

        started = time.perf_counter()
        Membership.objects.all().delete()
        OrgUnit.objects.all().delete()

        nodes = plan_tree(size)
        counters = {"headquarters": 0, "region": 0, "unit": 0}
        units = []
        for node in nodes:
            counters[node.kind] += 1
            number = counters[node.kind]
            city, country, locale, timezone = CITIES[number % len(CITIES)]
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
                    timezone=timezone,
                    phone=f"+33 1 00 {number:06d}",
                    sender_name=name,
                )
            )
        # The model's own field checks, so that SQLite (which stores a too-long value) fails
        # like PostgreSQL would; the first units cover every city.
        for unit in units[: len(CITIES) + 1]:
            unit.clean_fields()
        with transaction.atomic():
            OrgUnit.objects.bulk_create(units, batch_size=1000)
        self.verify_tree(size, check_with_treebeard=size <= 1000)

        subjects = self.subject_units()
        memberships = self.plan_memberships(subjects, rng)
        with transaction.atomic():
            Membership.objects.bulk_create(memberships, batch_size=1000)
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give
            cursor.execute("ANALYZE")
        log(
            f"{self.db}: {size} units ({shape(nodes)}), {len(memberships)} memberships, "
            f"built in {time.perf_counter() - started:.1f} s"
        )

    def verify_tree(self, size: int, check_with_treebeard: bool) -> None:
        """Paths, depths and numchild consistent; the tree reaches depth 6."""
        from wagtail_distmark.models import OrgUnit

        rows = list(OrgUnit.objects.values_list("path", "depth", "numchild"))
        children: dict[str, int] = {}
        paths = {path for path, _depth, _numchild in rows}
        for path, depth, _numchild in rows:
            assert len(path) == depth * STEPLEN and set(path) <= set(ALPHABET), path
            if depth > 1:
                parent = path[:-STEPLEN]
                assert parent in paths, f"orphan {path}"
                children[parent] = children.get(parent, 0) + 1
        for path, _depth, numchild in rows:
            assert numchild == children.get(path, 0), f"numchild of {path}"
        assert len(rows) == size, (len(rows), size)
        assert max(depth for _path, depth, _numchild in rows) == MAX_DEPTH
        if check_with_treebeard:
            assert not any(OrgUnit.find_problems()), OrgUnit.find_problems()

    def subject_units(self) -> dict[str, object]:
        from wagtail_distmark.models import OrgUnit

        units = OrgUnit.objects.order_by("path")
        region = units.filter(depth=2).first()
        return {
            "hq_admin@d1": units.get(depth=1),
            "regional@d2": region,
            "regional@d4": units.filter(depth=4, path__startswith=region.path).first(),
            "unit_mgr@d6": units.filter(depth=MAX_DEPTH).last(),
        }

    def plan_memberships(self, subjects: dict[str, object], rng: random.Random) -> list:
        """One membership per subject; one or two per background user, mostly in stores."""
        from wagtail_distmark.models import Membership, OrgUnit

        role = Membership.Role
        root = subjects["hq_admin@d1"]
        regions = list(OrgUnit.objects.filter(kind="region").values_list("pk", flat=True))
        stores = list(OrgUnit.objects.filter(kind="unit").values_list("pk", flat=True))
        grants: dict[tuple[int, int], str] = {}
        for label, subject_role, depth in SUBJECTS:
            unit = subjects[label]
            assert unit.depth == depth, (label, unit.depth)
            grants[(self.user_ids[label.replace("@", "_")], unit.pk)] = subject_role
        for i in range(BACKGROUND_USERS):
            user_id = self.user_ids[f"bench_user_{i:03d}"]
            draw = rng.random()
            if draw < 0.02:
                grants[(user_id, root.pk)] = role.HQ_ADMIN
            elif draw < 0.10:
                grants[(user_id, rng.choice(regions))] = role.REGIONAL_MANAGER
            elif draw < 0.55:
                grants[(user_id, rng.choice(stores))] = role.UNIT_MANAGER
            else:
                grants[(user_id, rng.choice(stores))] = role.UNIT_EDITOR
            if rng.random() < 0.2:
                grants.setdefault((user_id, rng.choice(stores)), role.UNIT_EDITOR)
        return [
            Membership(user_id=user_id, unit_id=unit_id, role=grant)
            for (user_id, unit_id), grant in grants.items()
        ]

    # Measurements

    def run_size(self, size: int, show_queries: bool) -> list[Row]:
        from django.contrib.auth import get_user_model
        from django.test import Client

        from wagtail_distmark.models import OrgUnit

        rng = random.Random(SEED + size)
        self.build(size, rng)
        user_model = get_user_model()

        def fresh_user(label):
            return user_model.objects.get(pk=self.user_ids[label.replace("@", "_")])

        # The index pages first, before for_user() fills the heap with 10,000 units.
        index_pages = {}
        for label, _role, _depth in SUBJECTS:
            client = Client()
            client.force_login(
                fresh_user(label), backend="django.contrib.auth.backends.ModelBackend"
            )

            def get_index(_argument, client=client, label=label):
                response = client.get(INDEX_URL)
                assert response.status_code == 200, (label, response.status_code)
                return response

            index_pages[label] = index = measure(self.runs, lambda: None, get_index)
            assert b"distmark-tree" in index.result.content, f"{label}: no unit listed"
            if show_queries and label == TARGET_SUBJECT:
                log_queries(f"{self.db}, {size} units, {label}", lambda get=get_index: get(None))

        sample = rng.choices(list(OrgUnit.objects.all()), k=self.checks)
        rows = []
        for label, role, depth in SUBJECTS:

            def for_user(user):
                return list(OrgUnit.objects.for_user(user))

            def has_perms(user):
                return sum(user.has_perm(PERM, unit) for unit in sample)

            listed = measure(self.runs, lambda label=label: fresh_user(label), for_user)
            checked = measure(self.runs, lambda label=label: fresh_user(label), has_perms)
            index = index_pages[label]
            log(
                f"{self.db}: {size} units, {label}: sees {len(listed.result)}, may change "
                f"{checked.result}/{len(sample)} sampled, index page {index.median_ms:.1f} ms"
            )
            rows.append(
                Row(
                    db=self.db,
                    units=size,
                    user=label,
                    role=role,
                    depth=depth,
                    for_user_queries=listed.queries,
                    for_user_ms=listed.median_ms,
                    rows=len(listed.result),
                    has_perm_queries=checked.queries,
                    has_perm_ms=checked.median_ms,
                    index_queries=index.queries,
                    index_ms=index.median_ms,
                    index_min_ms=index.min_ms,
                    index_cpu_ms=index.cpu_ms,
                )
            )
            del listed  # up to 10,000 units
        return rows


def timed_queries(request: Callable) -> tuple[list[tuple[str, float]], float]:
    """Run ``request()``; return its SQL queries, each with its own time, and the total time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    durations = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            durations.append(time.perf_counter() - started)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        started = time.perf_counter()
        request()
        total = time.perf_counter() - started
    return [(q["sql"], d) for q, d in zip(captured, durations, strict=True)], total


def query_lines(title: str, url: str, queries, total: float, width: int = 300) -> list[str]:
    """One line per query (its time and SQL), then the SQL share of the request."""
    lines = [f"SQL of {title}, GET {url}:"]
    for number, (sql, duration) in enumerate(queries, 1):
        sql = sql if len(sql) <= width else sql[:width] + " …"
        lines.append(f"  {number:2d}. {duration * 1000:7.2f} ms  {sql}")
    lines.append(
        f"  {len(queries)} queries, {sum(d for _, d in queries) * 1000:.1f} ms of SQL "
        f"in a {total * 1000:.1f} ms request"
    )
    return lines


def log_queries(title: str, request: Callable) -> None:
    """Log each SQL query of ``request()`` with its own time, and the SQL share of the total."""
    queries, total = timed_queries(request)
    print(
        "\n".join(query_lines(title, INDEX_URL, queries, total)) + "\n", file=sys.stderr, flush=True
    )


def run_worker(args: argparse.Namespace) -> None:
    """Benchmark one database, in this process; write the rows as JSON."""
    with throwaway_database(args.db, args.pg_url, args.pg_db) as url:
        setup_django(url)
        from django.db import connections

        try:
            bench = Bench(args.db, args.runs, args.checks, args.show_queries)
            rows = bench.run(args.sizes)
        finally:
            connections.close_all()
    Path(args.worker_output).write_text(json.dumps([asdict(row) for row in rows]))


# --- Report --------------------------------------------------------------------------------

COLUMNS = (
    ("db", "db", "{}"),
    ("units", "units", "{}"),
    ("user", "user", "{}"),
    ("for_user_queries", "for_user q", "{}"),
    ("for_user_ms", "for_user ms", "{:.2f}"),
    ("rows", "rows", "{}"),
    ("has_perm_queries", "has_perm×1000 q", "{}"),
    ("has_perm_ms", "has_perm ms", "{:.2f}"),
    ("index_queries", "index q", "{}"),
    ("index_ms", "index ms", "{:.1f}"),
    ("index_cpu_ms", "index CPU ms", "{:.1f}"),
)


def print_table(rows: list[Row]) -> None:
    cells = [[fmt.format(getattr(row, key)) for key, _title, fmt in COLUMNS] for row in rows]
    titles = [title for _key, title, _fmt in COLUMNS]
    widths = [max(len(line[i]) for line in [titles, *cells]) for i in range(len(COLUMNS))]

    def line(values: list[str]) -> str:
        return "  ".join(
            value.ljust(width) if i < 3 else value.rjust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        )

    print(line(titles))
    print("  ".join("-" * width for width in widths))
    previous = None
    for row, values in zip(rows, cells, strict=True):
        if previous is not None and (row.db, row.units) != previous:
            print()
        previous = (row.db, row.units)
        print(line(values))


def target_verdict(row: Row) -> str:
    """PASS or MISS where the target is set (PostgreSQL, TARGET_SIZE units), else "info"."""
    if (row.db, row.units) != ("postgres", TARGET_SIZE):
        return "info"
    return "PASS" if row.index_ms < INDEX_TARGET_MS else "MISS"


def signature(row: Row) -> tuple:
    return (row.for_user_queries, row.has_perm_queries, row.index_queries)


def print_summary(rows: list[Row], sizes: list[int]) -> bool:
    """Print the checks; True if every query count is independent of size and depth."""
    ok = True
    dbs = list(dict.fromkeys(row.db for row in rows))
    print(f"\nQuery counts (for_user, has_perm×1000, index page) across sizes {sizes}:")
    for db in dbs:
        for label, role, _depth in SUBJECTS:
            group = [row for row in rows if row.db == db and row.user == label]
            if not group:
                continue
            found = {signature(row) for row in group}
            if len(found) == 1:
                print(f"  {db:<9} {role:<17} {label:<12} identical {found.pop()}")
            else:
                ok = False
                details = ", ".join(f"{row.units}: {signature(row)}" for row in group)
                print(f"  {db:<9} {role:<17} {label:<12} DIFFERENT  {details}")

    print("\nQuery counts across depths (same role, different membership depth):")
    roles = [role for _label, role, _depth in SUBJECTS]
    for db in dbs:
        for role in dict.fromkeys(role for role in roles if roles.count(role) > 1):
            for size in sizes:
                group = [r for r in rows if (r.db, r.role, r.units) == (db, role, size)]
                if len(group) < 2:
                    continue
                found = {signature(row) for row in group}
                depths = ", ".join(f"d{row.depth}" for row in group)
                verdict = f"identical {found.pop()}" if len(found) == 1 else "DIFFERENT"
                ok = ok and verdict != "DIFFERENT"
                print(f"  {db:<9} {role:<17} {size:>6} units  {depths}: {verdict}")
                if verdict == "DIFFERENT":
                    for row in group:
                        print(f"      d{row.depth}: {signature(row)}")

    size = max(sizes)
    print(
        f"\nTarget: the index page of {TARGET_SUBJECT} under {INDEX_TARGET_MS:g} ms (median) on "
        f"PostgreSQL at {TARGET_SIZE} units (judged there only; elsewhere 'info'):"
    )
    for db in dbs:
        for row in rows:
            if (row.db, row.units, row.user) == (db, size, TARGET_SUBJECT):
                verdict = target_verdict(row)
                print(
                    f"  {verdict:<4}  {db:<9} {size:>6} units  median {row.index_ms:.1f} ms "
                    f"(fastest run {row.index_min_ms:.1f} ms, CPU {row.index_cpu_ms:.1f} ms)"
                )

    print(
        "\nQuery counts "
        + ("identical across sizes and depths." if ok else "DIFFER across sizes or depths.")
    )
    return ok


# --- Command line ------------------------------------------------------------------------


def bench_parser(doc: str, *, runs: int, pg_db: str, show_queries: str):
    """The options every benchmark here shares (``bench/assets.py`` too)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--sizes",
        default="100,1000,10000",
        type=lambda value: sorted(int(size) for size in value.split(",")),
        help="comma-separated numbers of org units (default: 100,1000,10000)",
    )
    parser.add_argument("--runs", type=int, default=runs, help="timed runs per measure")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server URL (env BENCH_PG_URL)"
    )
    parser.add_argument("--pg-db", default=pg_db, help="throwaway database, dropped if it exists")
    parser.add_argument("--show-queries", action="store_true", help=show_queries)
    parser.add_argument("--worker-output", help=argparse.SUPPRESS)
    return parser


def parse_checked(parser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    for size in args.sizes:
        plan_tree(size)  # fails early on a size too small for a depth-6 tree
    return args


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        __doc__, runs=20, pg_db=DEFAULT_PG_DB,
        show_queries=f"log the SQL of {TARGET_SUBJECT}'s index page at the largest size",
    )  # fmt: skip
    parser.add_argument("--checks", type=int, default=1000, help="has_perm checks per run")
    return parse_checked(parser, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker_output:
        if args.db == "both":
            raise SystemExit("a worker benchmarks one database")
        run_worker(args)
        return 0

    rows: list[Row] = []
    loads = [os.getloadavg()[0]]
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        with tempfile.TemporaryDirectory(prefix="distmark-bench-") as directory:
            output = Path(directory) / "rows.json"
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                *("--db", db, "--sizes", ",".join(map(str, args.sizes))),
                *("--runs", str(args.runs), "--checks", str(args.checks)),
                *("--pg-url", args.pg_url, "--pg-db", args.pg_db),
                *(("--show-queries",) if args.show_queries else ()),
                *("--worker-output", str(output)),
            ]
            completed = subprocess.run(command, check=False)  # noqa: S603 (our own script)
            if completed.returncode:
                print(f"{db}: the benchmark failed (exit {completed.returncode})", file=sys.stderr)
                return 2
            rows.extend(Row(**row) for row in json.loads(output.read_text()))
        loads.append(os.getloadavg()[0])

    print()
    print_table(rows)
    ok = print_summary(rows, args.sizes)
    print(
        f"Timings are wall-clock medians of {args.runs} runs; machine load average (1 min) "
        f"{' / '.join(f'{load:.1f}' for load in loads)} on {os.cpu_count()} CPUs "
        "(before / after each database)."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
