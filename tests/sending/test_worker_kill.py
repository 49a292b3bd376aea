"""A real Celery worker killed with SIGKILL in the middle of a send: nobody gets two messages,
every delivery ends in a final state.

Two worker processes (``--pool solo``, settings ``tests/sending/worker_settings.py``) share
one send of about 2,000 contacts to a real SMTP receiver in this process; when about a third
has arrived, one worker is killed and a replacement started. Needs a broker
(``CELERY_BROKER_URL``, e.g. Redis) and PostgreSQL (``DATABASE_URL``): the workers are other
processes and must reach the test's own database. The test is transactional, so what it
writes is committed and the workers see it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.contacts.test_import_worker import database_url
from tests.sending.smtp_server import SMTPReceiver
from wagtail_distmark.contacts.consent import SUBSCRIBED, consent_unit_id
from wagtail_distmark.contacts.models import Consent, Contact, ContactUnit, Source
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.sending import dispatch, tasks
from wagtail_distmark.sending.models import Delivery, Send

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 2000
#: The whole send, kill and replacement included, must end within this (seconds).
SEND_DEADLINE = int(os.environ.get("DISTMARK_SEND_DEADLINE", "120"))
WATCH_EVERY = 5  # seconds between two watch_sends, as beat would run it
LOGLEVEL = os.environ.get("DISTMARK_WORKER_LOGLEVEL", "warning")  # "info" to see every task

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"), reason="needs a Celery broker (CELERY_BROKER_URL)"
    ),  # fmt: skip
]


def add_contacts(world, unit, count: int) -> list[str]:
    """``count`` subscribed contacts of ``unit``, in a few statements. Returns their addresses."""
    addresses = [f"k{number:05d}@people.example" for number in range(count)]
    contacts = Contact.objects.bulk_create(
        Contact(email=address, email_hash=email_hash(address), first_name=f"K{number}",
                last_name="Test")
        for number, address in enumerate(addresses)
    )  # fmt: skip
    ContactUnit.objects.bulk_create(
        ContactUnit(contact=contact, unit=unit, source=Source.ADMIN) for contact in contacts
    )
    unit_id = consent_unit_id(world.newsletter, unit.pk)
    Consent.objects.bulk_create(
        Consent(contact=contact, communication_type=world.newsletter, unit_id=unit_id,
                status=SUBSCRIBED)
        for contact in contacts
    )  # fmt: skip
    return addresses


class Workers:
    """The worker processes of one test (all killed at the end, whatever happens)."""

    def __init__(self, queue: str, smtp_port: int):
        self.queue, self.smtp_port = queue, smtp_port
        self.processes: dict[str, subprocess.Popen] = {}
        self.first = self.second = ""  # the hostnames of the first two
        self.began = time.monotonic()

    def start(self, name: str) -> str:
        hostname = f"{name}-{self.queue}@localhost"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "PYTHONPATH": f"{ROOT}:{ROOT / 'example_site'}",
            "DJANGO_SETTINGS_MODULE": "tests.sending.worker_settings",
            "DISTMARK_TEST_PRIVATE_ROOT": str(settings.WAGTAIL_DISTMARK_PRIVATE_ROOT),
            "DISTMARK_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DISTMARK_TEST_QUEUE": self.queue,
            "DISTMARK_TEST_SMTP_PORT": str(self.smtp_port),
        }
        command = [sys.executable, "-m", "celery", "-A", "example_site", "worker",
                   "--pool", "solo", "-Q", self.queue, "-n", hostname, "--without-gossip",
                   "--without-mingle", "--loglevel", LOGLEVEL]  # fmt: skip
        self.processes[hostname] = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
        return hostname

    def wait_ready(self, hostnames, seconds: float = 90) -> None:
        """Until every named worker answers a ping (they take a few seconds to boot)."""
        deadline = time.monotonic() + seconds
        waiting = set(hostnames)
        while waiting and time.monotonic() < deadline:
            for hostname in list(waiting):
                if self.processes[hostname].poll() is not None:
                    raise AssertionError(f"worker {hostname} exited at start")
            replies = current_app.control.ping(destination=list(waiting), timeout=0.5) or []
            for reply in replies:
                waiting -= set(reply)
        assert not waiting, f"workers not ready: {waiting}"

    def kill(self, hostname: str) -> None:
        process = self.processes[hostname]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def purge(queue: str) -> None:
    """Drop the test's queue and what is left in it (the chains' last successors), and on
    Redis kombu's bindings of it."""
    with current_app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_purge(queue)
        channel.queue_delete(queue)
        client = getattr(channel, "client", None)  # Redis
        if client is not None:
            client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def watch_sends(queue: str) -> None:
    """What beat runs, from this process, queueing onto the test's queue."""
    conf = current_app.conf
    previous = conf.task_default_queue
    conf.task_default_queue = queue
    try:
        tasks.watch_sends()
    finally:
        conf.task_default_queue = previous


def counts(send) -> dict[str, int]:
    return Send.objects.get(pk=send.pk).counts()


@pytest.fixture
def rig(django_db_setup):
    """The SMTP receiver and two workers on a queue of their own, booting while the test's
    data is built (they need the test database's name only). Everything is stopped after."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes need the test's PostgreSQL database (DATABASE_URL)")
    queue = f"distmark-send-test-{uuid.uuid4().hex[:12]}"
    receiver = SMTPReceiver(keep_raw=False).start()
    workers = Workers(queue, receiver.port)
    try:
        workers.first, workers.second = workers.start("w1"), workers.start("w2")
        yield receiver, workers
    finally:
        stopping = time.monotonic()
        workers.stop_all()
        receiver.stop()
        purge(queue)
        print(f"workers stopped and queue purged in {time.monotonic() - stopping:.1f} s")


def test_a_worker_killed_mid_send_no_address_gets_two_messages_every_row_final(rig, sending):
    receiver, workers = rig
    queue, began, figures = workers.queue, workers.began, {}
    addresses = add_contacts(sending, sending.net.units["a"], CONTACTS)
    expected = {"ann@example.org", *addresses}
    workers.wait_ready([workers.first, workers.second])
    figures["workers ready (s)"] = round(time.monotonic() - began, 1)
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    tasks.start_send.apply_async((send.pk,), queue=queue)
    queued = time.monotonic()
    deadline = queued + SEND_DEADLINE
    while receiver.count() < len(expected) // 3:
        assert time.monotonic() < deadline, f"a third never arrived: {counts(send)}"
        time.sleep(0.01)
    workers.kill(workers.first)
    at_kill = counts(send)
    figures["received at the kill"] = receiver.count()
    figures["rows sending at the kill"] = at_kill[Delivery.State.SENDING]
    workers.start("w3")
    last_watch = time.monotonic()
    while Send.objects.get(pk=send.pk).state not in Send.FINAL_STATES:
        assert time.monotonic() < deadline, f"send not final in time: {counts(send)}"
        if time.monotonic() - last_watch > WATCH_EVERY:
            watch_sends(queue)
            last_watch = time.monotonic()
        time.sleep(0.1)
    figures["send (s)"] = round(time.monotonic() - queued, 1)
    send.refresh_from_db()
    assert send.state == Send.State.DONE, send.reason
    rows = Delivery.objects.filter(send=send)
    final = counts(send)
    sent, unknown = final[Delivery.State.SENT], final[Delivery.State.UNKNOWN]
    failed, skipped = final[Delivery.State.FAILED], final[Delivery.State.SKIPPED]
    received = receiver.by_recipient()
    unknown_addresses = set(
        rows.filter(state=Delivery.State.UNKNOWN).values_list("contact__email", flat=True)
    )
    figures.update(
        total=send.total, sent=sent, failed=failed, skipped=skipped, unknown=unknown,
        received=receiver.count(), unknown_received=sum(received[a] for a in unknown_addresses),
        duplicates=len(receiver.duplicate_recipients()),
        test_s=round(time.monotonic() - began, 1),
    )  # fmt: skip
    print("\nworker kill:", ", ".join(f"{key}={value}" for key, value in figures.items()))
    # Nobody twice, nobody outside the audience.
    assert receiver.duplicate_recipients() == {}
    assert receiver.duplicate_message_ids() == {}
    assert set(received) <= expected
    # Every row final, and the totals add up.
    assert send.total == rows.count() == len(expected)
    assert final[Delivery.State.PENDING] == final[Delivery.State.SENDING] == 0
    assert sent + failed + skipped + unknown == send.total
    assert failed == skipped == 0
    # A sent row is a received message, with its Message-ID; an unknown row (the dead
    # worker's batch) may have left before it died, but was never sent again.
    by_address = {m.rcpt[0].lower(): m.message_id for m in receiver.received()}
    for address, message_id in rows.filter(state=Delivery.State.SENT).values_list(
        "contact__email", "message_id"
    ):
        assert by_address[address] == message_id
    assert receiver.count() == sent + figures["unknown_received"]
    assert all(received[address] <= 1 for address in unknown_addresses)
    assert not rows.filter(state=Delivery.State.UNKNOWN, attempts__gt=1).exists()
    assert unknown <= settings_batch_size()  # at most the dead worker's one batch
    assert send.finished_at <= timezone.now()


def settings_batch_size() -> int:
    from tests.sending import worker_settings

    return worker_settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE
