"""Fast lane, steps the template asks for, escalation of overdue approvals, the send gate."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from wagtail.models import TaskState, WorkflowState

from tests.campaigns.test_admin import body_with
from tests.workflows.conftest import act, submit
from tests.workflows.test_approval import actions_logged, state_of
from wagtail_distmark.workflows.escalation import escalate_overdue
from wagtail_distmark.workflows.models import OrgApprovalTaskState

pytestmark = pytest.mark.django_db


def workflow_status(campaign):
    return WorkflowState.objects.get(object_id=str(campaign.pk)).status


def test_fast_lane_skips_approval_for_constrained_changes_only(
    net, client_for, campaign, brand_template, eager_celery, django_capture_on_commit_callbacks
):
    brand_template.fast_lane = "constrained"
    brand_template.save()
    body = body_with(campaign, 1, discount=15)  # the constrained offer zone
    from tests.campaigns.test_admin import edit_form_data

    with django_capture_on_commit_callbacks(execute=True):
        data = {**edit_form_data(campaign, body), "action-submit": "1"}
        client_for(net.users["editor_a"]).post(
            f"/admin/snippets/wagtail_distmark/localcampaign/edit/{campaign.pk}/", data
        )
    assert workflow_status(campaign) == WorkflowState.STATUS_APPROVED
    assert mail.outbox == []  # nobody to ask
    assert actions_logged(campaign).count("wagtail_distmark.approval_skipped") == 2
    state = OrgApprovalTaskState.objects.get(task__name="Store manager approval")
    assert state.comment.startswith("Fast lane: only zones the template lets units change")
    campaign.refresh_from_db()
    assert campaign.sending_readiness().ready


def test_an_editable_zone_change_takes_the_normal_lane(net, client_for, campaign, brand_template):
    brand_template.fast_lane = "constrained"
    brand_template.save()
    from tests.campaigns.test_admin import edit_form_data

    body = body_with(campaign, 0, heading="Our own heading")  # the editable hero
    data = {**edit_form_data(campaign, body), "action-submit": "1"}
    client_for(net.users["editor_a"]).post(
        f"/admin/snippets/wagtail_distmark/localcampaign/edit/{campaign.pk}/", data
    )
    assert workflow_status(campaign) == WorkflowState.STATUS_IN_PROGRESS


def test_the_regional_step_runs_when_the_template_asks(
    net, client_for, campaign, brand_template, eager_celery, django_capture_on_commit_callbacks
):
    brand_template.needs_extra_approval = True
    brand_template.save()
    submit(client_for(net.users["editor_a"]), campaign)
    with django_capture_on_commit_callbacks(execute=True):
        act(client_for(net.users["manager_a"]), campaign, "approve")
    regional = state_of(campaign)
    assert (regional.task.name, regional.approving_unit) == (
        "Regional approval",
        net.units["north"],
    )
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["editor_a@example.com", "regional_north@example.com"]
    step_mail = next(m for m in mail.outbox if m.to == ["editor_a@example.com"])
    assert "“Store manager approval” was approved by" in step_mail.body
    act(client_for(net.users["regional_north"]), campaign, "approve")
    assert workflow_status(campaign) == WorkflowState.STATUS_APPROVED


def test_overdue_approvals_escalate_up_the_tree(
    net, client_for, campaign, eager_celery, django_capture_on_commit_callbacks
):
    submit(client_for(net.users["editor_a"]), campaign)
    state = state_of(campaign)
    assert escalate_overdue(now=state.due_at - datetime.timedelta(minutes=1)) == 0
    later = state.due_at + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue(now=later) == 1
    state.refresh_from_db()
    assert (state.approving_unit, state.escalations) == (net.units["north"], 1)
    assert state.due_at == later + datetime.timedelta(hours=48)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "editor_a@example.com", "regional_north@example.com",
    ]  # fmt: skip
    assert "Nobody at Store A approved it in time" in mail.outbox[0].body
    assert "wagtail_distmark.approval_escalated" in actions_logged(campaign)
    # The new approver may act; the store manager no longer is the approver (but may
    # still see it: their own unit's campaign).
    task = state.task.specific
    assert task.get_actions(campaign, net.fresh("regional_north"))
    assert state.is_approver(net.fresh("regional_north"))
    assert not state.is_approver(net.fresh("manager_a"))
    # Then HQ; at the top it stays and says so.
    escalate_overdue(now=state.due_at + datetime.timedelta(hours=1))
    state.refresh_from_db()
    assert state.approving_unit == net.units["hq"]
    assert escalate_overdue(now=state.due_at + datetime.timedelta(hours=1)) == 0
    assert "wagtail_distmark.approval_overdue" in actions_logged(campaign)
    assert state_of(campaign).status == TaskState.STATUS_IN_PROGRESS


def test_the_gate_refuses_with_a_reason(net, client_for, campaign, brand_template):
    from wagtail_distmark.models import NotReadyToSend

    assert campaign.sending_readiness().reason == "It has not been submitted for approval."
    submit(client_for(net.users["editor_a"]), campaign)
    act(client_for(net.users["manager_a"]), campaign, "approve")
    campaign.refresh_from_db()
    assert campaign.sending_readiness().ready
    brand_template.valid_until = timezone.now() - datetime.timedelta(days=1)
    brand_template.save()
    campaign.refresh_from_db()
    with pytest.raises(NotReadyToSend, match="Its brand template “Autumn promotion” is no"):
        campaign.schedule(at=timezone.now())
    campaign.refresh_from_db()
    assert campaign.scheduled_at is None


def test_changes_after_approval_need_a_new_approval(net, client_for, campaign):
    from tests.campaigns.test_admin import edit_form_data, snippet_url

    submit(client_for(net.users["editor_a"]), campaign)
    act(client_for(net.users["manager_a"]), campaign, "approve")
    client_for(net.users["editor_a"]).post(
        snippet_url("edit", campaign.pk), edit_form_data(campaign, name="Changed later")
    )
    campaign.refresh_from_db()
    readiness = campaign.sending_readiness()
    assert (readiness.ready, readiness.reason) == (
        False, "It was changed after its approval: submit it again.",
    )  # fmt: skip


def test_campaigns_cannot_be_published_directly(net, client_for, campaign):
    from tests.campaigns.test_admin import edit_form_data, snippet_url

    client = client_for(net.users["manager_a"])
    html = client.get(snippet_url("edit", campaign.pk)).content.decode()
    assert 'name="action-submit"' in html and 'name="action-publish"' not in html
    # A crafted publish is refused on the server, and nothing goes live.
    revisions = campaign.revisions.count()
    data = {**edit_form_data(campaign), "action-publish": "1"}
    response = client.post(snippet_url("edit", campaign.pk), data)
    assert response.status_code == 403
    assert "A campaign goes live when its approval workflow approves it" in (
        response.content.decode()
    )
    campaign.refresh_from_db()
    assert not campaign.live and campaign.revisions.count() == revisions
    assert campaign.sending_readiness().reason == "It has not been submitted for approval."


def test_resubmitting_a_live_campaign_judges_the_submitted_revision(
    net, client_for, campaign, brand_template
):
    """After a first approval the campaign is live: its row keeps the live content, the
    fast lane must look at what was submitted."""
    from tests.campaigns.test_admin import edit_form_data, snippet_url

    submit(client_for(net.users["editor_a"]), campaign)
    act(client_for(net.users["manager_a"]), campaign, "approve")
    brand_template.fast_lane = "constrained"
    brand_template.save()
    campaign.refresh_from_db()
    body = body_with(campaign, 0, heading="A new heading")  # editable: not the fast lane
    data = {**edit_form_data(campaign, body), "action-submit": "1"}
    client_for(net.users["editor_a"]).post(snippet_url("edit", campaign.pk), data)
    latest = WorkflowState.objects.filter(object_id=str(campaign.pk)).latest("created_at")
    assert latest.status == WorkflowState.STATUS_IN_PROGRESS
