"""``send_campaign`` and ``send_status``, as an operator's script runs them."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from wagtail_distmark.sending import tasks
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def send_now(sending, eager_celery, django_capture_on_commit_callbacks):
    """``send_campaign <id>`` with Celery eager and the transaction's callbacks run."""

    def command(*args) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            return run("send_campaign", *args)

    return command


def test_send_campaign_prints_only_the_send_id_and_the_mail_goes(sending, send_now):
    out = send_now(str(sending.campaign_a.pk))
    send = Send.objects.get()
    assert out.strip() == str(send.pk)
    send.refresh_from_db()
    assert send.state == Send.State.DONE
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]
    assert Delivery.objects.get(send=send).state == Delivery.State.SENT


def test_send_campaign_at_a_later_time_schedules_it(sending, send_now):
    at = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    out = send_now(str(sending.campaign_a.pk), "--at", at.isoformat())
    send = Send.objects.get(pk=int(out))
    assert send.state == Send.State.SCHEDULED and send.scheduled_at == at
    assert mail.outbox == []


def test_send_campaign_twice_is_refused_with_the_reason(sending, send_now):
    send_now(str(sending.campaign_a.pk))
    with pytest.raises(CommandError, match="cannot be sent: This campaign was already sent"):
        send_now(str(sending.campaign_a.pk))
    assert Send.objects.count() == 1


def test_send_campaign_gives_the_gates_reason(sending, send_now):
    campaign = sending.campaign_a
    campaign.subject = "Changed after approval"
    campaign.save_revision(user=sending.net.users["editor_a"])
    with pytest.raises(CommandError, match="changed after its approval"):
        send_now(str(campaign.pk))
    assert not Send.objects.exists() and mail.outbox == []


def test_send_campaign_unknown_id(sending, send_now):
    with pytest.raises(CommandError, match="No local campaign with id 999999"):
        send_now("999999")


@pytest.mark.parametrize(
    ("at", "words"),
    [
        ("2001-01-01T09:00:00+00:00", "in the past"),
        ("tomorrow", "not an ISO 8601"),
        ("2030-02-30T09:00", "not an ISO 8601"),
        ("2030-01-01T09:00" + "0" * 5000, "not an ISO 8601"),
    ],
)
def test_send_campaign_refuses_a_bad_time(sending, send_now, at, words):
    with pytest.raises(CommandError, match=words):
        send_now(str(sending.campaign_a.pk), "--at", at)
    assert not Send.objects.exists()


def test_send_status_shows_state_counts_times_and_reason(sending, send_now):
    send_id = send_now(str(sending.campaign_a.pk)).strip()
    out = run("send_status", send_id)
    lines = out.splitlines()
    assert "state: done" in lines
    assert "sent: 1" in lines and "pending: 0" in lines and "unknown: 0" in lines
    assert any(line.startswith("started_at: 20") for line in lines)
    assert any(line.startswith("finished_at: 20") for line in lines)
    status = json.loads(run("send_status", send_id, "--json"))
    assert status["state"] == "done" and status["counts"]["sent"] == 1


def test_send_status_of_a_failed_send_gives_the_reason(sending, send_now):
    template = sending.campaign_a.template
    template.valid_until = timezone.now() + timedelta(seconds=30)
    template.save()
    at = timezone.now() + timedelta(minutes=1)
    send_id = send_now(str(sending.campaign_a.pk), "--at", at.isoformat()).strip()
    Send.objects.filter(pk=send_id).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    template.valid_until = timezone.now() - timedelta(seconds=1)
    template.save()
    tasks.start_send(int(send_id))
    status = json.loads(run("send_status", send_id, "--json"))
    assert status["state"] == "failed"
    assert "no longer valid" in status["reason"]
    assert "no longer valid" in run("send_status", send_id)


def test_send_status_unknown_id_exits_non_zero(sending):
    with pytest.raises(CommandError, match="No send with id 424242"):
        run("send_status", "424242")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_console_backend_the_messages_go_to_stderr_and_stdout_holds_the_id(
    sending, eager_celery, settings, capsys
):
    """The demo: Celery eager, mail printed by the console backend (newcomer: a script's
    ``id=$(manage.py send_campaign 3)`` captured 505 e-mails). Transactional, as the command
    runs: the send starts when its row is committed, inside the command."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    capsys.readouterr()
    call_command("send_campaign", str(sending.campaign_a.pk))
    printed = capsys.readouterr()
    assert printed.out.strip() == str(Send.objects.get().pk)
    assert "ann@example.org" in printed.err and "List-Unsubscribe" in printed.err


def test_watch_sends_starts_a_scheduled_send_that_is_due(sending, eager_celery):
    at = timezone.now() + timedelta(days=1)
    out = run("send_campaign", str(sending.campaign_a.pk), "--at", at.isoformat())
    assert "0 send(s)" in run("watch_sends")  # not due yet
    Send.objects.filter(pk=int(out)).update(scheduled_at=timezone.now())
    assert "1 send(s)" in run("watch_sends")
    assert Send.objects.get().state == Send.State.DONE
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]
