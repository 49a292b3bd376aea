"""Pages whose SQL query count must not grow with the data: the campaign list (one query for
every row's status, whatever the page's length), the campaign editor (at most 30 queries in
every workflow state) and the dashboard.

Counts are taken on the second request of a client (the first fills per-process caches, e.g.
content types), as ``bench/scope.py`` and ``bench/assets.py`` do.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.campaigns.test_admin import snippet_url
from tests.workflows.conftest import make_workflow
from wagtail_distmark.campaigns.copying import save_new_draft
from wagtail_distmark.models import LocalCampaign

pytestmark = pytest.mark.django_db

#: The states a campaign is put in, in turn (see :func:`make_campaigns`), and the status the
#: listing and the editor show for each.
STATES = ("draft", "in_review", "changes_requested", "approved", "scheduled", "sent")
STATUS_TEXT = {
    "draft": "Draft",
    "in_review": "In review",
    "changes_requested": "Changes requested",
    "approved": "Approved, ready to send",
    "scheduled": "Scheduled",
    "sent": "Sent",
}
#: The issue's budget for the campaign editor.
EDIT_PAGE_BUDGET = 30


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def queries_of(client, url) -> int:
    """Queries of the second GET of ``url`` (asserted to answer 200)."""
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def new_draft(net, template, unit, name):
    campaign = LocalCampaign(
        unit=net.units[unit], template=template, name=name, subject=template.subject,
        preheader=template.preheader, body=template.campaign_body_data(),
        created_by=net.users["editor_a"], live=False,
    )  # fmt: skip
    return save_new_draft(campaign, net.users["editor_a"])


def put_in(campaign, state, workflow, net):
    """Take a new draft to ``state`` the way the admin would (workflow, approval, sending)."""
    if state == "draft":
        return campaign
    workflow_state = workflow.start(campaign, net.users["editor_a"])
    if state != "in_review":
        task_state = workflow_state.current_task_state
        action = "reject" if state == "changes_requested" else "approve"
        task_state.task.specific.on_action(task_state, net.users["hq"], action)
    campaign.refresh_from_db()
    if state == "scheduled":
        campaign.schedule(timezone.now() + timezone.timedelta(days=1))
    elif state == "sent":
        campaign.freeze_for_sending()
    return campaign


def make_campaigns(net, template, workflow, count, unit="a", start=0):
    """``count`` campaigns of ``unit``, going round the :data:`STATES`."""
    return [
        put_in(
            new_draft(net, template, unit, f"Campaign {unit} {start + i}"),
            STATES[(start + i) % len(STATES)],
            workflow,
            net,
        )
        for i in range(count)
    ]


@pytest.fixture
def workflow(db):
    return make_workflow(("Store manager approval", "unit_manager", "always"))


LISTERS = ("hq", "regional_north", "manager_a")


def test_the_campaign_list_costs_the_same_queries_for_1_and_21_rows(net, brand_template, workflow):
    make_campaigns(net, brand_template, workflow, 1)
    few = {user: queries_of(browser(net.users[user]), snippet_url("list")) for user in LISTERS}
    make_campaigns(net, brand_template, workflow, 20, start=1)
    make_campaigns(net, brand_template, workflow, 3, unit="b")  # not the store manager's
    many = {user: queries_of(browser(net.users[user]), snippet_url("list")) for user in LISTERS}
    assert many == few


def test_the_campaign_list_still_reads_each_status(net, brand_template, workflow):
    campaigns = make_campaigns(net, brand_template, workflow, len(STATES))
    page = browser(net.users["manager_a"]).get(snippet_url("list")).content.decode()
    for campaign, state in zip(campaigns, STATES, strict=True):
        row = page[page.index(f">{campaign.name}<") :]
        row = row[: row.index("</tr>")]
        assert STATUS_TEXT[state] in row, (state, row)


EDITORS = ("editor_a", "manager_a")


def test_the_campaign_editor_stays_within_its_query_budget(net, brand_template, workflow):
    campaigns = make_campaigns(net, brand_template, workflow, len(STATES))
    counts = {
        (state, user): queries_of(browser(net.users[user]), snippet_url("edit", campaign.pk))
        for campaign, state in zip(campaigns, STATES, strict=True)
        for user in EDITORS
    }
    assert max(counts.values()) <= EDIT_PAGE_BUDGET, counts


def test_the_campaign_editor_still_shows_the_campaigns_state(net, brand_template, workflow):
    campaigns = make_campaigns(net, brand_template, workflow, len(STATES))
    for campaign, state in zip(campaigns, STATES, strict=True):
        page = browser(net.users["manager_a"]).get(snippet_url("edit", campaign.pk))
        html = page.content.decode()
        assert STATUS_TEXT[state] in html, state
        assert campaign.name in html
        if state == "in_review":  # the approver's actions, from the (read once) task state
            assert "Request changes" in html and "Approve" in html
        if state == "draft":
            assert "Submit to Local campaign approval" in html
        if state == "changes_requested":
            assert "Resubmit to Store manager approval" in html


# -- dashboard ------------------------------------------------------------------------------

DASHBOARD_USERS = ("hq", "regional_north", "manager_a", "editor_a")


def test_the_dashboard_costs_the_same_queries_with_more_campaigns_to_review(
    net, brand_template, workflow
):
    def counts():
        home = reverse("wagtailadmin_home")
        return {user: queries_of(browser(net.users[user]), home) for user in DASHBOARD_USERS}

    # In review: Store A's (its manager approves) and Store B's (no manager: the regional
    # manager approves); changes requested: Store A's. Each panel has rows from the start.
    make_campaigns(net, brand_template, workflow, 2, start=1)
    make_campaigns(net, brand_template, workflow, 1, start=1, unit="b")
    few = counts()
    make_campaigns(net, brand_template, workflow, 18, start=3)
    make_campaigns(net, brand_template, workflow, 12, start=2, unit="b")
    assert counts() == few


def test_the_review_panel_lists_what_wagtails_did(net, brand_template, workflow, rf):
    from wagtail.admin.views.home import WorkflowObjectsToModeratePanel

    from wagtail_distmark.workflows.dashboard import ModerationPanel

    make_campaigns(net, brand_template, workflow, 8)
    request = rf.get("/admin/")
    request.user = net.fresh("manager_a")
    parent = {"request": request, "csrf_token": "x"}
    ours = ModerationPanel().get_context_data(parent)["states"]
    wagtails = WorkflowObjectsToModeratePanel().get_context_data(parent)["states"]
    assert len(ours) == 2

    def plain(row):
        tasks = [(t.pk, t.name, t.status, str(t.status_display)) for t in row["workflow_tasks"]]
        actions = [(name, str(label), modal) for name, label, modal in row["actions"]]
        objects = {"obj": row["obj"].pk, "revision": row["revision"].pk}
        return {**row, **objects, "task_state": row["task_state"].pk, "workflow_tasks": tasks,
                "actions": actions}  # fmt: skip

    assert [plain(row) for row in ours] == [plain(row) for row in wagtails]
    page = browser(net.users["manager_a"]).get(reverse("wagtailadmin_home")).content.decode()
    assert "Awaiting your review" in page and "Campaign a 1" in page and "Approve" in page


def test_the_review_panel_redoes_wagtails_as_pinned():
    """``workflows/dashboard.py`` re-does this method in bulk: if Wagtail changes it, re-read
    it, update ``ModerationPanel`` and this digest."""
    import hashlib
    import inspect

    from wagtail.admin.views.home import WorkflowObjectsToModeratePanel

    source = inspect.getsource(WorkflowObjectsToModeratePanel.get_context_data)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == PINNED_PANEL_DIGEST


PINNED_PANEL_DIGEST = "cc434fc5cd31e98e"

# -- the Wagtail internals the editor relies on (campaigns/editing.py) ----------------------


def test_wagtail_reads_current_workflow_states_from_the_prefetch_attribute(
    net, brand_template, workflow, django_assert_num_queries
):
    """``_current_workflow_states`` is what Wagtail's ``prefetch_workflow_states()`` fills."""
    draft, in_review = make_campaigns(net, brand_template, workflow, 2)
    state = in_review.workflow_states.get()
    draft._current_workflow_states, in_review._current_workflow_states = [], [state]
    with django_assert_num_queries(0):
        assert draft.current_workflow_state is None and not draft.workflow_in_progress
        assert in_review.current_workflow_state is state and in_review.workflow_in_progress


def test_the_editor_redoes_wagtails_get_object_as_pinned():
    """``CampaignEditView.get_object()`` re-does this method (reading less): if Wagtail
    changes it, re-read it and update ``campaigns/admin.py`` and this copy."""
    import inspect
    import textwrap

    from wagtail.admin.views.generic.mixins import CreateEditViewOptionalFeaturesMixin

    source = textwrap.dedent(inspect.getsource(CreateEditViewOptionalFeaturesMixin.get_object))
    assert source == textwrap.dedent(
        """\
        def get_object(self, queryset=None):
            if self.view_name == "create":
                return None
            self.live_object = super().get_object(queryset)
            if self.draftstate_enabled:
                return self.live_object.get_latest_revision_as_object()
            return self.live_object
        """
    )


def test_the_latest_revision_reads_as_wagtails(net, brand_template, workflow):
    from wagtail_distmark.campaigns.editing import latest_revision_as_object

    (campaign,) = make_campaigns(net, brand_template, workflow, 1)
    for changed in (False, True):
        if changed:
            campaign.name = "Changed in a draft"
            campaign.save_revision(user=net.users["editor_a"])
        live = LocalCampaign.objects.select_related("unit", "template", "latest_revision").get(
            pk=campaign.pk
        )
        ours, wagtails = latest_revision_as_object(live), live.get_latest_revision_as_object()
        fields = [field.attname for field in LocalCampaign._meta.concrete_fields]
        assert [getattr(ours, f) for f in fields] == [getattr(wagtails, f) for f in fields]
        assert ours.unit is live.unit and ours.template is live.template


def test_the_editor_reads_the_workflow_once_and_wagtail_finds_it(
    net, brand_template, workflow, django_assert_num_queries
):
    from wagtail_distmark.campaigns.editing import read_workflow_once

    _, in_review = make_campaigns(net, brand_template, workflow, 2)
    live = LocalCampaign.objects.get(pk=in_review.pk)
    obj = live.get_latest_revision_as_object()
    read_workflow_once(obj, live)
    with django_assert_num_queries(1):  # the approval task's specific row, read once
        assert obj.current_workflow_task is not None
    with django_assert_num_queries(0):
        for instance in (obj, live):
            state = instance.current_workflow_state
            assert state.status == "in_progress" and state.content_object is live
            assert instance.current_workflow_task_state.workflow_state is state
            assert instance.get_workflow() == workflow and instance.scheduled_revision is None
            task = instance.current_workflow_task
            assert task.current_state(instance) == instance.current_workflow_task_state


# -- persistent connections -----------------------------------------------------------------


def test_production_settings_keep_database_connections(monkeypatch):
    import importlib

    monkeypatch.setenv("DJANGO_SECRET_KEY", "test")
    production = importlib.import_module("example_site.settings.production")
    database = production.DATABASES["default"]
    assert database["CONN_MAX_AGE"] >= 60 and database["CONN_HEALTH_CHECKS"] is True
    base = importlib.import_module("example_site.settings.base")
    assert base.DATABASES["default"]["CONN_MAX_AGE"] == 0  # dev and tests: Django's default
