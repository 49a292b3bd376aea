"""``manage.py send_campaign <campaign id> [--at <ISO time>]``: send an approved campaign now or
at a time, through the same gate as the admin's "Send now" / "Schedule".

Prints the new send's id, and only that, on standard output (``id=$(manage.py send_campaign
12)``); ``send_status <id>`` follows it. A refusal (the gate's reason, an unknown id, a time
that is not a time or is past) is an error: exit status 1, nothing created.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wagtail_distmark.models import LocalCampaign
from wagtail_distmark.sending import dispatch, tasks

#: Longer input than any ISO 8601 time is not parsed.
MAX_TIME_LENGTH = 40


class Command(BaseCommand):
    help = "Send an approved local campaign now, or schedule it (--at); prints the send id."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int, help="The local campaign's id.")
        parser.add_argument(
            "--at", default="", help="When to send it (ISO 8601, e.g. 2026-12-01T09:00+01:00)."
        )

    def handle(self, *args, campaign_id: int, at: str = "", **options):
        campaign = find_campaign(campaign_id)
        when = parse_time(at) if at else None
        # With Celery eager (the demo) the send runs here, and the console e-mail backend
        # writes every message to sys.stdout: to stderr instead, so that stdout holds only
        # the id (self.stdout keeps the real one).
        with contextlib.redirect_stdout(sys.stderr):
            try:
                send = dispatch.create_send(campaign, at=when)
            except dispatch.SendRefused as refusal:
                raise CommandError(f"Campaign {campaign_id} cannot be sent: {refusal}") from refusal
            tasks.schedule_start(send)
        self.stdout.write(str(send.pk))


def find_campaign(campaign_id: int) -> LocalCampaign:
    campaign = (
        LocalCampaign.objects.select_related("unit", "template").filter(pk=campaign_id).first()
    )
    if campaign is None:
        raise CommandError(f"No local campaign with id {campaign_id}.")
    return campaign


def parse_time(text: str) -> datetime:
    """An aware time in the future (a time without offset is in the site's time zone)."""
    text = text.strip()
    try:
        when = parse_datetime(text) if len(text) <= MAX_TIME_LENGTH else None
    except ValueError:  # well formed, but not a date (2026-02-30)
        when = None
    if when is None:
        raise CommandError(f"--at {text[:MAX_TIME_LENGTH]!r} is not an ISO 8601 date and time.")
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when <= timezone.now():
        raise CommandError(f"--at {when.isoformat()} is in the past.")
    return when
