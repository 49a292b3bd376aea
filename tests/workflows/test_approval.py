"""The org approval workflow end to end through the admin: submit, route, notify, act."""

import pytest
from django.core import mail
from wagtail.models import ModelLogEntry, TaskState, WorkflowState

from tests.factories import MembershipFactory
from tests.workflows.conftest import act, campaign_of, submit
from wagtail_distmark.workflows.models import OrgApprovalTask, OrgApprovalTaskState

pytestmark = pytest.mark.django_db


def state_of(campaign) -> OrgApprovalTaskState:
    return OrgApprovalTaskState.objects.get(
        workflow_state__object_id=str(campaign.pk), status=TaskState.STATUS_IN_PROGRESS
    )


def actions_logged(campaign) -> list[str]:
    return list(
        ModelLogEntry.objects.filter(object_id=str(campaign.pk))
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


def test_submit_routes_to_the_store_manager_and_emails_exactly_them(
    net, client_for, campaign, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client_for(net.users["editor_a"]), campaign)
    assert response.status_code == 302
    state = state_of(campaign)
    assert state.approving_unit == net.units["a"]
    assert [m.to for m in mail.outbox] == [["manager_a@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "Approval needed: Autumn at a (Store A)"
    assert f"/admin/snippets/wagtail_distmark/localcampaign/edit/{campaign.pk}/" in message.body
    assert "wagtail.workflow.start" in actions_logged(campaign)


def test_a_store_without_a_manager_goes_one_level_up_and_says_so(
    net, client_for, brand_template, workflow, eager_celery, django_capture_on_commit_callbacks
):
    MembershipFactory(user=net.users["editor_a"], unit=net.units["b"], role="unit_editor")
    campaign = campaign_of(net, client_for, brand_template, "editor_a", "b")
    with django_capture_on_commit_callbacks(execute=True):
        submit(client_for(net.users["editor_a"]), campaign)
    assert state_of(campaign).approving_unit == net.units["north"]
    assert [m.to for m in mail.outbox] == [["regional_north@example.com"]]
    assert "wagtail_distmark.approval_routed_up" in actions_logged(campaign)


def test_nobody_approves_their_own_submission(
    net, client_for, brand_template, workflow, eager_celery, django_capture_on_commit_callbacks
):
    campaign = campaign_of(net, client_for, brand_template, "manager_a", "a")
    client = client_for(net.users["manager_a"])
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, campaign)
    # Store A's only manager submitted it: the approval goes to the North's manager.
    assert state_of(campaign).approving_unit == net.units["north"]
    assert [m.to for m in mail.outbox] == [["regional_north@example.com"]]
    response = act(client, campaign, "approve")
    assert response.status_code in (302, 403)
    assert state_of(campaign).status == TaskState.STATUS_IN_PROGRESS


def test_manager_approves_and_the_campaign_is_ready_to_send(net, client_for, campaign):
    submit(client_for(net.users["editor_a"]), campaign)
    readiness = campaign.sending_readiness()
    assert not readiness.ready and readiness.reason == "It is waiting for approval."
    response = act(client_for(net.users["manager_a"]), campaign, "approve", "Lovely")
    assert response.status_code == 302
    campaign.refresh_from_db()
    workflow_state = WorkflowState.objects.get(object_id=str(campaign.pk))
    assert workflow_state.status == WorkflowState.STATUS_APPROVED
    assert campaign.live
    assert campaign.sending_readiness() == (True, "Approved and ready to send.")
    campaign.schedule(at=None)  # allowed now


def test_editor_cannot_approve_and_another_region_cannot_even_see(net, client_for, campaign):
    submit(client_for(net.users["editor_a"]), campaign)
    assert (
        OrgApprovalTask.objects.get(name="Store manager approval").get_actions(
            campaign, net.fresh("editor_a")
        )
        == []
    )
    for username, statuses in (("editor_a", (302, 403)), ("manager_c", (404,))):
        response = act(client_for(net.users[username]), campaign, "approve")
        assert response.status_code in statuses, username
        assert "Autumn at a" not in response.content.decode() or username == "editor_a"
    assert state_of(campaign).status == TaskState.STATUS_IN_PROGRESS


def test_request_changes_with_a_comment_blocks_sending(net, client_for, campaign):
    from wagtail_distmark.models import NotReadyToSend

    submit(client_for(net.users["editor_a"]), campaign)
    act(client_for(net.users["manager_a"]), campaign, "reject", "Use the autumn photo")
    state = OrgApprovalTaskState.objects.get()
    assert (state.status, state.comment) == (TaskState.STATUS_REJECTED, "Use the autumn photo")
    with pytest.raises(NotReadyToSend, match="Changes were requested"):
        campaign.schedule(at=None)
    campaign.refresh_from_db()
    assert campaign.scheduled_at is None


def test_hq_can_always_act_and_it_is_logged_as_an_override(net, client_for, campaign):
    submit(client_for(net.users["editor_a"]), campaign)
    act(client_for(net.users["hq"]), campaign, "approve")
    state = OrgApprovalTaskState.objects.get(task__name="Store manager approval")
    assert state.status == TaskState.STATUS_APPROVED
    assert "wagtail_distmark.approval_override" in actions_logged(campaign)


def test_while_in_review_the_submitter_cannot_edit_but_the_approver_can(net, client_for, campaign):
    from tests.campaigns.test_admin import edit_form_data, snippet_url

    submit(client_for(net.users["editor_a"]), campaign)
    task = OrgApprovalTask.objects.get(name="Store manager approval")
    assert task.locked_for_user(campaign, net.fresh("editor_a"))
    assert not task.locked_for_user(campaign, net.fresh("manager_a"))
    revisions = campaign.revisions.count()
    data = edit_form_data(campaign, name="Changed in review")
    client_for(net.users["editor_a"]).post(snippet_url("edit", campaign.pk), data)
    assert campaign.revisions.count() == revisions
    # Edit then approve: the approver saves a change and approves in one go.
    data = {**edit_form_data(campaign, name="Fixed by the manager"),
            "action-workflow-action": "1", "workflow-action-name": "approve"}  # fmt: skip
    response = client_for(net.users["manager_a"]).post(snippet_url("edit", campaign.pk), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Fixed by the manager" and campaign.live


def test_only_routed_approvers_see_the_task_on_their_dashboard(net, client_for, campaign):
    submit(client_for(net.users["editor_a"]), campaign)
    html = client_for(net.users["manager_a"]).get("/admin/").content.decode()
    assert "Awaiting your review" in html and "Autumn at a" in html
    for username in ("manager_c", "regional_north"):
        html = client_for(net.users[username]).get("/admin/").content.decode()
        assert "Autumn at a" not in html, username
    # The submitter sees it among their own items in a workflow, not as a review for them.
    html = client_for(net.users["editor_a"]).get("/admin/").content.decode()
    assert "Awaiting your review" not in html and "Autumn at a" in html


def test_what_can_i_moderate_is_one_query(net, client_for, campaign, django_assert_num_queries):
    submit(client_for(net.users["editor_a"]), campaign)
    task = OrgApprovalTask.objects.get(name="Store manager approval")
    manager = net.fresh("manager_a")
    expected = [state_of(campaign)]
    with django_assert_num_queries(2):  # the memberships (then cached) and the states
        assert list(task.get_task_states_user_can_moderate(manager)) == expected
    assert not task.get_task_states_user_can_moderate(net.fresh("manager_c")).exists()


def test_every_step_is_in_the_campaigns_history(net, client_for, brand_template, workflow):
    MembershipFactory(user=net.users["editor_a"], unit=net.units["b"], role="unit_editor")
    campaign = campaign_of(net, client_for, brand_template, "editor_a", "b")
    submit(client_for(net.users["editor_a"]), campaign)  # store B has no manager: routed up
    act(client_for(net.users["hq"]), campaign, "approve")  # HQ in place of the North
    history = client_for(net.users["regional_north"]).get(
        f"/admin/snippets/wagtail_distmark/localcampaign/history/{campaign.pk}/"
    )
    html = history.content.decode()
    assert history.status_code == 200
    for text in ("Nobody held the role at Store B: the approval went to North",
                 "HQ acted in place of the approvers of North (approve)",
                 "Approval step “Regional approval” skipped: The template does not ask for "
                 "this step."):  # fmt: skip
        assert text in html, text
    # The other region's manager sees no history at all.
    other = client_for(net.users["manager_c"]).get(
        f"/admin/snippets/wagtail_distmark/localcampaign/history/{campaign.pk}/"
    )
    assert other.status_code == 404


@pytest.mark.parametrize(
    "name, extra",
    [
        ("workflow_action", ["approve", "STATE"]),
        ("collect_workflow_action_data", ["approve", "STATE"]),
        ("confirm_workflow_cancellation", []),
        ("workflow_history", []),
        ("workflow_history_detail", ["WORKFLOW_STATE"]),
        ("workflow_preview", ["TASK"]),
    ],
)
def test_every_workflow_url_is_404_for_another_region(net, client_for, campaign, name, extra):
    from django.urls import reverse

    submit(client_for(net.users["editor_a"]), campaign)
    state = state_of(campaign)
    ids = {"STATE": state.pk, "WORKFLOW_STATE": state.workflow_state_id, "TASK": state.task_id}
    url = reverse(
        f"wagtailsnippets_wagtail_distmark_localcampaign:{name}",
        args=[campaign.pk, *(ids.get(arg, arg) for arg in extra)],
    )
    for response in (client_for(net.users["manager_c"]).get(url),
                     client_for(net.users["manager_c"]).post(url, {"comment": "x"})):  # fmt: skip
        assert response.status_code == 404, name
        assert "Autumn at a" not in response.content.decode()
    assert state_of(campaign).status == TaskState.STATUS_IN_PROGRESS
    # The twin: the routed approver reaches it.
    assert client_for(net.users["manager_a"]).get(url).status_code != 404, name


def test_hq_builds_the_task_in_wagtails_workflow_editor(net, django_user_model, client):
    from django.urls import reverse

    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)
    chooser = client.get(reverse("wagtailadmin_workflows:select_task_type")).content.decode()
    assert "Org approval task" in chooser
    url = reverse("wagtailadmin_workflows:add_task", args=["wagtail_distmark_workflows",
                                                            "orgapprovaltask"])  # fmt: skip
    form = client.get(url).content.decode()
    assert "The nearest regional manager" in form and "deadline (hours)" in form.lower()
    response = client.post(url, {"name": "Regional sign-off", "approver": "regional_manager",
                                 "when": "always", "deadline_hours": "24"})  # fmt: skip
    assert response.status_code == 302
    task = OrgApprovalTask.objects.get(name="Regional sign-off")
    assert (task.approver, task.deadline_hours) == ("regional_manager", 24)
    response = client.post(url, {"name": "Broken", "approver": "nobody", "when": "always",
                                 "deadline_hours": "-1"})  # fmt: skip
    assert response.status_code == 200
    assert not OrgApprovalTask.objects.filter(name="Broken").exists()


def test_the_submitter_is_told_when_changes_are_requested(net, client_for, campaign):
    submit(client_for(net.users["editor_a"]), campaign)
    mail.outbox.clear()
    act(client_for(net.users["manager_a"]), campaign, "reject", "Use the autumn photo")
    assert [m.to for m in mail.outbox] == [["editor_a@example.com"]]
    assert "Use the autumn photo" in mail.outbox[0].body


def test_a_superuser_does_not_approve_their_own_submission_either(
    net, client_for, campaign, django_user_model
):
    """Superusers may approve anyone's campaign (an override), not one they submitted:
    Django answers yes to every permission of a superuser, the rule itself says no."""
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", "x")
    submit(client_for(boss), campaign)
    first = state_of(campaign)
    response = act(client_for(boss), campaign, "approve")
    assert response.status_code in (302, 403)
    first.refresh_from_db()
    assert first.status == TaskState.STATUS_IN_PROGRESS
    # Its twin: another superuser may act (an override).
    other = django_user_model.objects.create_superuser("other", "other@example.com", "x")
    act(client_for(other), campaign, "approve")
    first.refresh_from_db()
    assert first.status == TaskState.STATUS_APPROVED
