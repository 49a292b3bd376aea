"""The dashboard's workflow panels, in a constant number of queries.

Wagtail's ``WorkflowObjectsToModeratePanel`` asks five queries per listed task state: its task,
the specific task, our task's current state for the actions, the workflow's tasks with their
status, and the campaign's unit (the edit link asks the campaign rules). An approver with 40
campaigns waiting made 200 queries. This panel builds the same rows with one query per kind of
thing: the task states, their campaigns (Wagtail's prefetch), the specific tasks, the specific
task states, the campaigns' units, the workflows' tasks and the workflow states' task states.

It re-does ``WorkflowObjectsToModeratePanel.get_context_data()`` (Wagtail 7.0 and 8.0 have
the same); ``tests/test_query_counts.py`` pins that method's source and checks that both
panels give the same rows, so a Wagtail release that changes it fails a test.
"Your pages and snippets in a workflow" keeps Wagtail's code; only the campaigns' units (asked
by each row's edit link) are read at once.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.home import (
    UserObjectsInWorkflowModerationPanel,
    WorkflowObjectsToModeratePanel,
)
from wagtail.models import Page, Revision, Task, TaskState, WorkflowState, WorkflowTask

from wagtail_distmark.campaigns.editing import remember_active_workflow_states


class ModerationPanel(WorkflowObjectsToModeratePanel):
    """Wagtail's panel (same name, template and rows), reading in bulk."""

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        context = super(WorkflowObjectsToModeratePanel, self).get_context_data(parent_context)
        context.update(states=[], request=request, csrf_token=parent_context["csrf_token"])
        if not getattr(settings, "WAGTAIL_WORKFLOW_ENABLED", True):
            return context
        states = [state for state in reviewable(request.user) if state.revision.content_object]
        share_reads(states)
        statuses = tasks_with_status([state.workflow_state for state in states])
        for state in states:
            context["states"].append(row(state, request.user, statuses))
        return context


def reviewable(user):
    """Wagtail's query for the panel, with the task of each state."""
    return list(
        TaskState.objects.reviewable_by(user)
        .select_related(
            "task", "revision", "revision__user", "workflow_state", "workflow_state__workflow"
        )
        .prefetch_related("revision__content_object", "revision__content_object__latest_revision")
        .order_by("-started_at")
        .annotate(previous_revision_id=Revision.objects.previous_revision_id_subquery())
    )


def share_reads(states) -> None:
    """Read the specific tasks and task states once, and the campaigns' units; let each
    campaign answer "what is your current workflow state?" from its row (as the campaign
    editor does, ``campaigns/editing.py``)."""
    tasks = {task.pk: task for task in Task.objects.filter(
        pk__in={state.task_id for state in states}).specific()}  # fmt: skip
    specific_states = {s.pk: s for s in TaskState.objects.filter(
        pk__in=[state.pk for state in states]).specific()}  # fmt: skip
    with_units([state.revision.content_object for state in states])
    for state in states:
        state.task = tasks[state.task_id]
        specific = specific_states[state.pk]
        specific.task, specific.workflow_state = state.task, state.workflow_state
        workflow_state, obj = state.workflow_state, state.revision.content_object
        WorkflowState._meta.get_field("content_object").set_cached_value(workflow_state, obj)
        if workflow_state.current_task_state_id == state.pk and not isinstance(obj, Page):
            workflow_state.current_task_state = specific
            remember_active_workflow_states(obj, [workflow_state])


def tasks_with_status(workflow_states) -> dict:
    """``WorkflowState.all_tasks_with_status()`` for every state, in two queries (the same
    answer: with ``WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT`` each state asks its own)."""
    if getattr(settings, "WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT", False):
        return {ws.pk: ws.all_tasks_with_status() for ws in workflow_states}
    links = (
        WorkflowTask.objects.filter(workflow__in={ws.workflow_id for ws in workflow_states})
        .select_related("task")
        .order_by("sort_order")
    )
    tasks_of = defaultdict(list)
    for link in links:
        tasks_of[link.workflow_id].append(link.task)
    latest = {}  # (workflow state, task) -> status of its latest task state
    task_states = TaskState.objects.filter(workflow_state__in=[ws.pk for ws in workflow_states])
    for ts in task_states.order_by("started_at", "id").values("workflow_state", "task", "status"):
        latest[ts["workflow_state"], ts["task"]] = ts["status"]
    choices = dict(TaskState.STATUS_CHOICES)
    result = {}
    for ws in workflow_states:
        result[ws.pk] = []
        for task in tasks_of[ws.workflow_id]:
            task = Task(pk=task.pk, name=task.name, content_type_id=task.content_type_id,
                        active=task.active)  # fmt: skip
            task.status = latest.get((ws.pk, task.pk))
            task.status_display = choices.get(task.status, _("Not started"))
            result[ws.pk].append(task)
    return result


def row(state, user, statuses) -> dict:
    """One row of the panel, as Wagtail builds it."""
    obj = state.revision.content_object
    action_url = "wagtailadmin_pages:workflow_action"
    preview_url = "wagtailadmin_pages:workflow_preview"
    compare_url = "wagtailadmin_pages:revisions_compare"
    if not isinstance(obj, Page):
        viewset = obj.snippet_viewset
        action_url = viewset.get_url_name("workflow_action")
        preview_url = viewset.get_url_name("workflow_preview")
        compare_url = viewset.get_url_name("revisions_compare")
    if not getattr(obj, "is_previewable", False):
        preview_url = None
    return {
        "obj": obj,
        "revision": state.revision,
        "previous_revision_id": state.previous_revision_id,
        "live_revision_id": obj.live_revision_id,
        "task_state": state,
        "actions": state.task.specific.get_actions(obj, user),
        "workflow_tasks": statuses[state.workflow_state_id],
        "workflow_action_url_name": action_url,
        "workflow_preview_url_name": preview_url,
        "revisions_compare_url_name": compare_url,
    }


class InWorkflowPanel(UserObjectsInWorkflowModerationPanel):
    """Wagtail's "Your pages and snippets in a workflow", with the campaigns' units read
    at once: each row's edit link asks the campaign rules, which ask the unit."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        with_units([state.content_object for state in context["workflow_states"]])
        return context


def with_units(objects) -> None:
    """Load the unit of every object that has one (campaigns), in one query."""
    prefetch_related_objects([obj for obj in objects if hasattr(type(obj), "unit")], "unit")


#: Wagtail's dashboard panels and the ones that replace them.
PANELS = {
    WorkflowObjectsToModeratePanel: ModerationPanel,
    UserObjectsInWorkflowModerationPanel: InWorkflowPanel,
}


def replace_workflow_panels(request, panels: list) -> None:
    """For the ``construct_homepage_panels`` hook."""
    for index, panel in enumerate(panels):
        if type(panel) in PANELS:
            panels[index] = PANELS[type(panel)]()
