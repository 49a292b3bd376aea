"""The org approval task: its approvers are computed from the org tree (``routing.py``).

The task state records the approving unit and the lowest role that may approve, so "which
tasks can I moderate?" is one query on the user's cached memberships, and escalation only has
to move the state one unit up.
"""

from __future__ import annotations

import datetime

import rules
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogContext, log
from wagtail.models import Task, TaskState
from wagtail.signals import task_submitted

from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.named import is_registered
from wagtail_distmark.rules.scope import get_scope
from wagtail_distmark.rules.workflows import APPROVE, MODERATE, can_approve_as_routed, routed_q
from wagtail_distmark.workflows import routing
from wagtail_distmark.workflows.fast_lane import fast_lane_reason


def may_moderate(user, task_state) -> bool:
    """The rule ``moderate_taskstate`` itself (a site's ``rules.set_perm`` included), not
    ``user.has_perm``: Django's backend says yes to every permission of a superuser, and the
    rule's "never the person who submitted it" must hold for superusers too."""
    return user.is_active and rules.has_perm(MODERATE, user, task_state)


class OrgApprovalTask(Task):
    class Approver(models.TextChoices):
        UNIT_MANAGER = "unit_manager", _("The unit's own manager")
        REGIONAL_MANAGER = "regional_manager", _("The nearest regional manager")
        HQ_ADMIN = "hq_admin", _("Head office")

    class When(models.TextChoices):
        ALWAYS = "always", _("Always")
        TEMPLATE_ASKS = "template_asks", _("Only when the campaign's template asks for it")

    approver = models.CharField(
        _("approver"), max_length=32, choices=Approver.choices, default=Approver.UNIT_MANAGER,
        help_text=_("Found from the org tree; if nobody holds the role there, one level up."),
    )  # fmt: skip
    when = models.CharField(
        _("when"), max_length=20, choices=When.choices, default=When.ALWAYS,
        help_text=_("A step the template does not ask for is approved at once (and logged)."),
    )  # fmt: skip
    deadline_hours = models.PositiveIntegerField(
        _("deadline (hours)"), default=48,
        help_text=_("After this, the approval escalates to the next level up the tree."),
    )  # fmt: skip

    admin_form_fields = Task.admin_form_fields + ["approver", "when", "deadline_hours"]

    class Meta:
        verbose_name = _("org approval task")
        verbose_name_plural = _("org approval tasks")

    @classmethod
    def get_description(cls):
        return _(
            "Approved by the campaign unit's manager, the nearest regional manager or head "
            "office, found from the org tree."
        )

    @classmethod
    def get_task_state_class(cls):
        return OrgApprovalTaskState

    # -- starting ------------------------------------------------------------------------

    @transaction.atomic
    def start(self, workflow_state, user=None):
        campaign = workflow_state.content_object
        # On a resubmission Wagtail hands over the object it loaded before saving the new
        # revision: its latest_revision is the one sent back. Judge what was just submitted.
        campaign.refresh_from_db(fields=["latest_revision"])
        found = routing.route(campaign.unit, self.approver, submitter=workflow_state.requested_by)
        task_state = OrgApprovalTaskState(
            workflow_state=workflow_state,
            task=self,
            status=TaskState.STATUS_IN_PROGRESS,
            revision=campaign.get_latest_revision(),
            approving_unit=found.unit,
            approver_rank=found.rank,
            due_at=timezone.now() + datetime.timedelta(hours=self.deadline_hours),
        )
        task_state.save()
        own_unit_expected = self.approver == self.Approver.UNIT_MANAGER
        if found.found and (not found.exact or (own_unit_expected and found.skipped)):
            log_routed_up(campaign, found)
        # The submitted content is the revision's (a live campaign's row keeps its live content).
        skip = self.skip_reason(
            task_state.revision.as_object() if task_state.revision else campaign
        )
        if skip:
            # A log context of its own: Wagtail's history shows one entry per request and
            # action, so an approval done in the approver's request would hide theirs.
            with LogContext(user=None):
                log(
                    campaign, "wagtail_distmark.approval_skipped",
                    data={"reason": str(skip), "task": self.name}, revision=task_state.revision,
                )  # fmt: skip
                task_state.approve(user=None, update=False, comment=str(skip))
            return task_state  # Wagtail moves on to the next step
        task_submitted.send(sender=OrgApprovalTaskState, instance=task_state, user=user)
        return task_state

    def skip_reason(self, campaign) -> str | None:
        if self.when == self.When.TEMPLATE_ASKS and not campaign.template.needs_extra_approval:
            return _("The template does not ask for this step.")
        return fast_lane_reason(campaign)

    # -- who may do what -----------------------------------------------------------------

    def user_can_access_editor(self, obj, user):
        return self.may_moderate(obj, user)

    def locked_for_user(self, obj, user):
        return not self.may_moderate(obj, user)

    def user_can_lock(self, obj, user):
        return self.may_moderate(obj, user)

    def get_actions(self, obj, user):
        if not self.may_moderate(obj, user):
            return []
        return [
            ("reject", _("Request changes"), True),
            ("approve", _("Approve"), False),
            ("approve", _("Approve with comment"), True),
        ]

    def may_moderate(self, obj, user) -> bool:
        """A computed approver, or an HQ admin above the unit (an override); never the person
        who submitted it (the named rule ``moderate_taskstate``)."""
        state = self.current_state(obj)
        return state is not None and may_moderate(user, state)

    def current_state(self, obj) -> OrgApprovalTaskState | None:
        if hasattr(obj, "_current_workflow_states"):  # read once (campaigns/editing.py)
            state = obj.current_workflow_task_state
            if state is None or state.task_id != self.pk:
                return None
            return state if state.status == TaskState.STATUS_IN_PROGRESS else None
        return (
            OrgApprovalTaskState.objects.filter(
                task=self, status=TaskState.STATUS_IN_PROGRESS,
                workflow_state__object_id=str(obj.pk),
                workflow_state__base_content_type=obj.get_base_content_type(),
            )
            .select_related("workflow_state")
            .first()
        )  # fmt: skip

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        """Judge the task state's own campaign, whatever URL brought it: a user who is neither
        a routed approver nor HQ above that campaign's unit is refused, and nothing changes."""
        state = task_state.specific
        if state.task_id != self.pk or not may_moderate(user, state):
            raise PermissionDenied
        if not state.is_approver(user):
            log(
                state.workflow_state.content_object, "wagtail_distmark.approval_override",
                data={"action": action_name, "unit": str(state.approving_unit or "")},
                user=user,
            )  # fmt: skip
        super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        """The states routed to the user (the ``approve_taskstate`` rule): one query with
        its queryset twin; a site's own rule is asked of each in-progress state."""
        states = OrgApprovalTaskState.objects.filter(task=self)
        if is_registered(APPROVE, can_approve_as_routed):
            return states.routed_to(user)
        in_progress = states.filter(status=TaskState.STATUS_IN_PROGRESS)
        approved = [state.pk for state in in_progress if state.is_approver(user)]
        return in_progress.filter(pk__in=approved)


def log_routed_up(campaign, found: routing.Route) -> None:
    log(
        campaign, "wagtail_distmark.approval_routed_up",
        data={"skipped": [str(unit) for unit in found.skipped], "unit": str(found.unit)},
    )  # fmt: skip


class OrgApprovalTaskStateQuerySet(models.QuerySet):
    def routed_to(self, user):
        """In-progress states whose approving unit is one of the user's, at their rank."""
        scope = get_scope(user)
        if not scope.grants:
            return self.none()
        return self.filter(routed_q(scope), status=TaskState.STATUS_IN_PROGRESS)


class OrgApprovalTaskState(TaskState):
    approving_unit = models.ForeignKey(
        OrgUnit, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("approving unit"),
    )  # fmt: skip
    approver_rank = models.PositiveSmallIntegerField(_("lowest approving rank"), default=0)
    due_at = models.DateTimeField(_("due at"), null=True, db_index=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)

    objects = OrgApprovalTaskStateQuerySet.as_manager()

    class Meta:
        verbose_name = _("org approval task state")
        verbose_name_plural = _("org approval task states")

    def is_approver(self, user) -> bool:
        """A routed approver (the ``approve_taskstate`` rule): acting is not an override.

        Asked of the rules themselves: Django answers ``user.has_perm`` with yes for every
        superuser, who overrides like any other non-approver."""
        return rules.has_perm(APPROVE, user, self)

    def approvers(self):
        return routing.approvers(self.approving_unit, self.approver_rank)
