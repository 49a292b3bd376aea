"""A task state or revision of another campaign, put in the URL of one's own campaign.

Wagtail's workflow views load the task state by its id alone and ask the task about the
campaign in the URL: Store C's manager could approve (and so publish) Store A's campaign
by posting A's task state id under C's own campaign. The URL guard refuses any id that does
not belong to the object ``pk`` names, and the task judges the task state's own campaign.
"""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.models import ModelLogEntry, Revision, TaskState

from tests.campaigns.test_admin import snippet_url
from tests.workflows.conftest import campaign_of, submit
from wagtail_distmark.models import LocalCampaign, Membership
from wagtail_distmark.rules.policies import (
    OWNED_URL_KWARGS,
    PLAIN_URL_KWARGS,
    URL_RULES,
    url_kwargs,
)
from wagtail_distmark.workflows.models import OrgApprovalTaskState

pytestmark = pytest.mark.django_db

ACTIONS = ["approve", "reject"]
VIEWS = ["workflow_action", "collect_workflow_action_data"]


@pytest.fixture
def in_review(net, client_for, brand_template, workflow, django_capture_on_commit_callbacks):
    """Store A's and Store C's campaigns, each in review at its own store manager."""
    net.member("editor_c", "c", Membership.Role.UNIT_EDITOR)
    campaigns = {}
    for unit in ("a", "c"):
        campaign = campaign_of(net, client_for, brand_template, f"editor_{unit}", unit)
        with django_capture_on_commit_callbacks(execute=True):
            assert submit(client_for(net.users[f"editor_{unit}"]), campaign).status_code == 302
        campaigns[unit] = campaign
    mail.outbox.clear()
    return campaigns


def state_of(campaign) -> OrgApprovalTaskState:
    return OrgApprovalTaskState.objects.get(
        workflow_state__object_id=str(campaign.pk), status=TaskState.STATUS_IN_PROGRESS
    )


def logged(campaign) -> list[str]:
    return list(
        ModelLogEntry.objects.filter(object_id=str(campaign.pk)).values_list("action", flat=True)
    )


def workflow_url(view, campaign, action, task_state):
    return snippet_url(view, campaign.pk, action, task_state.pk)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("action", ACTIONS)
def test_a_foreign_task_state_under_ones_own_campaign_is_a_404_and_changes_nothing(
    net, client_for, in_review, view, action, django_capture_on_commit_callbacks
):
    a, c = in_review["a"], in_review["c"]
    state_a = state_of(a)
    before = logged(a)
    client = client_for(net.users["manager_c"])
    url = workflow_url(view, c, action, state_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 404
        response = client.post(url, {"comment": "approved by Store C"})
    assert response.status_code == 404
    state_a.refresh_from_db()
    assert state_a.status == TaskState.STATUS_IN_PROGRESS
    assert state_a.finished_by is None
    a = LocalCampaign.objects.get(pk=a.pk)
    assert not a.live and a.live_revision is None
    assert logged(a) == before
    assert not ModelLogEntry.objects.filter(action="wagtail_distmark.approval_override").exists()
    assert mail.outbox == []
    # C's own review is untouched too.
    assert state_of(c).status == TaskState.STATUS_IN_PROGRESS


def test_the_twin_store_as_manager_approves_their_own_campaign(
    net, client_for, in_review, django_capture_on_commit_callbacks
):
    a = in_review["a"]
    state_a = state_of(a)
    client = client_for(net.users["manager_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(workflow_url("workflow_action", a, "approve", state_a), {})
    assert response.status_code == 302
    state_a.refresh_from_db()
    assert state_a.status == TaskState.STATUS_APPROVED
    assert state_a.finished_by == net.users["manager_a"]
    assert "wagtail_distmark.approval_override" not in logged(a)


def test_hq_may_still_override_with_the_task_states_own_campaign(
    net, client_for, in_review, django_capture_on_commit_callbacks
):
    a = in_review["a"]
    state_a = state_of(a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(net.users["hq"]).post(
            workflow_url("workflow_action", a, "approve", state_a), {}
        )
    assert response.status_code == 302
    state_a.refresh_from_db()
    assert state_a.status == TaskState.STATUS_APPROVED
    assert "wagtail_distmark.approval_override" in logged(a)


def test_the_task_refuses_a_foreign_task_state_whatever_the_url(net, in_review):
    """In depth: even called directly, the task judges the task state's own campaign."""
    state_a = state_of(in_review["a"])
    with pytest.raises(PermissionDenied):
        state_a.task.specific.on_action(state_a, net.fresh("manager_c"), "approve")
    state_a.refresh_from_db()
    assert state_a.status == TaskState.STATUS_IN_PROGRESS
    assert mail.outbox == []


def test_the_task_offers_no_action_on_a_campaign_to_a_foreign_manager(net, in_review):
    a = in_review["a"]
    task = state_of(a).task.specific
    assert task.get_actions(a, net.fresh("manager_c")) == []
    assert task.get_actions(a, net.fresh("manager_a"))


def revision_urls(campaign, revision):
    name = "wagtailsnippets_wagtail_distmark_localcampaign:revisions_compare"
    return {
        "revisions_view": snippet_url("revisions_view", campaign.pk, revision.pk),
        "revisions_revert": snippet_url("revisions_revert", campaign.pk, revision.pk),
        "revisions_unschedule": snippet_url("revisions_unschedule", campaign.pk, revision.pk),
        "compare_from": reverse(name, args=[campaign.pk, revision.pk, "latest"]),
        "compare_to": reverse(name, args=[campaign.pk, "earliest", revision.pk]),
    }


def test_a_revision_of_another_campaign_under_ones_own_pk_is_a_404(
    net, client_for, brand_template, workflow
):
    own = campaign_of(net, client_for, brand_template, "editor_a", "a", name="Own")
    other = campaign_of(net, client_for, brand_template, "editor_a", "a", name="Other")
    foreign = Revision.objects.for_instance(other).latest("pk")
    client = client_for(net.users["manager_a"])  # may see and change both
    for name, url in revision_urls(own, foreign).items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code == 404, name
    own_revision = Revision.objects.for_instance(own).latest("pk")
    for name in ("revisions_view", "compare_from"):
        assert client.get(revision_urls(own, own_revision)[name]).status_code == 200, name
    assert LocalCampaign.objects.get(pk=own.pk).latest_revision == own_revision


def test_a_foreign_workflow_state_in_the_history_detail_is_a_404(net, client_for, in_review):
    a, c = in_review["a"], in_review["c"]
    client = client_for(net.users["manager_c"])
    foreign = state_of(a).workflow_state
    own = state_of(c).workflow_state
    assert client.get(snippet_url("workflow_history_detail", c.pk, foreign.pk)).status_code == 404
    assert client.get(snippet_url("workflow_history_detail", c.pk, own.pk)).status_code == 200


def test_a_task_the_campaign_never_went_through_is_a_404_in_the_workflow_preview(
    net, client_for, in_review
):
    c = in_review["c"]
    client = client_for(net.users["manager_c"])
    task = state_of(c).task
    assert client.get(snippet_url("workflow_preview", c.pk, task.pk)).status_code == 200
    assert client.get(snippet_url("workflow_preview", c.pk, 987654)).status_code == 404


def test_every_id_in_our_snippet_urls_is_checked_or_the_url_is_off(net):
    """A Wagtail view with a second id nobody maps answers 404 until someone decides."""
    from wagtail.snippets.models import get_snippet_models

    for model in get_snippet_models():
        viewset = model.snippet_viewset
        if not hasattr(viewset, "url_rules"):
            continue
        for pattern in viewset.get_urlpatterns():
            names = url_kwargs(pattern)
            if URL_RULES.get(pattern.name) is None:
                continue
            assert names <= PLAIN_URL_KWARGS | set(OWNED_URL_KWARGS), (model, pattern.name)


def test_a_url_with_an_id_nobody_maps_is_switched_off(net, client_for):
    from django.urls import path

    from wagtail_distmark.rules.policies import GuardedUrls, switched_off

    guard = GuardedUrls(LocalCampaign, URL_RULES, lambda request: None, None)
    pattern = guard(path("x/<int:pk>/<int:comment_id>/", lambda request: None, name="edit"))
    assert pattern.callback is switched_off
    checked = guard(path("x/<int:pk>/<int:revision_id>/", lambda request: None, name="edit"))
    assert checked.callback is not switched_off
