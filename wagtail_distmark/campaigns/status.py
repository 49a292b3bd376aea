"""What a local campaign's status means to its unit: approved and ready, in review, sent …

Wagtail speaks of "Live" and "First published": for a campaign, live only means its
approval workflow approved a revision; nothing was sent. These labels say what happened.
"""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from wagtail.models import TaskState, WorkflowState
from wagtail.snippets.side_panels import SnippetStatusSidePanel


class Status(NamedTuple):
    label: str
    #: Why, in a sentence (shown under the label on the edit page).
    detail: str = ""
    #: Shown as a primary (filled) tag in the listing.
    primary: bool = False


#: The annotations :func:`with_workflow_status` adds (a listing reads them instead of querying
#: each row): the status of the campaign's latest workflow, and the revision its current task
#: state judged (for an approved workflow, the approved revision).
WORKFLOW_STATUS = "distmark_workflow_status"
JUDGED_REVISION = "distmark_judged_revision"


class LatestWorkflow(NamedTuple):
    """What a campaign's status and readiness need of its latest workflow state."""

    status: str
    #: The revision its current task state judged (``None`` if it has no task state).
    revision_id: int | None


def latest_states(model):
    """Workflow states of ``model``'s rows, newest first (filter them by ``object_id``)."""
    return WorkflowState.objects.filter(
        base_content_type=ContentType.objects.get_for_model(model)
    ).order_by("-created_at", "-pk")


def with_workflow_status(campaigns):
    """Annotate each campaign with its latest workflow (:func:`latest_workflow`): one query
    in all, whatever the number of rows."""
    states = latest_states(campaigns.model).filter(object_id=Cast(OuterRef("pk"), CharField()))
    return campaigns.annotate(
        **{
            WORKFLOW_STATUS: Subquery(states.values("status")[:1]),
            JUDGED_REVISION: Subquery(states.values("current_task_state__revision_id")[:1]),
        }
    )


def latest_workflow(campaign) -> LatestWorkflow | None:
    """The campaign's latest workflow state, if it was ever submitted: read from the
    annotations of :func:`with_workflow_status` when the row has them, else one query."""
    if hasattr(campaign, WORKFLOW_STATUS):
        status = getattr(campaign, WORKFLOW_STATUS)
        return LatestWorkflow(status, getattr(campaign, JUDGED_REVISION)) if status else None
    state = (
        latest_states(type(campaign))
        .filter(object_id=str(campaign.pk))
        .values_list("status", "current_task_state__revision_id")
        .first()
    )
    return LatestWorkflow(*state) if state else None


def workflow_status(campaign) -> str | None:
    latest = latest_workflow(campaign)
    return latest.status if latest else None


def campaign_status(campaign) -> Status:
    if campaign.sent_at:
        return Status(_("Sent"), primary=True)
    if campaign.scheduled_at:
        return Status(_("Scheduled"), primary=True)
    state = workflow_status(campaign)
    if state == WorkflowState.STATUS_IN_PROGRESS:
        return Status(_("In review"), _("It is waiting for approval."))
    if state == WorkflowState.STATUS_NEEDS_CHANGES:
        return Status(_("Changes requested"), _("Edit it and submit it again."))
    if campaign.live:
        readiness = campaign.sending_readiness()
        if readiness.ready:
            return Status(_("Approved, ready to send"), primary=True)
        return Status(_("Approved, not ready to send"), readiness.reason)
    return Status(_("Draft"), _("Submit it for approval when it is ready."))


class ChangeRequest(NamedTuple):
    comment: str
    by: str
    at: object


def change_request(campaign) -> ChangeRequest | None:
    """The approver's request for changes, while the campaign awaits them."""
    latest = latest_workflow(campaign)  # read from the row when the view annotated it
    if latest is None or latest.status != WorkflowState.STATUS_NEEDS_CHANGES:
        return None
    state = latest_states(type(campaign)).filter(object_id=str(campaign.pk)).values("pk")[:1]
    rejected = (
        TaskState.objects.filter(workflow_state=Subquery(state), status=TaskState.STATUS_REJECTED)
        .select_related("finished_by")
        .order_by("-finished_at")
        .first()
    )
    if rejected is None:
        return None
    by = rejected.finished_by
    name = (by.get_full_name() or by.get_username()) if by else ""
    return ChangeRequest(rejected.comment, name, rejected.finished_at)


class CampaignStatusSidePanel(SnippetStatusSidePanel):
    """Wagtail's status panel, saying what the campaign's state means (see module doc)."""

    template_name = "wagtail_distmark/campaigns/status_panel.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        # The row itself (the editor's object is its latest revision, which predates a send).
        context["campaign_status"] = campaign_status(self.live_object or self.object)
        return context


def with_campaign_status(panels):
    """The edit view's side panels, its status panel explaining the campaign's state.

    The panel keeps the arguments Wagtail built it with (they differ between Wagtail 7 and
    8); only its class, and so its template and context, change.
    """
    for panel in panels:
        if type(panel) is SnippetStatusSidePanel:
            panel.__class__ = CampaignStatusSidePanel
    return panels
