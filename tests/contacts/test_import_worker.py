"""A real Celery worker killed mid-import: another worker finishes the job, exactly.

Needs a broker (``CELERY_BROKER_URL``, e.g. Redis) and PostgreSQL (``DATABASE_URL``): the
worker is a separate process, so it must reach the test's own database, which an in-memory
SQLite test database is not. The test is transactional, so what it writes is committed and
the worker sees it.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.contacts.import_helpers import (  # noqa: F401 (fixtures)
    make_job,
    remove_import_files,
    wagtail_roots,
)
from wagtail_distmark.contacts import tasks
from wagtail_distmark.models import ConsentEvent, Contact, ContactUnit, ImportJob

ROOT = Path(__file__).resolve().parents[2]
ROWS, BAD_EVERY = 6000, 20

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"), reason="needs a Celery broker (CELERY_BROKER_URL)"
    ),  # fmt: skip
]


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PYTHONPATH": f"{ROOT}:{ROOT / 'example_site'}",
        "DJANGO_SETTINGS_MODULE": "tests.contacts.worker_settings",
        "DISTMARK_TEST_PRIVATE_ROOT": str(settings.WAGTAIL_DISTMARK_PRIVATE_ROOT),
    }
    command = [sys.executable, "-m", "celery", "-A", "example_site", "worker", "--pool", "solo",
               "-Q", queue, "--without-gossip", "--without-mingle",
               "--loglevel", "warning"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own worker)


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def big_file() -> tuple[bytes, int]:
    lines = ["email,first_name,phone"]
    bad = 0
    for number in range(ROWS):
        if number % BAD_EVERY == 3:
            lines.append(f"broken{number},Bad,")
            bad += 1
        else:
            lines.append(f"w{number}@example.org,Worker {number},+336{number:08d}")
    return ("\n".join(lines) + "\n").encode(), bad


def progress(job) -> ImportJob:
    return ImportJob.objects.get(pk=job.pk)


def started_or_ended(job) -> ImportJob | None:
    """The job once a few chunks are in (or once it ended, to say why)."""
    now = progress(job)
    return now if now.processed_rows >= 200 or now.status in ("done", "failed") else None


@pytest.mark.usefixtures("wagtail_roots")
def test_a_killed_worker_leaves_a_job_the_next_worker_finishes_exactly(contact_world):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test's PostgreSQL database (DATABASE_URL)")
    content, bad = big_file()
    job = make_job(contact_world, content)
    queue = f"distmark-import-test-{uuid.uuid4().hex}"
    first = start_worker(queue)
    second = None
    try:
        tasks.import_contacts.apply_async((job.pk,), queue=queue)
        started = wait_for(lambda: started_or_ended(job), 120, "the import to start")
        assert started.status == ImportJob.Status.RUNNING, started.message
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed = progress(job)
        assert killed.status == ImportJob.Status.RUNNING
        assert 0 < killed.processed_rows < ROWS  # really killed mid-file
        second = start_worker(queue)
        wait_for(lambda: progress(job).status in ("done", "failed"), 240, "another worker")
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(20)
    done = progress(job)
    assert (done.status, done.message) == (ImportJob.Status.DONE, "")
    good = ROWS - bad
    assert (done.total_rows, done.created_count, done.error_count) == (ROWS, good, bad)
    assert done.row_errors.count() == bad
    imported = Contact.objects.filter(email__startswith="w", email__endswith="@example.org")
    assert imported.count() == good
    assert ContactUnit.objects.filter(contact__in=imported).count() == good
    assert ConsentEvent.objects.filter(import_job=job).count() == good
