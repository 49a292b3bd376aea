"""Wagtail's reports list only what is in scope; a campaign's status says what it means.

Site history and the workflow reports showed every unit's campaign log, with people's names
(issue 9, break 3). An approved campaign read "LIVE — First published just now" though
nothing was sent; a campaign sent back for changes showed no comment.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry, TaskState, WorkflowState

from tests.campaigns.test_admin import snippet_url, start
from tests.workflows.conftest import act, make_workflow, submit
from wagtail_distmark.models import LocalCampaign
from wagtail_distmark.rules.reports import in_scope

pytestmark = pytest.mark.django_db

NAME = "Autumn in Lyon"
SITE_HISTORY = "wagtailadmin_reports:site_history"


def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign(net, brand_template):
    make_workflow(("Store manager approval", "unit_manager", "always"))
    start(browser(net.users["editor_a"]), brand_template, net.units["a"], name=NAME)
    return LocalCampaign.objects.get()


@pytest.fixture
def in_review(net, campaign):
    submit(browser(net.users["editor_a"]), campaign)
    return campaign


def text(response):
    return response.content.decode()


@pytest.mark.parametrize("url_name", [SITE_HISTORY, "wagtailadmin_reports:site_history_results"])
def test_site_history_shows_only_the_log_of_objects_in_scope(net, in_review, url_name):
    page = browser(net.users["manager_a"]).get(reverse(url_name))
    assert page.status_code == 200 and NAME in text(page)
    other = browser(net.users["manager_c"]).get(reverse(url_name))
    assert other.status_code == 200
    assert NAME not in text(other) and "editor_a" not in text(other)


def test_site_history_filters_offer_only_visible_users(net, in_review):
    page = browser(net.users["manager_c"]).get(reverse(SITE_HISTORY))
    assert "editor_a" not in text(page)
    assert "editor_a" in text(browser(net.users["hq"]).get(reverse(SITE_HISTORY)))


def test_site_history_export_is_scoped_too(net, in_review):
    csv = browser(net.users["manager_c"]).get(reverse(SITE_HISTORY), {"export": "csv"})
    content = b"".join(csv.streaming_content) if csv.streaming else csv.content
    assert csv.status_code == 200 and NAME.encode() not in content


def test_log_entries_in_scope_follow_the_campaign_rule(net, in_review):
    entries = ModelLogEntry.objects.filter(object_id=str(in_review.pk))
    assert entries.exists()
    for username, visible in (("editor_a", True), ("regional_north", True), ("manager_c", False)):
        scoped = in_scope(entries, net.fresh(username), "content_type", "object_id")
        assert scoped.exists() is visible, username


@pytest.mark.parametrize(
    "url_name",
    ["workflow", "workflow_results", "workflow_tasks", "workflow_tasks_results"],
)
def test_workflow_reports_list_only_campaigns_in_scope(net, in_review, url_name):
    url = reverse(f"wagtailadmin_reports:{url_name}")
    other = browser(net.users["manager_c"]).get(url)
    assert other.status_code in (200, 302, 403) and NAME not in text(other)
    assert (
        in_scope(
            WorkflowState.objects.all(), net.fresh("manager_c"), "content_type", "object_id"
        ).count()
        == 0
    )
    tasks = in_scope(
        TaskState.objects.all(), net.fresh("regional_north"),
        "workflow_state__content_type", "workflow_state__object_id",
    )  # fmt: skip
    assert tasks.count() == 1


# -- status ---------------------------------------------------------------------------------


def listing_and_editor(user, campaign):
    client = browser(user)
    return text(client.get(snippet_url("list"))), text(client.get(snippet_url("edit", campaign.pk)))


def test_an_approved_campaign_reads_approved_ready_to_send(net, in_review):
    act(browser(net.users["manager_a"]), in_review, "approve")
    in_review.refresh_from_db()
    listing, editor = listing_and_editor(net.users["editor_a"], in_review)
    assert "Approved, ready to send" in listing
    assert 'id="status-sidebar-approved-ready-to-send"' in editor
    assert "First published" not in editor
    in_review.freeze_for_sending()
    listing, editor = listing_and_editor(net.users["editor_a"], in_review)
    assert "Sent" in listing and "Approved, ready to send" not in listing
    assert 'id="status-sidebar-sent"' in editor


def test_the_editor_reads_the_status_of_the_row_not_of_its_latest_draft(net, in_review):
    act(browser(net.users["manager_a"]), in_review, "approve")
    in_review.refresh_from_db()
    in_review.name = "Changed after approval"
    in_review.save_revision(user=net.users["editor_a"])  # a draft newer than the send
    in_review.refresh_from_db()
    in_review.freeze_for_sending()
    _, editor = listing_and_editor(net.users["editor_a"], in_review)
    assert 'id="status-sidebar-sent"' in editor


def test_draft_and_in_review_say_so(net, campaign):
    listing, editor = listing_and_editor(net.users["editor_a"], campaign)
    assert "Draft" in listing and "Submit it for approval" in editor
    submit(browser(net.users["editor_a"]), campaign)
    listing, _ = listing_and_editor(net.users["editor_a"], campaign)
    assert "In review" in listing


def test_a_change_request_shows_its_comment_on_the_edit_page(net, in_review):
    net.users["manager_a"].first_name, net.users["manager_a"].last_name = "Léa", "Martin"
    net.users["manager_a"].save()
    act(browser(net.users["manager_a"]), in_review, "reject", "Use the autumn photo")
    listing, editor = listing_and_editor(net.users["editor_a"], in_review)
    assert "Changes requested" in listing
    assert "Changes requested by Léa Martin" in editor
    assert "Use the autumn photo" in editor
    resubmitted = submit(browser(net.users["editor_a"]), in_review)
    assert resubmitted.status_code == 302
    _, editor = listing_and_editor(net.users["manager_a"], in_review)
    assert "Use the autumn photo" not in editor


def test_the_status_column_costs_no_query_per_draft(net, campaign, brand_template):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listing_queries():
        client = browser(net.users["editor_a"])
        client.get(snippet_url("list"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(snippet_url("list")).status_code == 200
        return len(queries)

    few = listing_queries()
    for i in range(5):
        start(browser(net.users["editor_a"]), brand_template, net.units["a"], name=f"More {i}")
    assert listing_queries() == few


def snippet_count(page, label):
    """The count the Snippets index shows on the row of ``label``."""
    row = re.search(rf"{label}\s*</a>.*?</tr>", text(page), re.DOTALL)
    return re.findall(r"<td >\s*(\d+)\s*</td>", row.group(0))


def test_snippets_index_counts_only_campaigns_in_scope(net, campaign, brand_template, settings):
    """With WAGTAILSNIPPETS_MENU_SHOW_ALL the index lists our models with a count each."""
    settings.WAGTAILSNIPPETS_MENU_SHOW_ALL = True
    start(browser(net.users["manager_c"]), brand_template, net.units["c"], name="South")
    url = reverse("wagtailsnippets:index")
    assert snippet_count(browser(net.users["manager_a"]).get(url), "Local campaigns") == ["1"]
    assert snippet_count(browser(net.users["manager_c"]).get(url), "Local campaigns") == ["1"]
    assert snippet_count(browser(net.users["hq"]).get(url), "Local campaigns") == ["2"]
