"""``manage.py send_status <send id> [--json]``: where a send stands, for operators and
scripts: its state, its deliveries counted per state, when it started and finished, and why
it failed or was cancelled. An unknown id is an error (exit status 1).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from wagtail_distmark.sending.models import Send


class Command(BaseCommand):
    help = "Show a send's state, its deliveries per state, times and reason."

    def add_arguments(self, parser):
        parser.add_argument("send_id", type=int, help="The send's id (send_campaign prints it).")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="One JSON object, for scripts."
        )

    def handle(self, *args, send_id: int, as_json: bool = False, **options):
        send = Send.objects.select_related("campaign", "unit").filter(pk=send_id).first()
        if send is None:
            raise CommandError(f"No send with id {send_id}.")
        status = status_of(send)
        self.stdout.write(to_json(status) if as_json else to_text(status))


def status_of(send: Send) -> dict:
    return {
        "id": send.pk,
        "campaign": send.campaign_id,
        "unit": send.unit.name,
        "state": send.state,
        "total": send.total,
        "counts": send.counts(),
        "scheduled_at": when(send.scheduled_at),
        "started_at": when(send.started_at),
        "finished_at": when(send.finished_at),
        "reason": send.reason,
    }


def when(moment) -> str | None:
    return moment.isoformat() if moment else None


def to_json(status: dict) -> str:
    return json.dumps(status, ensure_ascii=False)


def to_text(status: dict) -> str:
    lines = [
        f"Send {status['id']} of campaign {status['campaign']} ({status['unit']})",
        f"state: {status['state']}",
        f"total: {status['total']}",
        *(f"{state}: {count}" for state, count in status["counts"].items()),
        *(f"{key}: {status[key] or '-'}" for key in ("scheduled_at", "started_at", "finished_at")),
        f"reason: {status['reason'] or '-'}",
    ]
    return "\n".join(lines)
