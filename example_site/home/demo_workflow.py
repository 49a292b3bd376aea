"""The demo's approval workflow for local campaigns, and one campaign waiting for approval."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Workflow, WorkflowContentType, WorkflowState, WorkflowTask

from wagtail_distmark.models import BrandTemplate, LocalCampaign
from wagtail_distmark.workflows.models import OrgApprovalTask

WORKFLOW = "Local campaign approval"
STEPS = [
    # name, approver, when, deadline in hours
    ("Store manager approval", "unit_manager", "always", 48),
    ("Regional approval", "regional_manager", "template_asks", 72),
]
#: The store opening is a big moment: the region approves too; its fast lane lets a
#: campaign that only changed constrained zones skip approval.
TEMPLATE_OPTIONS = {"New store opening": {"needs_extra_approval": True, "fast_lane": "constrained"}}
IN_REVIEW = ("Lyon newsletter — next month", "editor")
#: Submitted by the editor and approved by the store manager: ready to send (demo_sending).
APPROVED = ("Lyon newsletter", "editor", "manager")


def load() -> Workflow:
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW)
    for order, (name, approver, when, hours) in enumerate(STEPS):
        task, _ = OrgApprovalTask.objects.update_or_create(
            name=name, defaults={"approver": approver, "when": when, "deadline_hours": hours}
        )
        WorkflowTask.objects.update_or_create(
            workflow=workflow, task=task, defaults={"sort_order": order}
        )
    campaign_type = ContentType.objects.get_for_model(LocalCampaign)
    WorkflowContentType.objects.update_or_create(
        content_type=campaign_type, defaults={"workflow": workflow}
    )
    for name, options in TEMPLATE_OPTIONS.items():
        BrandTemplate.objects.filter(name=name).update(**options)
    submit_for_review(workflow, *IN_REVIEW)
    approve(workflow, *APPROVED)
    return workflow


def submit_for_review(workflow: Workflow, campaign_name: str, username: str) -> None:
    """The editor submits the campaign (once): it waits for the store manager."""
    campaign = LocalCampaign.objects.get(name=campaign_name)
    if WorkflowState.objects.for_instance(campaign).exists():
        return
    editor = get_user_model().objects.get(username=username)
    campaign.save_revision(user=editor)
    workflow.start(campaign, editor)


def approve(workflow: Workflow, campaign_name: str, editor_name: str, approver_name: str) -> None:
    """Submit the campaign and approve it, unless it is ready to send already, was sent, or
    waits in another step than the store manager's (someone is acting on it in the demo)."""
    campaign = LocalCampaign.objects.get(name=campaign_name)
    if campaign.sent_at or campaign.sending_readiness().ready:
        return
    User = get_user_model()
    active = WorkflowState.objects.for_instance(campaign).active().first()
    if active is None:
        editor = User.objects.get(username=editor_name)
        campaign.save_revision(user=editor)
        workflow.start(campaign, editor)
    elif active.status != WorkflowState.STATUS_IN_PROGRESS:
        return  # changes requested: the editor's move
    state = campaign.current_workflow_task_state
    if state is None or state.task.name != STEPS[0][0]:
        return
    approver = User.objects.get(username=approver_name)
    state.task.specific.on_action(state, approver, "approve", comment="Good to go.")
