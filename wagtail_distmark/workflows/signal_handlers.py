from wagtail.models import WorkflowState
from wagtail.signals import task_approved, task_submitted, workflow_approved, workflow_rejected

from wagtail_distmark.workflows.models import OrgApprovalTaskState
from wagtail_distmark.workflows.notifiers import CampaignApprovalNotifier, CampaignRejectionNotifier
from wagtail_distmark.workflows.tasks import notify_approvers, notify_step_approved

#: Wagtail's outcome notifiers, replaced under their own dispatch_uid: whichever app is ready
#: first, exactly one of each stays connected.
OUTCOME_NOTIFIERS = [
    (workflow_approved, CampaignApprovalNotifier(), "workflow_state_approved_email_notification"),
    (workflow_rejected, CampaignRejectionNotifier(), "workflow_state_rejected_email_notification"),
]


def approval_requested(sender, instance, user=None, **kwargs):
    """E-mail the computed approvers, from a Celery worker once the submission is committed."""
    notify_approvers.delay_on_commit(instance.pk)


def step_approved(sender, instance, user=None, **kwargs):
    if user is None:  # skipped or fast lane: logged, nobody to tell
        return
    notify_step_approved.delay_on_commit(instance.pk)


def register_signal_handlers():
    task_submitted.connect(
        approval_requested, sender=OrgApprovalTaskState, dispatch_uid="distmark_approval_mail"
    )
    task_approved.connect(
        step_approved, sender=OrgApprovalTaskState, dispatch_uid="distmark_step_approved_mail"
    )
    for signal, notifier, uid in OUTCOME_NOTIFIERS:
        signal.disconnect(sender=WorkflowState, dispatch_uid=uid)
        signal.connect(notifier, sender=WorkflowState, dispatch_uid=uid)
