"""The Network admin as people see it: scoped listings, menus and refusals."""

import pytest
from playwright.sync_api import expect

from home import demo_network as demo
from tests.browser.conftest import login
from wagtail_distmark.models import OrgUnit

pytestmark = pytest.mark.browser

NETWORK_URL = "/admin/distmark/network/"


def inspect_url(code: str) -> str:
    return f"{NETWORK_URL}inspect/{OrgUnit.objects.get(code=code).pk}/"


def demo_tree_names() -> list[str]:
    """Every unit of the demo network in tree order: HQ, then each region and its stores."""
    names = [demo.HQ["name"]]
    for region in demo.REGIONS:
        names.append(region["name"])
        names.extend(store[1] for store in region["stores"])
    return names


def unit_rows(page):
    return page.locator("span.distmark-tree")


def text_left(locator) -> float:
    """Where the text of ``locator`` starts on screen (after any padding)."""
    return locator.evaluate(
        """(el) => {
            const range = document.createRange();
            range.selectNodeContents(el);
            return range.getBoundingClientRect().left;
        }"""
    )


def main_menu(page):
    return page.get_by_role("navigation", name="Main menu")


def assert_admin_styled(page):
    """The admin's CSS and JS loaded: no static file failed and the sidebar is rendered."""
    assert page.failed_static == []
    expect(main_menu(page)).to_be_visible()  # the sidebar is drawn by the admin's JS
    sidebar_bg = page.locator(".sidebar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert sidebar_bg not in ("", "transparent", "rgba(0, 0, 0, 0)")


def test_unit_manager_sees_only_their_store(page, screenshot):
    login(page, "manager")
    assert_admin_styled(page)
    menu = main_menu(page)
    expect(menu.get_by_text("Network", exact=True)).to_be_visible()
    for label in ("Settings", "Users", "Groups"):
        expect(menu.get_by_text(label, exact=True)).to_have_count(0)
    screenshot("dashboard")

    response = page.goto(NETWORK_URL)
    assert response.status == 200
    assert_admin_styled(page)
    rows = unit_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_be_visible()
    expect(rows).to_have_text(["Lyon Presqu'île"])
    expect(page.get_by_text("1 org unit", exact=True)).to_be_visible()

    visible_text = page.locator("body").inner_text()
    html = page.content()
    for outside in ("Maison Lumière HQ", "France", "London Marylebone"):
        assert outside not in visible_text
        assert outside not in html
    screenshot("network-index")


def test_hq_admin_sees_the_whole_tree(page, screenshot):
    login(page, "hq")
    response = page.goto(NETWORK_URL)
    assert response.status == 200
    assert_admin_styled(page)

    rows = unit_rows(page)
    expected = demo_tree_names()
    assert len(expected) == 18
    expect(rows).to_have_count(18)
    expect(rows).to_have_text(expected)  # tree order: each region followed by its stores
    for name in ("Maison Lumière HQ", "France", "Canada", "UK & Ireland"):
        expect(rows.filter(has_text=name)).to_be_visible()
    for name in ("Lyon Presqu'île", "Montréal Plateau", "London Marylebone", "Dublin Temple Bar"):
        expect(rows.filter(has_text=name)).to_be_visible()
    expect(page.get_by_text("18 org units", exact=True)).to_be_visible()

    # The tree reads as a tree: each level's name starts further right than its parent's.
    hq_x, region_x, store_x = (
        text_left(rows.filter(has_text=name))
        for name in ("Maison Lumière HQ", "Canada", "Toronto Queen West")
    )
    assert hq_x < region_x < store_x
    screenshot("network-index")

    lyon_row = page.locator("tr", has=rows.filter(has_text="Lyon Presqu'île"))
    # The row's actions are in Wagtail 8's "More options" dropdown (issue 10).
    lyon_row.get_by_role("button", name="More options for 'Lyon Presqu'île'").click()
    page.get_by_role("link", name="Inspect", exact=True).click()
    page.wait_for_url(f"**{inspect_url('ML-001')}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lyon Presqu'île")
    assert_admin_styled(page)
    screenshot("inspect-lyon")


def test_unit_manager_gets_404_for_another_store(page, screenshot):
    login(page, "manager2")

    own = page.goto(inspect_url("ML-201"))
    assert own.status == 200
    assert_admin_styled(page)
    expect(page.locator("main")).to_contain_text("London Marylebone")
    screenshot("own-store-inspect")

    other = page.goto(inspect_url("ML-001"))
    assert other.status == 404
    expect(page.get_by_text("Error 404")).to_be_visible()
    assert "Lyon" not in page.locator("body").inner_text()
    screenshot("other-store-404")
