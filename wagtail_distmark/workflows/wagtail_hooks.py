"""Log actions of the org approval workflow (shown in each campaign's history), HQ's
read-only page of how campaigns are approved, and the dashboard's review panel."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter

from wagtail_distmark.workflows import dashboard, views


class RoutedUp(LogFormatter):
    label = _("Approval routed up")

    def format_message(self, log_entry):
        return _("Nobody held the role at %(skipped)s: the approval went to %(unit)s") % {
            "skipped": ", ".join(log_entry.data.get("skipped", [])) or "?",
            "unit": log_entry.data.get("unit", "?"),
        }


class Skipped(LogFormatter):
    label = _("Approval skipped")

    def format_message(self, log_entry):
        return _("Approval step “%(task)s” skipped: %(reason)s") % {
            "task": log_entry.data.get("task", "?"), "reason": log_entry.data.get("reason", ""),
        }  # fmt: skip


class Escalated(LogFormatter):
    label = _("Approval escalated")

    def format_message(self, log_entry):
        return _("Overdue approval escalated from %(from)s to %(to)s") % {
            "from": log_entry.data.get("from", "?"), "to": log_entry.data.get("to", "?"),
        }  # fmt: skip


class Overdue(LogFormatter):
    label = _("Approval overdue")

    def format_message(self, log_entry):
        return _("Approval overdue at %(unit)s, nobody above") % {
            "unit": log_entry.data.get("unit", "?")
        }


class Override(LogFormatter):
    label = _("Approval override")

    def format_message(self, log_entry):
        return _("HQ acted in place of the approvers of %(unit)s (%(action)s)") % {
            "unit": log_entry.data.get("unit", "?"), "action": log_entry.data.get("action", ""),
        }  # fmt: skip


FORMATTERS = {
    "approval_routed_up": RoutedUp,
    "approval_skipped": Skipped,
    "approval_escalated": Escalated,
    "approval_overdue": Overdue,
    "approval_override": Override,
}


@hooks.register("register_log_actions")
def register_approval_log_actions(actions):
    for name, formatter in FORMATTERS.items():
        actions.register_action(f"wagtail_distmark.{name}")(formatter)


@hooks.register("register_admin_urls")
def register_approval_setup_url():
    return [
        path("distmark/approval-setup/", views.approval_setup_view, name="distmark_approval_setup")
    ]


class ApprovalSetupMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(views.VIEW)


@hooks.register("register_reports_menu_item")
def register_approval_setup_menu_item():
    return ApprovalSetupMenuItem(
        _("Campaign approval"), reverse("distmark_approval_setup"), icon_name="tasks", order=900
    )


@hooks.register("construct_homepage_panels")
def list_workflows_in_bulk(request, panels):
    """The workflow panels in a constant number of queries (``dashboard.py``)."""
    dashboard.replace_workflow_panels(request, panels)
