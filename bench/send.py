"""Benchmark of sending: one campaign to 100,000 contacts over 1,000 units, end to end.

Run from the repository root (not part of the test suite)::

    .venv/bin/python bench/send.py                  # PostgreSQL + Redis, 2 Celery workers
    .venv/bin/python bench/send.py --kill 5         # the same, killing a worker 5 times
    .venv/bin/python bench/send.py --quick          # CI: SQLite, 1,000 contacts, in-process

On a throwaway database (a PostgreSQL database created and dropped by the script, or a
SQLite file) it builds a head office with regions and ``--units`` stores, ``--contacts``
contacts spread over the stores (each subscribed to the newsletter: bulk-loaded consent
rows), a brand template, and a campaign of the head office whose audience is the
newsletter's: one send reaches every store's contacts. The campaign is approved through its
real workflow (submitted, then approved by the head office's manager), so
``sending_readiness()`` passes for real.

"Send now" is what the admin does: ``dispatch.create_send`` then ``tasks.start_send.delay``.
With PostgreSQL, ``--workers`` Celery worker processes (``--pool solo``) on Redis do the
rest, on a queue of their own; the driver calls ``watch_sends`` every few seconds as beat
would, samples the workers' memory, and with ``--kill N`` SIGKILLs a worker N times during
the send (and restarts it each time). With SQLite (the quick mode) Celery runs eagerly in
the driver. Every message goes over SMTP to a minimal receiver on 127.0.0.1, in a process
of its own, that counts messages, Message-IDs and recipients (it parses no MIME).

Printed: e-mails/s end to end (from "Send now" to the last message received), the time to
the first e-mail received, each worker's peak RSS, the rows per state, duplicates (the same
Message-ID or the same recipient twice) and rows not final (pending or sending) at the end.
Targets (judged on PostgreSQL with at least 100,000 contacts, 'info' elsewhere): at least
1,000 e-mails/s, first e-mail under 2 s; with ``--kill 5`` or more, 0 duplicates and 0 rows
not final.

Exit status: 0 if every sanity check passed, 1 if one failed (a row not final, a duplicate,
messages received ≠ rows sent, rows ≠ recipients), 2 if the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.scope import (  # noqa: E402 (after the path set-up)
    DEFAULT_PG_URL,
    EXAMPLE_SITE_DIR,
    log,
    step,
    throwaway_database,
)

SETTINGS = "bench.send_settings"
DEFAULT_PG_DB = "distmark_bench_send"
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")

TARGET_RATE = 1000.0  # e-mails/s
TARGET_FIRST_S = 2.0
TARGET_CONTACTS = 100_000
TARGET_KILLS = 5
REGIONS = 10


# --- The SMTP receiver (a process of its own) --------------------------------------------

MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
EHLO_REPLY = b"250-bench.receiver\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"


class Tally:
    """What the receiver counts (in the receiver's process); the live figures are shared."""

    def __init__(self, count, first_at, last_at):
        self.count, self.first_at, self.last_at = count, first_at, last_at
        self.ids: Counter = Counter()
        self.recipients: Counter = Counter()

    def record(self, data: bytes, rcpts: list[bytes]) -> None:
        head = data.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        self.ids[found.group(1) if found else b""] += 1
        for rcpt in rcpts:
            self.recipients[rcpt.lower()] += 1
        now = time.time()
        if not self.count.value:
            self.first_at.value = now
        self.last_at.value = now
        self.count.value += 1

    def report(self) -> dict:
        dup_ids = {key: n for key, n in self.ids.items() if n > 1}
        dup_rcpts = {key: n for key, n in self.recipients.items() if n > 1}
        return {
            "received": sum(self.ids.values()),
            "without_id": self.ids.get(b"", 0),
            "duplicate_ids": len(dup_ids),
            "duplicate_recipients": len(dup_rcpts),
            "examples": [key.decode() for key in list(dup_rcpts)[:5]],
        }


class SMTPSession(asyncio.Protocol):
    """Just enough SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def __init__(self, tally: Tally):
        self.tally = tally
        self.buffer = b""
        self.in_data = False
        self.rcpts: list[bytes] = []

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 bench.receiver ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.tally.record(self.buffer[:end], self.rcpts)
                self.buffer = self.buffer[end + 5 :]
                self.in_data, self.rcpts = False, []
                self.transport.write(b"250 2.0.0 Ok: queued\r\n")
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                return
            self.buffer = rest
            self.command(line)

    def command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            self.transport.write(EHLO_REPLY)
        elif verb == b"RCPT":
            self.rcpts.append(line.partition(b"<")[2].partition(b">")[0])
            self.transport.write(b"250 2.1.5 Ok\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.buffer = b"\r\n" + self.buffer  # the terminator may follow at once
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb in (b"MAIL", b"RSET"):
            self.rcpts = []
            self.transport.write(b"250 2.1.0 Ok\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 2.0.0 Bye\r\n")
            self.transport.close()
        else:  # HELO, NOOP …
            self.transport.write(b"250 Ok\r\n")


def receiver_main(port: int, count, first_at, last_at, ready, conn) -> None:
    tally = Tally(count, first_at, last_at)

    def answer_reports():
        while True:
            try:
                request = conn.recv()
            except EOFError:
                return
            conn.send(tally.report() if request == "report" else None)
            if request == "stop":
                os._exit(0)

    threading.Thread(target=answer_reports, daemon=True).start()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTPSession(tally), "127.0.0.1", port, backlog=128)
    )
    ready.set()
    try:
        loop.run_forever()
    finally:
        server.close()


class Receiver:
    """The receiver's process, seen from the driver."""

    def __init__(self):
        context = multiprocessing.get_context("fork")  # started before Django is set up
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.count = context.RawValue("q", 0)
        self.first_at = context.RawValue("d", 0.0)
        self.last_at = context.RawValue("d", 0.0)
        ready = context.Event()
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(
            target=receiver_main,
            args=(self.port, self.count, self.first_at, self.last_at, ready, child_conn),
            daemon=True,
        )
        self.process.start()
        if not ready.wait(10):
            raise RuntimeError("the SMTP receiver did not start")

    def report(self) -> dict:
        self.conn.send("report")
        return self.conn.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            self.conn.send("stop")
            self.process.join(5)


# --- Django, the data ----------------------------------------------------------------------


def setup_django(env: dict) -> None:
    os.environ.update(env)
    for directory in (EXAMPLE_SITE_DIR, REPO_ROOT):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
    import django
    from django.core.management import call_command

    django.setup()
    import example_site  # noqa: F401 (the Celery app, configured from the settings)

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")


@dataclass
class World:
    campaign: object
    sender: object
    expected: int  # recipients, from the generated data
    units: int


def build(units: int, contacts: int) -> World:
    """The org tree, contacts subscribed to the newsletter, an approved head-office campaign
    whose audience is the newsletter's."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import Workflow, WorkflowContentType, WorkflowTask
    from wagtail_factories import ImageFactory

    from bench.contacts import analyse, load_rows, reset_sequence
    from wagtail_distmark.blocks import zone_data as zone
    from wagtail_distmark.campaigns.copying import save_new_draft
    from wagtail_distmark.contacts.campaign_audience import (
        choose_audience,
        recipients_for_campaign,
    )
    from wagtail_distmark.contacts.models import (
        Audience,
        CommunicationType,
        Consent,
        Contact,
        ContactUnit,
    )
    from wagtail_distmark.contacts.normalise import email_hash
    from wagtail_distmark.models import BrandTemplate, LocalCampaign, Membership, OrgUnit
    from wagtail_distmark.workflows.models import OrgApprovalTask

    started = time.perf_counter()
    regions = min(REGIONS, max(1, units // 10))
    hq_path = step(1)
    rows = [OrgUnit(path=hq_path, depth=1, numchild=regions, name="Head office", code="HQ",
                    kind="headquarters", city="Paris", country="FR", locale="fr",
                    sender_name="Maison Lumière", sender_email="news@maison-lumiere.example",
                    email="contact@maison-lumiere.example")]  # fmt: skip
    per_region = [units // regions + (1 if r < units % regions else 0) for r in range(regions)]
    number = 0
    for r in range(regions):
        region_path = hq_path + step(r + 1)
        rows.append(OrgUnit(
            path=region_path, depth=2, numchild=per_region[r], name=f"Region {r + 1}",
            code=f"R{r + 1:03d}", kind="region",
        ))  # fmt: skip
        for s in range(per_region[r]):
            number += 1
            rows.append(OrgUnit(
                path=region_path + step(s + 1), depth=3, numchild=0, name=f"Store {number}",
                code=f"S{number:05d}", kind="unit", city="Lyon", country="FR", locale="fr",
                sender_name=f"Maison Lumière Store {number}",
                sender_email=f"store{number}@maison-lumiere.example",
                email=f"store{number}@stores.example",
            ))  # fmt: skip
    with transaction.atomic():
        OrgUnit.objects.bulk_create(rows, batch_size=1000)
    hq = OrgUnit.objects.get(path=hq_path)
    stores = list(OrgUnit.objects.filter(kind="unit").order_by("path").values_list("pk", flat=True))

    newsletter = CommunicationType.objects.create(name="Newsletter", slug="newsletter")
    now = timezone.now()
    with transaction.atomic():
        load_rows(
            Contact,
            ("id", "email", "email_hash", "first_name", "last_name", "locale", "phone",
             "postal_code", "city", "country", "attributes", "created_at", "updated_at"),
            (
                (i, f"contact{i}@mail{i % 97}.example.com",
                 email_hash(f"contact{i}@mail{i % 97}.example.com"), f"Anne{i % 50}",
                 f"Martin{i % 70}", "fr", "", f"69{i % 1000:03d}", "Lyon", "FR", "{}", now, now)
                for i in range(1, contacts + 1)
            ),
        )  # fmt: skip
        reset_sequence(Contact)
        load_rows(
            ContactUnit,
            ("contact_id", "unit_id", "source", "since"),
            ((i, stores[i % len(stores)], "import", now) for i in range(1, contacts + 1)),
        )
        load_rows(
            Consent,
            ("contact_id", "communication_type_id", "status", "updated_at"),
            ((i, newsletter.pk, "subscribed", now) for i in range(1, contacts + 1)),
        )
    analyse()
    log(f"{len(rows)} units, {contacts:,} contacts loaded in {time.perf_counter() - started:.1f} s")

    users = get_user_model()
    editor = users.objects.create(username="hq-editor", email="editor@maison-lumiere.example")
    manager = users.objects.create(username="hq-manager", email="manager@maison-lumiere.example")
    Membership.objects.create(user=editor, unit=hq, role="editor")
    Membership.objects.create(user=manager, unit=hq, role="hq_admin")
    hero = ImageFactory(title="Hero")
    template = BrandTemplate(
        name="Autumn promotion", subject="Autumn at {{ unit.name }}, {{ contact.first_name }}",
        preheader="New candles",
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
    task = OrgApprovalTask.objects.create(name="Head office approval", approver="unit_manager")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowContentType.objects.create(
        workflow=workflow, content_type=ContentType.objects.get_for_model(LocalCampaign)
    )
    campaign = LocalCampaign(
        unit=hq, template=template, name="Autumn newsletter", subject=template.subject,
        preheader=template.preheader, body=template.campaign_body_data(), created_by=editor,
        live=False,
    )  # fmt: skip
    save_new_draft(campaign, editor)
    audience = Audience.objects.create(
        name="Everyone: newsletter", unit=hq, communication_type=newsletter
    )
    choose_audience(campaign, audience)
    approve(campaign, editor, manager)
    expected = recipients_for_campaign(campaign).count()
    if expected != contacts:
        raise RuntimeError(f"the campaign reaches {expected:,} contacts, not {contacts:,}")
    return World(campaign=campaign, sender=manager, expected=expected, units=len(stores))


def approve(campaign, editor, manager) -> None:
    """Submit the campaign to its workflow and approve it as the head office's manager, as
    the admin's buttons do (Wagtail's workflow API; the task's own approval rules)."""
    workflow = campaign.get_workflow()
    workflow.start(campaign, editor)
    campaign.refresh_from_db()
    state = campaign.current_workflow_task_state
    if state is not None:
        task = state.task.specific
        if not task.may_moderate(campaign, manager):
            raise RuntimeError("the head office's manager may not approve the campaign")
        task.on_action(state.specific, manager, "approve")
    campaign.refresh_from_db()
    readiness = campaign.sending_readiness()
    if not readiness.ready:
        raise RuntimeError(f"the campaign is not ready to send: {readiness.reason}")


# --- Workers -------------------------------------------------------------------------------


class Worker:
    """One Celery worker slot: its process (restarted after a kill) and its peak RSS."""

    def __init__(self, index: int, env: dict, log_dir: Path):
        self.index, self.env, self.log_dir = index, env, log_dir
        self.process: subprocess.Popen | None = None
        self.peak_rss = 0
        self.starts = 0
        self.cpu: dict[int, float] = {}  # CPU seconds by process id (every incarnation)

    def start(self) -> None:
        self.starts += 1
        command = [sys.executable, "-m", "celery", "-A", "example_site", "worker",
                   "--pool", "solo", "-Q", self.env["BENCH_QUEUE"],
                   "-n", f"bench-send-{self.index}-{self.starts}@%h",
                   "--without-gossip", "--without-mingle", "--without-heartbeat",
                   "--loglevel", "info"]  # fmt: skip
        self.log_path = self.log_dir / f"worker{self.index}.{self.starts}.log"
        self.process = subprocess.Popen(  # noqa: S603 (our own worker)
            command, cwd=REPO_ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(self.log_path, "w"),  # noqa: SIM115 (the child keeps it)
            start_new_session=True,
        )  # fmt: skip

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"worker {self.index} stopped (see {self.log_path})")
        return " ready." in self.log_path.read_text(errors="replace")

    def sample(self) -> None:
        import psutil

        try:
            process = psutil.Process(self.process.pid)
            rss = process.memory_info().rss + sum(
                child.memory_info().rss for child in process.children(recursive=True)
            )
            times = process.cpu_times()
        except psutil.Error:
            return
        self.peak_rss = max(self.peak_rss, rss)
        self.cpu[process.pid] = times.user + times.system

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_ready(workers: list[Worker], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not all(worker.ready() for worker in workers):
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start within a minute")
        time.sleep(0.1)


# --- The send ------------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds spent during the send by the PostgreSQL backends of the bench's database,
    the receiver and the driver: with the workers', what one message costs whatever else
    runs on the machine (wall-clock rates depend on the load, CPU time much less)."""

    def __init__(self, db_name: str, receiver_pid: int):
        import psutil

        self.db_name, self.psutil = db_name, psutil
        self.processes = {"receiver": psutil.Process(receiver_pid), "driver": psutil.Process()}
        self.start = {name: self.cpu(process) for name, process in self.processes.items()}
        self.pg_start: dict[int, float] = {}
        self.pg_now: dict[int, float] = {}
        self.sample_pg(baseline=True)

    @staticmethod
    def cpu(process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def sample_pg(self, baseline: bool = False) -> None:
        if not self.db_name:
            return
        for process in self.psutil.process_iter(["name", "cmdline"]):
            try:
                if not (process.info["name"] or "").startswith("postgres"):
                    continue
                if f" {self.db_name} " not in " ".join(process.info["cmdline"] or []) + " ":
                    continue
                used = self.cpu(process)
            except self.psutil.Error:
                continue
            (self.pg_start if baseline else self.pg_now)[process.pid] = used
            if baseline:
                self.pg_now[process.pid] = used

    def spent(self) -> dict[str, float]:
        spent = {name: self.cpu(process) - self.start[name]
                 for name, process in self.processes.items()}  # fmt: skip
        spent["postgres"] = sum(
            used - self.pg_start.get(pid, 0.0) for pid, used in self.pg_now.items()
        )
        return spent


@dataclass
class Result:
    db: str
    units: int
    contacts: int
    workers: int
    kills: int
    send_id: int = 0
    state: str = ""
    seconds: float = 0.0  # "Send now" to the last message received
    first_s: float | None = None
    prepared_s: float | None = None  # "Send now" to every delivery row created (polled)
    received: int = 0
    counts: dict = field(default_factory=dict)
    receiver: dict = field(default_factory=dict)
    peaks_mb: list = field(default_factory=list)
    driver_peak_mb: float = 0.0
    kill_at: list = field(default_factory=list)  # messages received at each kill
    failures: list = field(default_factory=list)
    costs: dict = field(default_factory=dict)  # (CPU, wall) ms per message, by step
    cpu_ms: dict = field(default_factory=dict)  # CPU ms per message received, by process

    @property
    def rate(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0


def run_send(args, world: World, receiver: Receiver, workers: list[Worker]) -> Result:
    import psutil
    from django.db import close_old_connections

    from wagtail_distmark.sending import dispatch, tasks
    from wagtail_distmark.sending.models import Send

    result = Result(args.db, world.units, world.expected, len(workers), args.kill)
    kills_left = args.kill
    # Kill points spread over the send, by messages received.
    kill_points = [world.expected * (k + 1) // (args.kill + 1) for k in range(args.kill)]
    log(f"Send now: {world.expected:,} recipients, {len(workers)} worker(s)")
    meter = CpuMeter(args.pg_db if args.db == "postgres" else "", receiver.process.pid)
    worker_cpu_start = {}
    for worker in workers:
        worker.sample()
        worker_cpu_start.update(worker.cpu)
    next_pg_sample = time.monotonic()
    profiler = None
    if args.profile:  # the driver's work: the whole send when it runs eagerly
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.time()
    send = dispatch.create_send(world.campaign, world.sender)
    tasks.start_send.delay(send.pk)  # eager (no broker): the whole send happens here
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
        log(f"profile written to {args.profile} (python -m pstats)")
    result.send_id = send.pk
    deadline = time.monotonic() + args.timeout
    next_watch = time.monotonic() + args.watch_every
    next_log = time.monotonic() + 5
    done_at = None
    victim = 0
    while workers:
        for worker in workers:
            worker.sample()
        if time.monotonic() >= next_pg_sample:
            meter.sample_pg()
            next_pg_sample = time.monotonic() + 1.0
        count = receiver.count.value
        if kills_left and count >= kill_points[args.kill - kills_left]:
            worker = workers[victim % len(workers)]
            victim += 1
            log(f"SIGKILL worker {worker.index} (pid {worker.process.pid}) at {count:,} received")
            worker.kill()
            result.kill_at.append(count)
            worker.start()
            kills_left -= 1
        now = time.monotonic()
        if now >= next_watch:  # as beat would
            tasks.watch_sends()
            next_watch = now + args.watch_every
        state, prepared = Send.objects.filter(pk=send.pk).values_list("state", "prepared").get()
        close_old_connections()
        if result.prepared_s is None and prepared:
            result.prepared_s = time.time() - started  # every delivery row exists
        if state in Send.FINAL_STATES:
            # Done: wait until the receiver has had every message the last batch sent.
            if done_at is None:
                done_at = now
            if receiver.count.value == count and now - done_at > 1.0:
                break
        if now >= next_log:
            log(f"  {count:,} received, send {state}")
            next_log = now + 5
        if now > deadline:
            result.failures.append(f"the send did not finish within {args.timeout:.0f} s")
            break
        time.sleep(0.1)
    meter.sample_pg()
    cpu = meter.spent()
    cpu["workers"] = sum(
        used - worker_cpu_start.get(pid, 0.0)
        for worker in workers
        for pid, used in worker.cpu.items()
    )
    report = receiver.report()
    result.receiver = report
    if report["received"]:
        result.cpu_ms = {name: 1000 * seconds / report["received"] for name, seconds in cpu.items()}
    result.received = report["received"]
    if receiver.count.value:
        result.seconds = receiver.last_at.value - started
        result.first_s = receiver.first_at.value - started
    send.refresh_from_db()
    result.state = send.state
    result.counts = {state: n for state, n in send.counts().items() if n}
    result.peaks_mb = [round(worker.peak_rss / 2**20, 1) for worker in workers]
    result.driver_peak_mb = round(psutil.Process().memory_info().rss / 2**20, 1)
    check(result, world)
    if result.counts.get("sent"):  # after the receiver's report: these are counted apart
        result.costs = measure_costs(send.pk, receiver.port, args.batch_size)
    return result


def check(result: Result, world: World) -> None:
    counts, report = result.counts, result.receiver
    not_final = counts.get("pending", 0) + counts.get("sending", 0)
    rows = sum(counts.values())
    sent, unknown = counts.get("sent", 0), counts.get("unknown", 0)
    if rows != world.expected:
        result.failures.append(f"{rows:,} delivery rows for {world.expected:,} recipients")
    if result.state != "done":
        result.failures.append(f"the send ended {result.state!r}, not 'done'")
    if not_final:
        result.failures.append(f"{not_final} rows not final (pending or sending)")
    if report["duplicate_ids"] or report["duplicate_recipients"]:
        result.failures.append(
            f"duplicates: {report['duplicate_ids']} Message-IDs, "
            f"{report['duplicate_recipients']} recipients (e.g. {report['examples']})"
        )
    if report["without_id"]:
        result.failures.append(f"{report['without_id']} messages without a Message-ID")
    # A message a killed worker handed over before its row was marked sent is received but
    # its row is unknown: received lies between the sent rows and sent + unknown.
    if not sent <= result.received <= sent + unknown:
        result.failures.append(
            f"{result.received:,} messages received for {sent:,} rows sent ({unknown} unknown)"
        )
    if counts.get("failed", 0) or counts.get("skipped", 0):
        result.failures.append(f"failed or skipped rows: {counts}")


def measure_costs(send_id: int, port: int, size: int) -> dict[str, float]:
    """What one message costs in each step of a batch, in ms per message, measured in the
    driver on ``size`` rows of the finished send (nothing is changed: the fates written back
    are the rows' own, the messages go to the receiver, which counts them apart)."""
    import smtplib

    from django.core.mail import get_connection
    from django.db import transaction

    from wagtail_distmark import conf
    from wagtail_distmark.sending import engine
    from wagtail_distmark.sending.messages import build_message
    from wagtail_distmark.sending.models import Delivery, Send

    send = Send.objects.select_related("unit", "communication_type", "campaign").get(pk=send_id)
    ids = list(Delivery.objects.filter(send=send).order_by("pk").values_list("pk", flat=True))
    ids = ids[:size]
    costs = {}

    def timed(name, action):
        started, cpu = time.perf_counter(), time.process_time()
        value = action()
        costs[name] = (
            (time.process_time() - cpu) * 1000 / len(ids),
            (time.perf_counter() - started) * 1000 / len(ids),
        )
        return value

    rows = timed("load rows + contacts", lambda: list(
        Delivery.objects.filter(pk__in=ids).select_related("contact").order_by("pk")
    ))  # fmt: skip
    timed("recheck (consent, suppression, unit)",
          lambda: engine.recheck(send, [row.contact_id for row in rows]))  # fmt: skip
    backend = get_connection(conf.get_send_email_backend())
    messages = timed("build_message", lambda: [
        build_message(send, row, row.contact, connection=backend) for row in rows
    ])  # fmt: skip
    raw = timed("as_bytes (MIME)", lambda: [
        message.message().as_bytes(linesep="\r\n") for message in messages
    ])  # fmt: skip
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        timed("SMTP dialogue (bytes ready)", lambda: [
            smtp.sendmail("bench@maison-lumiere.example", ["cost@bench.example"], data)
            for data in raw
        ])  # fmt: skip
    # save_fates writes only rows still sending under their claim: the batch's rows are put
    # back to sending (untimed) and the transaction rolled back after the timed call.
    with transaction.atomic():
        Delivery.objects.filter(pk__in=ids).update(state=engine.SENDING)
        timed("save_fates (sent rows: one UPDATE)", lambda: engine.save_fates(rows, send))
        written = Delivery.objects.filter(pk__in=ids, state=engine.SENT).count()
        transaction.set_rollback(True)
    if written != len(ids):  # the timed call must have written the batch, not skipped it
        raise RuntimeError(f"save_fates wrote {written} of {len(ids)} rows in the cost measure")
    costs["total"] = tuple(sum(values) for values in zip(*costs.values(), strict=True))
    return costs


def verdict(judged: bool, ok: bool) -> str:
    if not judged:
        return "info"
    return "PASS" if ok else "MISS"


def print_report(result: Result) -> None:
    judged = result.db == "postgres" and result.contacts >= TARGET_CONTACTS
    report = result.receiver
    not_final = result.counts.get("pending", 0) + result.counts.get("sending", 0)
    duplicates = report.get("duplicate_ids", 0) + report.get("duplicate_recipients", 0)
    first = f"{result.first_s:.2f} s" if result.first_s is not None else "none"
    mode = "eager, in-process"
    if result.workers:
        mode = f"{result.workers} Celery worker(s), solo pool"
    lines = [
        "",
        f"send.py — {result.db}, {result.units:,} units, {result.contacts:,} contacts, {mode}",
        f"  send #{result.send_id}: {result.state}; rows {result.counts}",
        f"  received {result.received:,} messages in {result.seconds:.1f} s "
        f"(from 'Send now' to the last one)",
        f"  e-mails/s end to end:     {result.rate:,.0f}   target ≥ {TARGET_RATE:,.0f}: "
        f"{verdict(judged, result.rate >= TARGET_RATE)}",
        f"  first e-mail after:       {first}   target < {TARGET_FIRST_S:.0f} s: "
        f"{verdict(judged, result.first_s is not None and result.first_s < TARGET_FIRST_S)}",
        f"  fan-out (every row created, polled every 0.1 s): "
        f"{'-' if result.prepared_s is None else f'{result.prepared_s:.2f} s'}",
        f"  peak RSS per worker (MB): {result.peaks_mb or '-'}   driver now: "
        f"{result.driver_peak_mb} MB",
        f"  kills: {result.kills} (at {result.kill_at} received); duplicates: "
        f"{report.get('duplicate_ids', 0)} Message-IDs, {report.get('duplicate_recipients', 0)} "
        f"recipients; rows not final: {not_final}; unknown: {result.counts.get('unknown', 0)}",
        f"  0 duplicates and 0 not final after ≥ {TARGET_KILLS} kills: "
        f"{verdict(judged and result.kills >= TARGET_KILLS, not duplicates and not not_final)}",
    ]
    if result.cpu_ms:
        total = sum(result.cpu_ms.values())
        lines.append(
            "  CPU per message received (ms): "
            + ", ".join(f"{name} {ms:.2f}" for name, ms in result.cpu_ms.items())
            + f"; all {total:.2f} → on 2 cores of its own ≈ {2000 / total:,.0f} e-mails/s"
        )
    if result.costs:
        lines.append(
            "  per message, one batch in the driver (CPU ms / wall ms; on PostgreSQL "
            "the database's share is in the wall time only):"
        )
        lines += [f"    {name:<38} {cpu:6.2f} / {wall:6.2f}"
                  for name, (cpu, wall) in result.costs.items()]  # fmt: skip
    lines.append(f"  sanity checks: {'OK' if not result.failures else 'FAILED'}")
    lines += [f"    - {failure}" for failure in result.failures]
    print("\n".join(lines), flush=True)


# --- Main ----------------------------------------------------------------------------------


def environment(args, url: str, tmp: Path, smtp_port: int) -> dict:
    env = {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(EXAMPLE_SITE_DIR)]),
        "BENCH_SMTP_PORT": str(smtp_port),
        "BENCH_MEDIA_ROOT": str(tmp / "media"),
        "BENCH_BATCH_SIZE": str(args.batch_size),
        "BENCH_LEASE_SECONDS": str(args.lease),
        "BENCH_RATE_LIMIT": args.rate_limit,
        "BENCH_QUEUE": f"bench-send-{uuid.uuid4().hex[:8]}",
        "BENCH_VISIBILITY_TIMEOUT": str(args.visibility_timeout),
        "CELERY_BROKER_URL": args.redis if args.workers else "",
        "BENCH_RATE_LIMIT_STORAGE": args.redis if args.workers else "memory://",
    }
    return {**os.environ, **env}


def run(args) -> int:
    receiver = Receiver()  # forked before Django is set up
    workers: list[Worker] = []
    try:
        with (
            throwaway_database(args.db, args.pg_url, args.pg_db) as url,
            tempfile.TemporaryDirectory(prefix="distmark-send-") as tmp_name,
        ):
            tmp = Path(tmp_name)
            env = environment(args, url, tmp, receiver.port)
            setup_django(env)
            world = build(args.units, args.contacts)
            if args.workers:
                from django.db import connections

                connections.close_all()
                workers = [Worker(i + 1, env, tmp) for i in range(args.workers)]
                for worker in workers:
                    worker.start()
                wait_ready(workers)
                log(f"{len(workers)} worker(s) ready on queue {env['BENCH_QUEUE']}")
            try:
                result = run_send(args, world, receiver, workers)
            finally:
                for worker in workers:
                    worker.stop()
                from django.db import connections

                connections.close_all()
            if result.failures and workers:
                for worker in workers:
                    log(f"worker log: {worker.log_path}")
                    print(worker.log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
    finally:
        receiver.stop()
    print_report(result)
    return 1 if result.failures else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI: SQLite, 20 units, 1,000 contacts, eager in-process")  # fmt: skip
    parser.add_argument("--db", choices=("sqlite", "postgres"))
    parser.add_argument("--units", type=int)
    parser.add_argument("--contacts", type=int)
    parser.add_argument("--workers", type=int, help="Celery worker processes (0: eager)")
    parser.add_argument("--kill", type=int, default=0, help="SIGKILL a worker N times")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--rate-limit", default="", help="e.g. 500/second (default: none)")
    parser.add_argument("--lease", type=float, default=30.0,
                        help="seconds before a dead worker's rows become unknown")  # fmt: skip
    parser.add_argument("--visibility-timeout", type=int, default=60,
                        help="seconds before Redis redelivers a killed worker's task")  # fmt: skip
    parser.add_argument("--watch-every", type=float, default=5.0,
                        help="seconds between watch_sends calls (beat)")  # fmt: skip
    parser.add_argument("--timeout", type=float, help="longest wait for the send (seconds)")
    parser.add_argument("--profile", help="write a cProfile of the driver to this file")
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--pg-db", default=DEFAULT_PG_DB)
    args = parser.parse_args(argv)
    args.db = args.db or ("sqlite" if args.quick else "postgres")
    args.units = args.units or (20 if args.quick else 1000)
    args.contacts = args.contacts or (1000 if args.quick else 100_000)
    if args.workers is None:
        args.workers = 0 if args.db == "sqlite" else 2
    if args.db == "sqlite" and args.workers:
        parser.error("SQLite runs eagerly in the driver: --workers 0 (or --db postgres)")
    if args.kill and not args.workers:
        parser.error("--kill needs Celery workers (--db postgres)")
    args.timeout = args.timeout or max(120.0, args.contacts / 50 + 3 * args.lease)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except Exception as error:  # noqa: BLE001 (reported, exit 2)
        import traceback

        traceback.print_exc()
        log(f"the benchmark failed: {error!r}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
