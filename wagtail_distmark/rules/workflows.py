"""Predicates on approvals: the object is a workflow task state (``OrgApprovalTaskState``).

A task state is judged by its own content (never the object a URL names) and by the unit
its approval was routed to. Three named rules: ``approve_taskstate`` (a routed approver),
``override_taskstate`` (may act without being one: HQ above the content's unit; logged) and
``moderate_taskstate`` (may act now), which asks the other two by name, so a site's
override of either changes who may act, and the approval actions offered, by itself.
"""

from functools import reduce
from operator import or_

import rules
from django.db.models import Q

from wagtail_distmark.rules.named import asks
from wagtail_distmark.rules.org import is_distmark_superuser, is_head_office, is_hq_admin_of
from wagtail_distmark.rules.scope import Scope, get_scope

APPROVE = "wagtail_distmark.approve_taskstate"
OVERRIDE = "wagtail_distmark.override_taskstate"
MODERATE = "wagtail_distmark.moderate_taskstate"


def task_content(task_state):
    """The object a workflow task state is about (never the one in a URL)."""
    return task_state.workflow_state.content_object


@rules.predicate
def is_routed_approver(user, task_state) -> bool:
    """A role on the unit the approval was routed to, at the rank it asks or above."""
    unit_id = getattr(task_state, "approving_unit_id", None)
    rank = getattr(task_state, "approver_rank", 0)
    return unit_id is not None and any(
        g.unit_id == unit_id and g.rank >= rank for g in get_scope(user).grants
    )


def routed_q(scope: Scope) -> Q:
    """The task states routed to one of the scope's units at its rank there: the queryset
    twin of :func:`is_routed_approver` (``OrgApprovalTaskState.objects.routed_to``)."""
    if not scope.grants:
        return Q(pk__in=[])
    return reduce(
        or_, (Q(approving_unit_id=g.unit_id, approver_rank__lte=g.rank) for g in scope.grants)
    )


@rules.predicate
def is_hq_admin_of_its_content(user, task_state) -> bool:
    """HQ admin of the unit of the task state's own object (or above): may act in place of
    the routed approvers (an override, logged)."""
    unit = getattr(task_content(task_state), "unit", None)
    return unit is not None and is_hq_admin_of(user, unit)


@rules.predicate
def submitted_it(user, task_state) -> bool:
    return task_state.workflow_state.requested_by_id == user.pk


@rules.predicate
def is_awaiting_action(user, task_state) -> bool:
    return task_state.status == task_state.STATUS_IN_PROGRESS


can_approve_as_routed = is_routed_approver
can_override_approval = is_distmark_superuser | is_hq_admin_of_its_content
can_moderate_task_state = is_awaiting_action & ~submitted_it & (asks(APPROVE) | asks(OVERRIDE))
#: How campaigns are approved (a read-only page): HQ's.
can_view_approval_setup = is_head_office
