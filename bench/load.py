"""Load test: N franchisees replaying their day on the admin, against a real server.

Run from the repository root (not part of the test suite)::

    .venv/bin/python bench/load.py                 # 30 franchisees, 60 s, gunicorn (3 workers)
    .venv/bin/python bench/load.py --quick         # 3 franchisees, a few seconds, runserver
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load.py

The script builds a throwaway database (a SQLite file, or a PostgreSQL database created and
dropped on the server ``DATABASE_URL`` names), migrates it, generates a network (a head office,
regions, one store per franchisee, each store manager with a draft campaign and two images),
starts the example site with its production settings on 127.0.0.1, and runs locust headless
for a bounded time: each simulated franchisee logs in once, then replays their day (dashboard,
campaign list, campaign editor, preview, save, image chooser, Network index) with a short
pause between steps. It prints each step's count, failures, median, p95 and requests per
second, the load average, and judges the targets.

Exit status: 0 if the run met its checks (quick mode: no failure and every step answered at
least once; full mode: also the issue's targets, p95 under 300 ms with no error), 1 if not,
2 if the set-up or the server failed.

This same file is the locustfile: locust imports it (``__name__`` is then not ``__main__``)
and finds the :class:`Franchisee` user class below.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE_DIR = REPO_ROOT / "example_site"
BIN = Path(sys.executable).parent

TARGET_P95_MS = 300.0
TARGET_USERS = 30
PASSWORD = "franchisee-day"  # noqa: S105 (throwaway accounts of a throwaway database)
DEFAULT_PG_DB = "distmark_bench_load"
EDIT_URL = "/admin/snippets/wagtail_distmark/localcampaign/edit/{pk}/"
PREVIEW_URL = "/admin/snippets/wagtail_distmark/localcampaign/preview/{pk}/"
#: Every step of a franchisee's day, by the name locust reports it under.
STEPS = (
    "dashboard", "campaign list", "campaign edit", "preview (post)", "preview",
    "save", "image chooser", "network index",
)  # fmt: skip


# -- the simulated franchisee (read by locust) -----------------------------------------------

if __name__ != "__main__":
    from locust import HttpUser, between, task

    _accounts = itertools.cycle(json.loads(Path(os.environ["BENCH_ACCOUNTS"]).read_text()))
    _logged_in = itertools.count(1)

    class Franchisee(HttpUser):
        """A store manager: logs in once, then goes through the day's pages in turn."""

        wait_time = between(0.5, 1.5)

        def on_start(self):
            self.account = next(_accounts)
            self.client.get("/admin/login/", name="login")
            self.post(
                "/admin/login/", "login", {"username": self.account["username"],
                                            "password": PASSWORD, "next": "/admin/"},
                expect=302,
            )  # fmt: skip
            if next(_logged_in) == int(os.environ["BENCH_USERS"]):
                # The day is measured from here: logging in (a password hash of ~0.3 s of
                # CPU each) is not part of it, and 30 at once would saturate the server.
                self.environment.runner.stats.reset_all()

        def post(self, url, name, data, expect=200):
            data = {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
            headers = {"Referer": self.host + url}
            with self.client.post(
                url, data=data, name=name, headers=headers, allow_redirects=False,
                catch_response=True,
            ) as response:  # fmt: skip
                if response.status_code != expect:
                    response.failure(f"{name}: {response.status_code}, expected {expect}")

        def page(self, url, name):
            with self.client.get(url, name=name, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{name}: {response.status_code}")

        @task
        def day(self):
            account, pk = self.account, self.account["campaign"]
            self.page("/admin/", "dashboard")
            self.page("/admin/snippets/wagtail_distmark/localcampaign/", "campaign list")
            self.page(EDIT_URL.format(pk=pk), "campaign edit")
            self.post(PREVIEW_URL.format(pk=pk), "preview (post)", account["form"])
            self.page(PREVIEW_URL.format(pk=pk), "preview")
            self.post(EDIT_URL.format(pk=pk), "save", account["form"], expect=302)
            self.page("/admin/images/chooser/", "image chooser")
            self.page("/admin/distmark/network/", "network index")


# -- set-up: database, network, accounts (run in a subprocess with Django set up) ------------


def flatten(prefix, value) -> dict:
    """A block value as the admin's StreamField widgets post it (``zone_<id>-<field>``)."""
    if isinstance(value, dict):
        return {
            key: item
            for name, child in value.items()
            for key, item in flatten(f"{prefix}-{name}", child).items()
        }
    if value is None or value is False:
        return {prefix: ""} if value is None else {}
    return {prefix: "on" if value is True else str(value)}


def edit_form(campaign) -> dict:
    """What the campaign editor posts: name, subject, preheader and each unlocked zone."""
    policies = {zone.id: zone.value["policy"] for zone in campaign.template.body}
    data = {"name": campaign.name, "subject": campaign.subject, "preheader": campaign.preheader}
    for child in campaign.body.raw_data:
        if policies.get(child["id"]) != "locked":
            data.update(flatten(f"zone_{child['id']}", child["value"]))
    return data


def build(users: int, accounts_path: Path) -> None:
    """Migrate and fill the database Django is set up with; write the accounts file."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from wagtail.models import Workflow, WorkflowContentType, WorkflowTask
    from wagtail_factories import ImageFactory

    from wagtail_distmark.blocks import zone_data as zone
    from wagtail_distmark.campaigns.copying import save_new_draft
    from wagtail_distmark.models import BrandTemplate, LocalCampaign, Membership, OrgUnit
    from wagtail_distmark.workflows.models import OrgApprovalTask

    call_command("migrate", verbosity=0, interactive=False)
    hq = OrgUnit.add_root(instance=OrgUnit(name="Head office", code="HQ", kind="headquarters"))
    regions = [
        hq.add_child(instance=OrgUnit(name=f"Region {r}", code=f"R{r}", kind="region"))
        for r in range(max(1, users // 10))
    ]
    hero = ImageFactory(title="Hero")
    template = BrandTemplate(
        name="Autumn promotion", subject="Autumn at {{ unit.name }}", preheader="New candles",
        body=[
            zone("hero", "hero", {"image": hero.pk, "alt": "Candles", "heading": "Autumn is here",
                                  "text": "Come and see {{ unit.name }}."}),
            zone("offer", "offer", {"title": "Your offer", "discount": 10, "text": "",
                                    "valid_until": None},
                 "constrained", min_value="5", max_value="20"),
            zone("legal", "legal_footer", {"text": "Maison Lumière SAS, Paris",
                                           "unsubscribe_label": "Unsubscribe"}, "locked"),
        ],
        live=True,
    )  # fmt: skip
    template.save()
    workflow = Workflow.objects.create(name="Local campaign approval")
    task = OrgApprovalTask.objects.create(name="Store manager approval", approver="unit_manager")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowContentType.objects.create(
        workflow=workflow, content_type=ContentType.objects.get_for_model(LocalCampaign)
    )
    password = make_password(PASSWORD)  # hashed once: the accounts share it
    accounts = []
    for i in range(users):
        region = OrgUnit.objects.get(pk=regions[i % len(regions)].pk)
        store = region.add_child(
            instance=OrgUnit(name=f"Store {i:03}", code=f"S{i:03}", kind="unit", city="Lyon")
        )
        user = get_user_model().objects.create(username=f"franchisee{i:03}", password=password)
        Membership.objects.create(user=user, unit=store, role=Membership.Role.UNIT_MANAGER)
        store.refresh_from_db()
        for n in range(2):
            ImageFactory(title=f"Store {i:03} photo {n}", collection=store.collection)
        campaign = LocalCampaign(
            unit=store, template=template, name=f"Autumn at store {i:03}",
            subject=template.subject, preheader=template.preheader,
            body=template.campaign_body_data(), created_by=user, live=False,
        )  # fmt: skip
        save_new_draft(campaign, user)
        accounts.append(
            {"username": user.username, "campaign": campaign.pk, "form": edit_form(campaign)}
        )
    accounts_path.write_text(json.dumps(accounts))


# -- orchestration ---------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[load] {message}", flush=True)


def free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pg_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        connection.execute(statement)


def settings_module(tmp: Path) -> str:
    """The example site's production settings, with media in the temporary directory, server
    errors logged with their traceback (to the server's log), and, on SQLite, write
    transactions that wait for each other (``BEGIN IMMEDIATE``) instead of failing with
    "database is locked" when two franchisees save at once."""
    (tmp / "bench_load_settings.py").write_text(
        "from example_site.settings.production import *  # noqa: F403\n"
        f"MEDIA_ROOT = {str(tmp / 'media')!r}\n"
        "if DATABASES['default']['ENGINE'].endswith('sqlite3'):  # noqa: F405\n"
        "    DATABASES['default']['OPTIONS'] = {'transaction_mode': 'IMMEDIATE', 'timeout': 30}\n"
        "LOGGING = {'version': 1, 'disable_existing_loggers': False,\n"
        "           'handlers': {'stderr': {'class': 'logging.StreamHandler'}},\n"
        "           'loggers': {'django.request': {'handlers': ['stderr'], 'level': 'ERROR'}}}\n"
    )
    return "bench_load_settings"


def environment(args, tmp: Path, database_url: str) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp), str(EXAMPLE_SITE_DIR), str(REPO_ROOT)]),
        "DJANGO_SETTINGS_MODULE": settings_module(tmp),
        "DJANGO_SECRET_KEY": "bench-load-only",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CONN_MAX_AGE": str(args.conn_max_age),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "",
        "BENCH_ACCOUNTS": str(tmp / "accounts.json"),
        "BENCH_USERS": str(args.users),
    }


def start_server(args, env: dict, port: int) -> subprocess.Popen:
    if args.quick:
        command = [str(BIN / "python"), "manage.py", "runserver", f"127.0.0.1:{port}",
                   "--noreload"]  # fmt: skip
    else:
        command = [str(BIN / "gunicorn"), "example_site.wsgi", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(args.workers), "--access-logfile", "-"]  # fmt: skip
    log(" ".join(command))
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        command, cwd=EXAMPLE_SITE_DIR, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=open(env["BENCH_SERVER_LOG"], "w"),  # noqa: SIM115
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped (see {env['BENCH_SERVER_LOG']})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def login_allowance(args) -> int:
    """Seconds the franchisees get to log in before the day's figures start (see
    ``Franchisee.on_start``): spawning, then about a second of server CPU each."""
    return int(args.users / args.spawn_rate) + args.users + 10


def run_locust(args, env: dict, port: int, tmp: Path) -> list[dict]:
    """Run locust headless; its final statistics, one entry per (method, step)."""
    command = [
        str(BIN / "locust"), "-f", str(Path(__file__).resolve()), "--headless",
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
        "--run-time", f"{args.duration + login_allowance(args)}s", "--stop-timeout", "10",
        "--host", f"http://127.0.0.1:{port}", "--json-file", str(tmp / "stats"),
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    log(f"locust, {args.users} users, {args.duration} s after logging in, 127.0.0.1:{port}")
    subprocess.run(  # noqa: S603 (our own command line)
        command, env=env, check=False, timeout=args.duration + 120,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return json.loads((tmp / "stats.json").read_text())


class Figures(NamedTuple):
    requests: int
    failures: int
    median: float
    p95: float
    max: float
    per_second: float


def percentile(times: dict[int, int], share: float) -> float:
    """Nearest-rank percentile of locust's histogram (response time in ms -> count)."""
    total = sum(times.values())
    rank, seen = max(1, round(share * total)), 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= rank:
            return float(ms)
    return float("nan")


def figures(entries: list[dict], seconds: float) -> Figures:
    times: dict[int, int] = {}
    for entry in entries:
        for ms, count in entry["response_times"].items():
            times[int(float(ms))] = times.get(int(float(ms)), 0) + count
    requests = sum(entry["num_requests"] for entry in entries)
    return Figures(
        requests, sum(entry["num_failures"] for entry in entries),
        percentile(times, 0.5) if times else 0.0, percentile(times, 0.95) if times else 0.0,
        max((entry["max_response_time"] for entry in entries), default=0.0),
        requests / seconds if seconds else 0.0,
    )  # fmt: skip


def report(args, entries: list[dict], load_before, load_after, server_log: Path) -> bool:
    """Print the figures of each step and of the whole day; judge them."""
    starts = [e["start_time"] for e in entries if e["num_requests"]]
    ends = [e["last_request_timestamp"] for e in entries if e["num_requests"]]
    seconds = (max(ends) - min(starts)) if starts else 0.0
    width = max(len(step) for step in STEPS) + 2
    print(f"\n{'step':<{width}} {'requests':>8} {'failures':>8} {'median ms':>9} "
          f"{'p95 ms':>7} {'max ms':>7} {'req/s':>6}")  # fmt: skip
    for name in (*STEPS, "login", "day (all steps)"):
        if name == "day (all steps)":
            picked = [e for e in entries if e["name"] in STEPS]
        else:
            picked = [e for e in entries if e["name"] == name]
        row = figures(picked, seconds)
        print(f"{name:<{width}} {row.requests:>8} {row.failures:>8} {row.median:>9.0f} "
              f"{row.p95:>7.0f} {row.max:>7.0f} {row.per_second:>6.1f}")  # fmt: skip
    day = figures([e for e in entries if e["name"] in STEPS], seconds)
    errors = sum(e["num_failures"] for e in entries)
    missing = [s for s in STEPS if not any(e["name"] == s and e["num_requests"] for e in entries)]
    print(f"\nload average before {load_before}, after {load_after} (1, 5, 15 min; 2 cores "
          "shared by the server, locust and anything else running on the machine)")  # fmt: skip
    print(f"{'PASS' if errors == 0 else 'FAIL'}  errors: {errors}")
    print(f"{'PASS' if not missing else 'FAIL'}  every step answered"
          + (f" (never reached: {', '.join(missing)})" if missing else ""))  # fmt: skip
    ok = errors == 0 and not missing
    if errors and server_log.exists():
        print("\nEnd of the server's log:\n" + server_log.read_text()[-4000:])
    if not args.quick:
        met = day.p95 < TARGET_P95_MS
        judged = args.users >= TARGET_USERS
        verdict = ("PASS" if met else "MISS") if judged else "info"
        print(
            f"{verdict}  p95 {day.p95:.0f} ms for {args.users} franchisees (target: under "
            f"{TARGET_P95_MS:.0f} ms for {TARGET_USERS}), {day.per_second:.1f} requests/s"
        )
        ok = ok and (met or not judged)
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 franchisees for 8 s on runserver: checks, no speed target",
    )
    parser.add_argument("--users", type=int, help="franchisees (default 30; quick 3)")
    parser.add_argument("--duration", type=int, help="seconds of load (default 60; quick 8)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="logins per second")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8160, help="127.0.0.1 port to serve on")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="CONN_MAX_AGE of the server (0: a connection per request)",
    )
    parser.add_argument(
        "--pg-db",
        default=DEFAULT_PG_DB,
        help="PostgreSQL database to create and drop (with DATABASE_URL)",
    )
    parser.add_argument("--build", metavar="ACCOUNTS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:  # the set-up subprocess
        import django

        django.setup()
        build(args.users, Path(args.build))
        return 0
    args.users = args.users or (3 if args.quick else TARGET_USERS)
    args.duration = args.duration or (8 if args.quick else 60)

    tmp = Path(tempfile.mkdtemp(prefix="distmark-load-"))
    server_url = os.environ.get("DATABASE_URL", "")
    if server_url.startswith("postgres"):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.pg_db):
            parser.error("--pg-db: lower-case letters, digits and _ only")
        database_url = with_database(server_url, args.pg_db)
        pg_admin(server_url, f"DROP DATABASE IF EXISTS {args.pg_db}")
        pg_admin(server_url, f"CREATE DATABASE {args.pg_db}")
    else:
        database_url = f"sqlite:///{tmp / 'db.sqlite3'}"
    env = environment(args, tmp, database_url)
    env["BENCH_SERVER_LOG"] = str(tmp / "server.log")
    server = None
    try:
        log(f"database {database_url.rsplit('@', 1)[-1]}: migrate and build {args.users} stores")
        subprocess.run(  # noqa: S603 (our own command line)
            [sys.executable, __file__, "--build", env["BENCH_ACCOUNTS"], "--users",
             str(args.users)], env=env, check=True,
        )  # fmt: skip
        port = free_port(args.port)
        server = start_server(args, env, port)
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        log(f"{args.users} franchisees for {args.duration} s")
        entries = run_locust(args, env, port, tmp)
        load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
        server_log = Path(env["BENCH_SERVER_LOG"])
        return 0 if report(args, entries, load_before, load_after, server_log) else 1
    except (subprocess.CalledProcessError, RuntimeError, FileNotFoundError) as error:
        log(f"failed: {error}")
        log_file = Path(env["BENCH_SERVER_LOG"])
        if log_file.exists():
            print(log_file.read_text()[-3000:])
        return 2
    finally:
        if server is not None:
            stop(server)
        if server_url.startswith("postgres"):
            pg_admin(server_url, f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
