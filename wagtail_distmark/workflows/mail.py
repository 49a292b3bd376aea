"""The approval e-mails. Plain functions, called from Celery tasks (``tasks.py``).

Wagtail itself tells the submitter when the whole workflow is approved or sent back for
changes; these add what it does not know: who must approve (the computed approvers), a step
approved on the way, and an escalation.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

EDIT_URL = "wagtailsnippets_wagtail_distmark_localcampaign:edit"


def edit_link(campaign) -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return f"{base}{reverse(EDIT_URL, args=[campaign.pk])}"


def addresses(users, but=None) -> list[str]:
    return sorted({u.email for u in users if u.email and (but is None or u.pk != but.pk)})


def send(recipients: list[str], subject: str, lines: list[str]) -> int:
    if not recipients:
        return 0
    return send_mail(subject, "\n\n".join(lines), None, recipients)


def campaign_of(state):
    return state.workflow_state.content_object


def local_time(moment, unit) -> str:
    """A moment in the unit's own time zone, e.g. "2026-11-24 12:41 (Europe/Paris)"."""
    zone = zoneinfo.ZoneInfo(unit.timezone or "UTC")
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def name_of(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else _("Someone")


def send_submitted(state) -> int:
    """To exactly the computed approvers (never the submitter)."""
    campaign, submitter = campaign_of(state), state.workflow_state.requested_by
    names = {"user": name_of(submitter), "campaign": campaign.name, "unit": campaign.unit.name}
    due = local_time(state.due_at, campaign.unit)
    with override(campaign.unit.locale.split("-")[0]):
        return send(
            addresses(state.approvers(), but=submitter),
            _("Approval needed: %(campaign)s (%(unit)s)") % names,
            [
                _("%(user)s submitted “%(campaign)s” for %(unit)s. You are asked to approve it.")
                % names,
                _("Please answer by %(due)s.") % {"due": due},
                edit_link(campaign),
            ],
        )


def send_step_approved(state) -> int:
    """To the submitter, when a step is approved and the campaign goes on to the next one."""
    campaign, submitter = campaign_of(state), state.workflow_state.requested_by
    if submitter is None or state.workflow_state.status != state.workflow_state.STATUS_IN_PROGRESS:
        return 0  # the workflow is over: Wagtail's own e-mail tells the submitter
    with override(campaign.unit.locale.split("-")[0]):
        return send(
            addresses([submitter]),
            _("Step approved: %(campaign)s") % {"campaign": campaign.name},
            [
                _("“%(task)s” was approved by %(user)s; the campaign goes on to the next step.")
                % {"task": state.task.name, "user": state.finished_by or _("the fast lane")},
                state.comment,
                edit_link(campaign),
            ],
        )  # fmt: skip


def send_escalated(state, previous_unit) -> int:
    """To the new approvers and the submitter."""
    campaign, submitter = campaign_of(state), state.workflow_state.requested_by
    with override(campaign.unit.locale.split("-")[0]):
        subject = _("Approval escalated: %(campaign)s (%(unit)s)") % {
            "campaign": campaign.name, "unit": campaign.unit.name,
        }  # fmt: skip
        why = _("Nobody at %(previous)s approved it in time; it now waits for %(unit)s.") % {
            "previous": previous_unit, "unit": state.approving_unit,
        }  # fmt: skip
        link = edit_link(campaign)
        sent = send(addresses(state.approvers(), but=submitter), subject, [why, link])
        return sent + send(addresses([submitter] if submitter else []), subject, [why])
