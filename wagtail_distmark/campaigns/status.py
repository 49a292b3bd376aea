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


#: The annotation :func:`with_workflow_status` adds (a listing reads it instead of a query).
WORKFLOW_STATUS = "distmark_workflow_status"


def with_workflow_status(campaigns):
    """Annotate each campaign with the status of its latest workflow: one query in all."""
    states = WorkflowState.objects.filter(
        base_content_type=ContentType.objects.get_for_model(campaigns.model),
        object_id=Cast(OuterRef("pk"), CharField()),
    ).order_by("-created_at")
    return campaigns.annotate(**{WORKFLOW_STATUS: Subquery(states.values("status")[:1])})


def workflow_status(campaign) -> str | None:
    if hasattr(campaign, WORKFLOW_STATUS):
        return getattr(campaign, WORKFLOW_STATUS)
    state = campaign.workflow_states.order_by("-created_at").first()
    return state.status if state else None


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
    state = campaign.workflow_states.order_by("-created_at").first()
    if state is None or state.status != WorkflowState.STATUS_NEEDS_CHANGES:
        return None
    rejected = (
        state.task_states.filter(status=TaskState.STATUS_REJECTED)
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
