"""What the campaign editor reads once per request instead of once per question.

Wagtail's snippet editor loaded the campaign and its latest revision twice (in ``setup()``
and again in Django's ``BaseUpdateView.get()``), and its lock, action menu, side panels and
our approval task each asked the database for the campaign's current workflow state: about
60 queries for a draft, 85 for a campaign in review. The edit view
(:class:`~wagtail_distmark.campaigns.admin.CampaignEditView`) loads the row once, with its
unit, template and latest revision, and on a GET (which changes nothing) hands every reader
the same workflow state, workflow and scheduled revision.

Two Wagtail internals are relied on, each pinned by a test in ``tests/test_query_counts.py``
that fails if a Wagtail release changes it: ``_current_workflow_states`` (the attribute
Wagtail's own ``prefetch_workflow_states()`` fills for page listings, read by
``current_workflow_state`` and ``workflow_in_progress``) and the body of
``CreateEditViewOptionalFeaturesMixin.get_object()``, which the view re-does below.
"""

from __future__ import annotations

from wagtail.models import WorkflowState

#: Foreign keys a revision cannot change (not in the campaign form): the revision's object
#: shares the live row's, already loaded.
FIXED_RELATIONS = ("unit", "template")


def latest_revision_as_object(live):
    """``DraftStateMixin.get_latest_revision_as_object()`` for a row loaded with its latest
    revision: Wagtail's loads the row again (``revision.content_object``), then its latest
    revision again, and leaves the unit and template to be loaded once more."""
    revision = live.latest_revision
    if not live.has_unpublished_changes or revision is None:
        return live
    obj = live.with_content_json(revision.content)
    for name in FIXED_RELATIONS:
        if getattr(obj, f"{name}_id") == getattr(live, f"{name}_id"):
            setattr(obj, name, getattr(live, name))
    return obj


def remember_active_workflow_states(obj, states) -> None:
    """Let ``obj`` answer Wagtail's "which workflow states are active?" from ``states``,
    already read: the one place that writes Wagtail's private cache for it
    (``_current_workflow_states``, pinned by ``tests/test_query_counts.py``)."""
    obj._current_workflow_states = states


def read_workflow_once(obj, live) -> None:
    """Let ``obj`` (the editor's object) and ``live`` (the row) answer every question about
    their workflow from one read: the active workflow state (with its workflow, requester,
    current task state and task), the workflow assigned to campaigns, the scheduled revision.
    """
    states = list(
        WorkflowState.objects.for_instance(live)
        .active()
        .select_related("workflow", "requested_by", "current_task_state__task")
    )
    for state in states:
        # Its campaign is the row in hand (``user_can_cancel()`` and our rules ask it).
        WorkflowState._meta.get_field("content_object").set_cached_value(state, live)
        task_state = state.current_task_state
        if state.status == WorkflowState.STATUS_IN_PROGRESS and task_state:
            # The specific task state (our approval task's) shares the rows already read.
            specific = task_state.specific
            specific.workflow_state, specific.task = state, task_state.task
    workflow = live.get_workflow()
    scheduled = live.scheduled_revision
    for instance in {id(obj): obj, id(live): live}.values():
        remember_active_workflow_states(instance, states)
        instance.get_workflow = lambda: workflow
        instance.__dict__["scheduled_revision"] = scheduled  # a cached_property
