"""Log actions of the org approval workflow (shown in each campaign's history)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("register_log_actions")
def register_approval_log_actions(actions):
    for action, label, message in (
        ("approval_routed_up", _("Approval routed up"),
         _("Nobody held the role at the unit: the approval went one level up")),
        ("approval_skipped", _("Approval skipped"), _("Approval step skipped (fast lane or "
                                                      "not asked for by the template)")),
        ("approval_escalated", _("Approval escalated"),
         _("Overdue approval escalated to the next level up")),
        ("approval_overdue", _("Approval overdue"), _("Approval overdue, nobody above")),
        ("approval_override", _("Approval override"), _("HQ acted in place of the approvers")),
    ):  # fmt: skip
        actions.register_action(f"wagtail_distmark.{action}", label, message)
