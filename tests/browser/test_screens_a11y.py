"""axe-core on every screen the plugin owns (issue 10), as each role meets it, with the
states a user gets into: a dropdown open, a form refused with errors. Also: the Network's
row actions work from the keyboard, and its breadcrumbs are Wagtail 8's.

The campaign editor is checked with the editor's own tests; the e-mail HTML with the
rendering's.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe_violations, login, settle_animations
from wagtail_distmark.models import LocalCampaign, Membership, OrgUnit

pytestmark = pytest.mark.browser

NETWORK = "/admin/distmark/network/"
CAMPAIGNS = "/admin/snippets/wagtail_distmark/localcampaign/"


def unit_pk(code: str) -> int:
    return OrgUnit.objects.get(code=code).pk


def campaign_pk(name: str) -> int:
    return LocalCampaign.objects.get(name=name).pk


class Survey:
    """Visits screens, runs axe-core on each, and reports every violation at the end (one
    failure naming all the screens, rather than stopping at the first)."""

    def __init__(self, page, shot, prefix: str):
        self.page, self.shot, self.prefix = page, shot, prefix
        self.found = {}

    def visit(self, name: str, url: str, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response.status == status, (name, url, response.status)
        self.check(name)

    def check(self, name: str) -> None:
        settle_animations(self.page)
        self.shot(f"a11y-{self.prefix}-{name}")
        violations = axe_violations(self.page)
        if violations:
            self.found[f"{name} ({self.page.url})"] = describe_violations(violations)

    def assert_clean(self) -> None:
        assert not self.found, "\n\n".join(f"{k}\n{v}" for k, v in self.found.items())


def test_network_screens(page, shot):
    login(page, "hq")
    survey = Survey(page, shot, "network")
    lyon = unit_pk("ML-001")
    survey.visit("index", NETWORK)
    page.get_by_role("button", name="More options for 'Lyon Presqu'île'").click()
    expect(page.get_by_role("link", name="Add sub-unit", exact=True)).to_be_visible()
    survey.check("index-row-actions-open")
    survey.visit("index-within-france", f"{NETWORK}?within={unit_pk('ML-FR')}")
    search = page.get_by_role("textbox", name="Search for")
    search.fill("Presqu")
    search.press("Enter")  # modeladmin's search form, in the slim header
    page.wait_for_url("**?*q=Presqu*")
    expect(page.locator("span.distmark-tree")).to_have_text(["Lyon Presqu'île"])
    survey.check("index-search")
    survey.visit("inspect", f"{NETWORK}inspect/{lyon}/")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("link", name="Move", exact=True)).to_be_visible()
    survey.check("inspect-actions-open")
    survey.visit("edit", f"{NETWORK}edit/{lyon}/")
    survey.visit("create", f"{NETWORK}create/?parent={unit_pk('ML-FR')}")
    survey.visit("move", f"{NETWORK}move/{lyon}/")
    page.get_by_role("button", name="Move").click()  # no new parent chosen: refused
    expect(page.locator("#id_target")).to_have_attribute("aria-invalid", "true")
    survey.check("move-errors")
    survey.visit("member-add", f"{NETWORK}members/{lyon}/add/")
    page.fill("#id_username", "newcomer")
    page.get_by_role("button", name="Add member").click()  # no e-mail nor password
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    survey.check("member-add-errors")
    editor = Membership.objects.get(user__username="editor")
    survey.visit("member-remove", f"{NETWORK}members/{lyon}/remove/{editor.pk}/")
    survey.visit("delete", f"{NETWORK}delete/{unit_pk('ML-002')}/")
    survey.visit("history", f"{NETWORK}history/{lyon}/")
    survey.assert_clean()


def test_store_screens(page, shot):
    login(page, "manager")
    survey = Survey(page, shot, "store")
    lyon = campaign_pk("Autumn in Lyon")
    survey.visit("network-index", NETWORK)
    survey.visit("network-refused", f"{NETWORK}move/{unit_pk('ML-001')}/", status=403)
    survey.visit("campaign-list", CAMPAIGNS)
    survey.visit("gallery", "/admin/distmark/campaigns/new/")
    page.get_by_role("button", name="Start the campaign").click()  # nothing chosen
    expect(page.locator("#distmark-template-errors")).to_be_visible()
    survey.check("gallery-errors")
    survey.visit("copy", f"{CAMPAIGNS}copy/{lyon}/")
    survey.visit("test-email", f"/admin/distmark/campaigns/{lyon}/test-email/")
    survey.visit("brand-library", "/admin/distmark/brand-library/")
    survey.visit("products", "/admin/snippets/wagtail_distmark/product/")
    survey.visit("availability", "/admin/snippets/wagtail_distmark/productavailability/")
    survey.assert_clean()


def test_head_office_screens(page, shot):
    login(page, "hq")
    survey = Survey(page, shot, "hq")
    survey.visit("campaign-list", CAMPAIGNS)
    survey.visit("brand-templates", "/admin/snippets/wagtail_distmark/brandtemplate/")
    survey.visit("brand-library", "/admin/distmark/brand-library/")
    survey.visit("products", "/admin/snippets/wagtail_distmark/product/")
    survey.visit("availability", "/admin/snippets/wagtail_distmark/productavailability/")
    survey.visit("import", "/admin/distmark/catalogue/import/")
    page.get_by_role("button", name="Import").click()  # no file chosen
    expect(page.locator("#id_file")).to_have_attribute("aria-invalid", "true")
    survey.check("import-errors")
    survey.visit("expiring-report", "/admin/distmark/library/expiring/")
    survey.visit("approval-setup", "/admin/distmark/approval-setup/")
    survey.assert_clean()


def test_the_axe_check_finds_what_it_should(browser):
    """The harness itself: axe-core runs and reports (a page with known faults)."""
    page = browser.new_page()
    try:
        page.set_content(
            '<html lang="en"><title>t</title><main><h1>t</h1><img src="data:,">'
            '<input type="radio" name="x"><a href="#"></a></main></html>'
        )
        assert {v["id"] for v in axe_violations(page)} >= {"image-alt", "label", "link-name"}
        assert axe_violations(page, exclude=("img", "input", "a")) == []
    finally:
        page.close()


def test_network_row_actions_work_from_the_keyboard(page, shot):
    """Tab to a row's "More options", open it with Enter, reach "Edit" with the keyboard."""
    login(page, "regional")
    page.goto(NETWORK)
    toggle = page.get_by_role("button", name="More options for 'Lyon Presqu'île'")
    page.get_by_role("link", name="Lyon Presqu'île (level 2, in France)").focus()
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    shot("a11y-network-row-actions-keyboard")
    focused = []
    while "Edit" not in focused and len(focused) < 4:  # Inspect, then Edit
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert focused[-1] == "Edit", focused
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{NETWORK}edit/{unit_pk('ML-001')}/")
