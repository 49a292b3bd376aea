"""A campaign sent back with "request changes" and submitted again is judged on what was
submitted the second time: the new task state pins the latest revision (issue 9, break 10)."""

import pytest
from wagtail.models import TaskState, WorkflowState

from tests.campaigns.test_admin import body_with, edit_form_data, snippet_url
from tests.workflows.conftest import act, submit
from wagtail_distmark.workflows.models import OrgApprovalTaskState

pytestmark = pytest.mark.django_db


def resubmit(client, campaign, body):
    campaign.refresh_from_db()
    data = {**edit_form_data(campaign, body), "action-submit": "1"}
    return client.post(snippet_url("edit", campaign.pk), data)


def test_a_resubmission_pins_the_revision_submitted_again(net, client_for, campaign):
    editor = client_for(net.users["editor_a"])
    submit(editor, campaign)
    act(client_for(net.users["manager_a"]), campaign, "reject", comment="Say more")
    first = OrgApprovalTaskState.objects.get().revision_id
    editor = client_for(net.fresh("editor_a"))
    response = resubmit(editor, campaign, body_with(campaign, 0, heading="Autumn, said better"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    state = OrgApprovalTaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS).get()
    assert state.revision_id == campaign.latest_revision_id != first
    assert state.revision.as_object().body[0].value["heading"] == "Autumn, said better"


def test_a_resubmission_takes_the_fast_lane_on_what_was_submitted_again(
    net, client_for, campaign, brand_template
):
    """First an editable change (approval needed, sent back), then the editable change
    undone and only the constrained discount changed: the fast lane applies."""
    brand_template.fast_lane = "constrained"
    brand_template.save()
    editor = client_for(net.users["editor_a"])
    resubmit(editor, campaign, body_with(campaign, 0, heading="Our own heading"))
    act(client_for(net.users["manager_a"]), campaign, "reject", comment="Keep HQ's heading")
    body = body_with(campaign, 1, discount=15)
    body[0]["value"]["heading"] = "Autumn is here"
    resubmit(client_for(net.fresh("editor_a")), campaign, body)
    state = WorkflowState.objects.get(object_id=str(campaign.pk))
    assert state.status == WorkflowState.STATUS_APPROVED
    last = OrgApprovalTaskState.objects.filter(task__name="Store manager approval").latest("pk")
    assert last.comment.startswith("Fast lane")
    assert last.revision_id == state.content_object.latest_revision_id


def test_the_skip_is_logged_against_the_revision_it_judged(
    net, client_for, campaign, brand_template
):
    from wagtail.models import ModelLogEntry

    brand_template.fast_lane = "constrained"
    brand_template.save()
    resubmit(client_for(net.users["editor_a"]), campaign, body_with(campaign, 0, heading="Ours"))
    act(client_for(net.users["manager_a"]), campaign, "reject", comment="Keep HQ's heading")
    body = body_with(campaign, 1, discount=15)
    body[0]["value"]["heading"] = "Autumn is here"
    resubmit(client_for(net.fresh("editor_a")), campaign, body)
    campaign.refresh_from_db()
    skipped = ModelLogEntry.objects.filter(action="wagtail_distmark.approval_skipped").latest("pk")
    assert skipped.revision_id == campaign.latest_revision_id
