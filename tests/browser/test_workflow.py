"""The approval workflow as people see it: a store editor submits a campaign, the store's
manager finds it on their dashboard and approves it, the editor sees it live with its
history, and a manager of another region sees none of it.

The demo installs "Local campaign approval" for local campaigns: "Store manager approval"
(routed to the campaign unit's manager) then "Regional approval", only for templates that ask
for it. "Autumn in Lyon" (Seasonal promotion) does not, so the store manager's approval is the
last one: it publishes the campaign. The demo also leaves "Lyon newsletter" waiting for the
store manager. ``load_demo_network`` runs for every test (see ``conftest.demo_network``), so
each test starts from the demo as loaded and drives the steps it needs through the browser.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect
from wagtail.models import ModelLogEntry, TaskState, WorkflowState

from home import demo_workflow
from tests.browser.conftest import login
from wagtail_distmark.models import LocalCampaign
from wagtail_distmark.workflows.models import OrgApprovalTaskState

pytestmark = pytest.mark.browser

CAMPAIGNS_URL = "/admin/snippets/wagtail_distmark/localcampaign/"
EDIT_URL = re.compile(r"/admin/snippets/wagtail_distmark/localcampaign/edit/(\d+)/$")
CAMPAIGN = "Autumn in Lyon"  # demo draft of ML-001, "Seasonal promotion": no regional step
IN_REVIEW = demo_workflow.IN_REVIEW[0]  # "Lyon newsletter", submitted by the demo
WORKFLOW = demo_workflow.WORKFLOW  # "Local campaign approval"
STORE_STEP, REGIONAL_STEP = (name for name, *_ in demo_workflow.STEPS)
SUBMIT = f"Submit to {WORKFLOW}"
HEADING = "#zone_hero-heading"
NEW_HEADING = "Autumn evenings in Lyon, {{ contact.first_name }}"
COMMENT = "Looks good"

SUBMITTED = f"Local campaign '{CAMPAIGN}' has been submitted for moderation."
# Wagtail's message for any workflow action taken from the editor (the form is saved too).
ACTED = f"Local campaign '{CAMPAIGN}' updated."
AWAITING = f"awaiting '{STORE_STEP}' in the '{WORKFLOW}' workflow"


def edit_url(campaign: LocalCampaign) -> str:
    return f"{CAMPAIGNS_URL}edit/{campaign.pk}/"


def history_url(campaign: LocalCampaign) -> str:
    return f"{CAMPAIGNS_URL}history/{campaign.pk}/"


def campaign(name: str = CAMPAIGN) -> LocalCampaign:
    return LocalCampaign.objects.get(name=name)


def user(username: str):
    return get_user_model().objects.get(username=username)


def success_message(page):
    return page.locator(".messages .success")


def expect_success(page, text: str) -> None:
    """The success message says ``text``, shown in full: Wagtail slides its messages in from
    above (half a second), so wait for the end of the slide before a screenshot."""
    expect(success_message(page)).to_contain_text(text)
    page.wait_for_function(
        """() => {
            const style = getComputedStyle(document.querySelector('.messages > ul'));
            return style.opacity === '1' && style.top === '0px';
        }"""
    )


def open_campaign_from_menu(page, name: str = CAMPAIGN):
    """Campaigns > Local campaigns > ``name``, through the admin menu."""
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Campaigns", exact=True).click()
    menu.get_by_role("link", name="Local campaigns", exact=True).click()
    page.wait_for_url(f"**{CAMPAIGNS_URL}")
    page.locator("main").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(EDIT_URL)
    expect(page.locator("section.distmark-zone").first).to_be_visible()


def footer_actions(page):
    """The editor's footer action menu, its "More actions" dropdown opened."""
    footer = page.locator("footer")
    footer.get_by_role("button", name="More actions").click()
    return footer


def open_status_panel(page):
    page.locator("[data-side-panel-toggle='status']").click()
    panel = page.locator("[data-side-panel='status']")
    expect(panel).to_be_visible()
    return panel


def awaiting_review(page):
    """The dashboard's "Awaiting your review" panel."""
    heading = page.get_by_role("heading", name="Awaiting your review")
    return page.locator("section.w-panel", has=heading)


def post_as_logged_in(page, url: str):
    """POST ``url`` with the session and CSRF cookies of ``page`` (no redirect followed)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(url, headers={"X-CSRFToken": token}, max_redirects=0)


def submit_as_editor(page) -> LocalCampaign:
    """``editor`` edits the Hero heading of "Autumn in Lyon" and submits it for approval; the
    page is left on the campaign listing that answers the submission."""
    login(page, "editor")
    open_campaign_from_menu(page)
    page.fill(HEADING, NEW_HEADING)
    actions = footer_actions(page)
    submit = actions.get_by_role("button", name=SUBMIT, exact=True)
    expect(submit).to_be_visible()
    with page.expect_navigation():
        submit.click()
    page.wait_for_url(f"**{CAMPAIGNS_URL}")
    expect_success(page, SUBMITTED)
    return campaign()


def approve_as_manager(page) -> None:
    """``manager`` opens "Autumn in Lyon" from the dashboard and approves it with a comment;
    the page is left on the campaign listing that answers the approval."""
    login(page, "manager")
    awaiting_review(page).get_by_role("link", name=CAMPAIGN, exact=True).click()
    page.wait_for_url(EDIT_URL)
    expect(page.locator(HEADING)).to_have_value(NEW_HEADING)  # what the editor submitted
    footer_actions(page).get_by_role("button", name="Approve with comment", exact=True).click()
    modal = page.get_by_role("dialog").filter(
        has=page.get_by_role("heading", name="Approve with comment")
    )
    expect(modal).to_be_visible()
    modal.get_by_role("textbox", name="Comment").fill(COMMENT)
    with page.expect_navigation():
        modal.get_by_role("button", name="Approve with comment").click()
    page.wait_for_url(f"**{CAMPAIGNS_URL}")
    expect_success(page, ACTED)


def test_editor_submits_a_campaign_for_approval(page, shot, uncaught):
    before = campaign()
    assert before.live is False
    assert not WorkflowState.objects.for_instance(before).exists()
    mail.outbox.clear()  # the demo's own submission (the newsletter) mailed the manager

    submitted = submit_as_editor(page)
    expect(page.locator("main").get_by_role("link", name=CAMPAIGN, exact=True)).to_be_visible()
    shot("workflow-01-submitted")

    # In the database: the workflow waits for the store's own manager, on the new heading.
    state = WorkflowState.objects.for_instance(submitted).get()
    assert (state.status, state.workflow.name, state.requested_by) == (
        WorkflowState.STATUS_IN_PROGRESS, WORKFLOW, user("editor")
    )  # fmt: skip
    task_state = state.current_task_state.specific
    assert isinstance(task_state, OrgApprovalTaskState)
    assert (task_state.task.name, task_state.status) == (STORE_STEP, TaskState.STATUS_IN_PROGRESS)
    assert task_state.approving_unit.code == "ML-001"
    assert list(task_state.approvers()) == [user("manager")]
    submitted_body = task_state.revision.as_object().body
    assert next(c for c in submitted_body if c.id == "hero").value["heading"] == NEW_HEADING
    assert submitted.live is False  # nothing goes live before the approval
    # The approval request went to the store manager only (eager Celery, locmem backend).
    assert [m.to for m in mail.outbox] == [[user("manager").email]]
    assert CAMPAIGN in mail.outbox[0].subject  # in the store's language (fr for Lyon)
    assert edit_url(submitted) in mail.outbox[0].body

    # Back in the editor: in moderation, locked for the submitter.
    page.goto(edit_url(submitted))
    expect(page.get_by_text(re.compile(re.escape(AWAITING)))).to_be_visible()
    panel = open_status_panel(page)
    # The campaign's own status (not Wagtail's "In Moderation"), and Wagtail's lock.
    expect(panel.get_by_role("heading", name=re.compile(r"In review"))).to_be_visible()
    expect(panel).to_contain_text("It is waiting for approval.")
    expect(panel).not_to_contain_text("In Moderation")
    expect(panel.get_by_role("heading", name=re.compile(r"Locked by workflow"))).to_be_visible()
    footer = page.locator("footer")
    expect(footer.get_by_role("button", name="Cancel workflow")).to_be_visible()
    expect(footer.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(footer.get_by_role("button", name=SUBMIT)).to_have_count(0)
    shot("workflow-01b-in-moderation")
    assert page.failed_static == []
    assert uncaught == []


def test_store_manager_approves_from_the_dashboard(page, shot, uncaught):
    submit_as_editor(page)

    login(page, "manager")
    panel = awaiting_review(page)
    expect(panel).to_be_visible()
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(2)
    for name in (CAMPAIGN, IN_REVIEW):
        row = rows.filter(has=page.get_by_role("link", name=name, exact=True))
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Lucas Martin")  # the submitter
    shot("workflow-02-dashboard-manager")

    approve_as_manager(page)
    shot("workflow-03-approved")

    # Approved and published: the workflow is over, the campaign is ready to send.
    approved = campaign()
    state = WorkflowState.objects.for_instance(approved).get()
    assert state.status == WorkflowState.STATUS_APPROVED
    store_step = OrgApprovalTaskState.objects.get(workflow_state=state, task__name=STORE_STEP)
    assert (store_step.status, store_step.finished_by, store_step.comment) == (
        TaskState.STATUS_APPROVED, user("manager"), COMMENT
    )  # fmt: skip
    regional = OrgApprovalTaskState.objects.get(workflow_state=state, task__name=REGIONAL_STEP)
    assert regional.status == TaskState.STATUS_APPROVED  # skipped: the template does not ask
    assert regional.finished_by is None
    assert approved.live is True
    assert approved.has_unpublished_changes is False
    live_body = approved.live_revision.as_object().body
    assert next(c for c in live_body if c.id == "hero").value["heading"] == NEW_HEADING
    assert approved.sending_readiness().ready is True

    # The dashboard now lists only what still waits: the demo's Lyon newsletter.
    page.goto("/admin/")
    rows = awaiting_review(page).locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link", name=IN_REVIEW, exact=True)).to_be_visible()
    expect(page.locator("main").get_by_text(CAMPAIGN, exact=True)).to_have_count(0)
    shot("workflow-03b-dashboard-after-approval")
    assert page.failed_static == []
    assert uncaught == []


def test_editor_sees_the_campaign_approved_and_live(page, shot, uncaught):
    submit_as_editor(page)
    approve_as_manager(page)
    approved = campaign()

    login(page, "editor")
    # "Your pages and snippets in a workflow": only the newsletter still waits.
    in_workflow = page.locator(
        "section.w-panel",
        has=page.get_by_role("heading", name="Your pages and snippets in a workflow"),
    )
    expect(in_workflow).to_contain_text(IN_REVIEW)
    expect(in_workflow).not_to_contain_text(CAMPAIGN)

    open_campaign_from_menu(page)
    expect(page.get_by_text(re.compile(re.escape(AWAITING)))).to_have_count(0)
    expect(page.locator(HEADING)).to_have_value(NEW_HEADING)
    panel = open_status_panel(page)
    # "Approved, ready to send", not Wagtail's "Live": nothing was sent.
    approved_heading = panel.get_by_role("heading", name=re.compile(r"Approved, ready to send"))
    expect(approved_heading).to_be_visible()
    expect(panel).not_to_contain_text("Live")
    expect(panel).not_to_contain_text("In review")
    expect(panel).not_to_contain_text("Locked by workflow")
    # Unlocked again: the editor may change it and submit it anew.
    footer = page.locator("footer")
    expect(footer.get_by_role("button", name="Save draft")).to_be_visible()
    expect(footer_actions(page).get_by_role("button", name=SUBMIT, exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    shot("workflow-04-editor-sees-result")

    # The history: submitted by the editor, approved, skipped step, published.
    assert page.goto(history_url(approved)).status == 200
    table = page.locator("main table")
    started = table.locator("tr", has_text=f"'{WORKFLOW}' started. Next step '{STORE_STEP}'")
    expect(started).to_have_count(1)
    expect(started).to_contain_text("Lucas Martin")
    expect(table.locator("tr", has_text=f"'{WORKFLOW}' complete")).to_have_count(1)
    skipped = table.locator("tr", has_text="Approval step “Regional approval” skipped")
    expect(skipped).to_have_count(1)
    published = table.locator("tr", has_text="Published")
    expect(published).to_have_count(1)
    expect(published).to_contain_text("Live version", ignore_case=True)
    expect(published).to_contain_text("Claire Dubois")
    shot("workflow-04b-history")
    assert page.failed_static == []
    assert uncaught == []


def test_history_shows_the_store_managers_approval_and_comment(page):
    submit_as_editor(page)
    approve_as_manager(page)
    approved = campaign()
    # The entry is in the database ...
    manager_entry = ModelLogEntry.objects.for_instance(approved).get(
        action="wagtail.workflow.approve", data__workflow__task__title=STORE_STEP
    )
    assert (manager_entry.user, manager_entry.data["comment"]) == (user("manager"), COMMENT)

    # ... and the History, as the editor reads it, should show it.
    login(page, "editor")
    assert page.goto(history_url(approved)).status == 200
    row = page.locator("main table tr", has_text=f"Approved at '{STORE_STEP}'")
    expect(row).to_have_count(1, timeout=3000)
    expect(row).to_contain_text(COMMENT)
    expect(row).to_contain_text("Claire Dubois")


def test_manager_of_another_region_sees_none_of_it(page, shot, uncaught):
    submitted = submit_as_editor(page)
    newsletter = campaign(IN_REVIEW)
    task_state = WorkflowState.objects.for_instance(submitted).get().current_task_state

    login(page, "manager2")
    main = page.locator("main")
    expect(page.get_by_role("heading", name="Maison Lumière network")).to_be_visible()
    expect(awaiting_review(page)).to_have_count(0)
    for name in (CAMPAIGN, IN_REVIEW):
        expect(main.get_by_text(name)).to_have_count(0)
    shot("workflow-05-manager2")

    for target in (submitted, newsletter):
        response = page.goto(edit_url(target))
        assert response.status == 404, target
        expect(page.get_by_text("Error 404")).to_be_visible()
        assert "Lyon" not in page.locator("body").inner_text()
    shot("workflow-05b-manager2-404")

    # Nor can they act on the task by posting to the workflow action URL (the dashboard's
    # "Approve" button) directly ...
    action_url = f"{CAMPAIGNS_URL}workflow/action/{submitted.pk}/approve/{task_state.pk}/"
    answer = post_as_logged_in(page, action_url)
    assert answer.status == 404, answer.status  # out of scope (403 would be a CSRF failure)
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert campaign().live is False
    assert page.failed_static == []
    assert uncaught == []

    # ... while the same request approves it for the store's manager (the URL is right).
    login(page, "manager")
    answer = post_as_logged_in(page, action_url)
    assert answer.status < 400, answer.status
    task_state.refresh_from_db()
    approved_by = (task_state.status, task_state.finished_by)
    assert approved_by == (TaskState.STATUS_APPROVED, user("manager"))
    assert campaign().live is True
