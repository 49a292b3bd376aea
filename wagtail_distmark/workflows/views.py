"""A read-only page of how local campaigns are approved, for HQ.

Wagtail's own Workflows screen (Settings) needs the right to add, change or delete workflows;
HQ admins only need to see the set-up the docs describe, so they get this page instead.
"""

from django.contrib.contenttypes.models import ContentType
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.models import Workflow

from wagtail_distmark.campaigns.models import LocalCampaign

VIEW = "wagtail_distmark.view_approval_setup"


def campaign_workflows():
    """The active workflows of local campaigns, with their steps in order."""
    content_type = ContentType.objects.get_for_model(LocalCampaign)
    return (
        Workflow.objects.filter(active=True, workflow_content_types__content_type=content_type)
        .prefetch_related("workflow_tasks__task")
        .order_by("name")
    )


def step_rows(workflow) -> list[dict]:
    rows = []
    for number, workflow_task in enumerate(workflow.workflow_tasks.all(), start=1):
        task = workflow_task.task.specific
        rows.append({
            "number": number,
            "name": task.name,
            "active": task.active,
            "approver": getattr(task, "get_approver_display", lambda: "")(),
            "when": getattr(task, "get_when_display", lambda: "")(),
            "deadline_hours": getattr(task, "deadline_hours", None),
            "description": task.get_description(),
        })  # fmt: skip
    return rows


def approval_setup_view(request):
    if not request.user.has_perm(VIEW):
        return TemplateResponse(
            request,
            "wagtail_distmark/network/forbidden.html",
            {"message": _("Only head office sees how campaigns are approved."),
             "back_url": reverse("wagtailadmin_home"), "back_label": _("Back to the dashboard")},
            status=403,
        )  # fmt: skip
    can_edit = request.user.has_perm("wagtailcore.change_workflow")
    workflows = [
        {
            "name": workflow.name,
            "steps": step_rows(workflow),
            "edit_url": reverse("wagtailadmin_workflows:edit", args=[workflow.pk])
            if can_edit
            else "",
        }
        for workflow in campaign_workflows()
    ]
    return TemplateResponse(
        request,
        "wagtail_distmark/workflows/approval_setup.html",
        {"workflows": workflows, "page_title": _("Campaign approval")},
    )
