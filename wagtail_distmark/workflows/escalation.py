"""Escalation of overdue approvals to the next level up the tree (run by Celery beat)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import TaskState

from wagtail_distmark.org.models import Membership
from wagtail_distmark.workflows import mail, routing
from wagtail_distmark.workflows.models import OrgApprovalTaskState


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Move every overdue approval one level up; returns how many moved."""
    now = now or timezone.now()
    overdue = OrgApprovalTaskState.objects.filter(
        status=TaskState.STATUS_IN_PROGRESS, due_at__lt=now
    ).values_list("pk", flat=True)
    return sum(escalate(pk, now) for pk in overdue)


@transaction.atomic
def escalate(state_pk: int, now: datetime.datetime) -> bool:
    # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
    state = OrgApprovalTaskState.objects.select_for_update().get(pk=state_pk)
    if state.status != TaskState.STATUS_IN_PROGRESS or state.due_at >= now:
        return False  # acted on, or escalated by another worker meanwhile
    campaign = state.workflow_state.content_object
    current = state.approving_unit or campaign.unit
    role = role_of_rank(state.approver_rank)
    found = routing.route(
        current, role, start_above=True, submitter=state.workflow_state.requested_by
    )
    deadline = datetime.timedelta(hours=state.task.specific.deadline_hours)
    state.due_at = now + deadline
    if not found.found:  # already at the top: keep waiting, say so once per deadline
        state.save(update_fields=["due_at"])
        log(campaign, "wagtail_distmark.approval_overdue", data={"unit": str(current)})
        return False
    state.approving_unit, state.escalations = found.unit, state.escalations + 1
    state.save(update_fields=["due_at", "approving_unit", "escalations"])
    log(
        campaign, "wagtail_distmark.approval_escalated",
        data={"from": str(current), "to": str(found.unit)},
    )  # fmt: skip
    transaction.on_commit(lambda: mail.send_escalated(state, current))
    return True


def role_of_rank(rank: int) -> str:
    return min(
        (role for role, role_rank in Membership.RANKS.items() if role_rank >= rank),
        key=Membership.RANKS.get,
    )
