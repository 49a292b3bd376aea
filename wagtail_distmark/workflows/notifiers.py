"""Wagtail's own outcome e-mails ("approved", "sent back for changes"), for local campaigns
written in the recipient's language, naming who decided by their full name, with their comment
and a link to the campaign.

Wagtail renders them in the recipient's chosen admin language, else in the language active
when the signal fires: the approver's. These notifiers take their place (same signal, sender
and ``dispatch_uid``) and behave exactly like Wagtail's for anything that is not a campaign.
"""

from __future__ import annotations

from django.utils.translation import override
from wagtail.admin.mail import (
    WorkflowStateApprovalEmailNotifier,
    WorkflowStateRejectionEmailNotifier,
)

from wagtail_distmark.campaigns.models import LocalCampaign
from wagtail_distmark.workflows.mail import edit_link, name_of, recipient_language


def campaign_of(workflow_state):
    content = workflow_state.content_object
    return content if isinstance(content, LocalCampaign) else None


def last_decision(workflow_state):
    """The last step someone decided (a skipped step has nobody): who, and their comment."""
    return (
        workflow_state.task_states.filter(finished_at__isnull=False, finished_by__isnull=False)
        .select_related("finished_by")
        .order_by("-finished_at", "-pk")
        .first()
    )


class CampaignOutcomeMixin:
    #: Templates of our own, where Wagtail's leave out who approved and why.
    own_templates: tuple[str, ...] = ()

    def get_template_set(self, instance, **kwargs):
        if self.notification not in self.own_templates or campaign_of(instance) is None:
            return super().get_template_set(instance, **kwargs)
        base = f"wagtail_distmark/notifications/workflow_state_{self.notification}"
        return {"subject": f"{base}_subject.txt", "text": f"{base}.txt", "html": f"{base}.html"}

    def get_context(self, workflow_state, **kwargs):
        context = super().get_context(workflow_state, **kwargs)
        campaign = campaign_of(workflow_state)
        if campaign is not None:
            decision = last_decision(workflow_state)
            finished_by = decision.finished_by if decision else None
            context.update(
                unit=campaign.unit,
                decided_by=name_of(finished_by) if finished_by else "",
                comment=context.get("comment") or (decision.get_comment() if decision else ""),
                edit_url=edit_link(campaign),
            )
        return context

    def send_emails(self, template_set, context, recipients, **kwargs):
        unit = context.get("unit")
        if unit is None:
            return super().send_emails(template_set, context, recipients, **kwargs)
        results = []
        for recipient in recipients:
            with override(recipient_language(recipient, unit)):
                results.append(super().send_emails(template_set, context, [recipient], **kwargs))
        return all(results)


class CampaignApprovalNotifier(CampaignOutcomeMixin, WorkflowStateApprovalEmailNotifier):
    own_templates = ("approved",)


class CampaignRejectionNotifier(CampaignOutcomeMixin, WorkflowStateRejectionEmailNotifier):
    """Wagtail's "rejected" text already names the rejector and quotes the comment."""
