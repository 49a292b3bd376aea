"""Celery tasks: thin wrappers over plain functions (testable without a broker)."""

from celery import shared_task

from wagtail_distmark.workflows import mail
from wagtail_distmark.workflows.escalation import escalate_overdue
from wagtail_distmark.workflows.models import OrgApprovalTaskState


@shared_task
def notify_approvers(task_state_id: int) -> int:
    return mail.send_submitted(OrgApprovalTaskState.objects.get(pk=task_state_id))


@shared_task
def notify_step_approved(task_state_id: int) -> int:
    return mail.send_step_approved(OrgApprovalTaskState.objects.get(pk=task_state_id))


@shared_task
def escalate_overdue_approvals() -> int:
    """For Celery beat, e.g. every 15 minutes (``CELERY_BEAT_SCHEDULE``, see the docs)."""
    return escalate_overdue()
