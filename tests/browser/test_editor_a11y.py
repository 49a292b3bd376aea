"""The campaign editor with a keyboard and a screen reader (the server half:
tests/campaigns/test_editor_a11y.py). The demo's Lyon draft "Autumn in Lyon" (Seasonal
promotion): the logo header and the legal footer are locked, the offer allows 5 to 20 % and
texts of at most 60 characters."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_campaign_browser import DISCOUNT, SAVE_ERROR, demo_campaign_url, save_draft
from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.models import BrandTemplate, LocalCampaign
from wagtail_distmark.org.models import OrgUnit

pytestmark = pytest.mark.browser

TITLE = "#zone_offer-title"
LONG_TITLE = "Autumn evenings in Lyon: every candle of the new collection, twenty percent"
MAX_TAB_STOPS = 200

#: Where the focus is: its id/name, whether it sits in a locked zone, whether it is a frame.
FOCUS = """() => {
    const el = document.activeElement;
    return {
        id: el.id || el.getAttribute('name') || el.tagName,
        tag: el.tagName,
        locked: !!el.closest('.distmark-zone--locked'),
        footer: !!el.closest('footer'),
    };
}"""


def open_editor(page):
    login(page, "editor")
    page.goto(demo_campaign_url())
    expect(page.locator(DISCOUNT)).to_have_value("10")  # the block widgets are drawn


def tab_stops(page) -> list[dict]:
    """Every element Tab reaches, from the top of the page to the editor's footer."""
    page.locator("body").focus()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops = []
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUS))
        if stops[-1]["footer"]:
            break
    return stops


def test_tab_never_enters_a_locked_zone_preview(page, screenshot):
    open_editor(page)
    stops = tab_stops(page)
    reached = [stop["id"] for stop in stops]
    assert "zone_offer-title" in reached and "zone_offer-discount" in reached  # the zones
    assert stops[-1]["footer"], f"Tab never reached the footer: {reached[-10:]}"
    assert [stop for stop in stops if stop["locked"] or stop["tag"] == "IFRAME"] == []
    # Nothing in a locked preview can be followed, by Enter or a click.
    for frame in page.locator("section.distmark-zone--locked iframe").all():
        expect(frame).to_have_attribute("tabindex", "-1")
        expect(frame).to_have_attribute("title", re.compile(r"\(locked by HQ\)$"))
        document = frame.content_frame
        expect(document.locator("a[href]")).to_have_count(0)
        assert document.locator("title").inner_text()  # a document title
    legal = page.locator("section.distmark-zone--locked iframe").last.content_frame
    expect(legal.locator("title")).to_have_text(
        "Autumn in Lyon — Legal footer", use_inner_text=True
    )
    expect(legal.locator("body")).to_contain_text("Unsubscribe")
    screenshot("editor")


def test_limits_are_announced_on_their_fields(page, screenshot, assert_no_axe_violations):
    open_editor(page)
    discount, title = page.locator(DISCOUNT), page.locator(TITLE)
    # The number input announces the zone's 5 to 20, not the block's 1 to 90.
    expect(discount).to_have_attribute("min", "5")
    expect(discount).to_have_attribute("max", "20")
    # Each field's limits are its help text, linked to it.
    for field, limits in ((discount, "Limits: numbers from 5 to 20"),
                          (title, "Limits: at most 60 characters per text")):  # fmt: skip
        described = field.get_attribute("aria-describedby").split()
        help_id = next(i for i in described if i.endswith("-helptext"))
        expect(page.locator(f"[id='{help_id}']")).to_have_text(limits)
    # No silent cut at 60: a counter says how far over the text is.
    expect(title).not_to_have_attribute("maxlength", re.compile(".*"))
    title.fill(LONG_TITLE)
    counter = page.locator(f"{TITLE} ~ .distmark-count")
    expect(counter).to_have_text(f"{len(LONG_TITLE)} of 60 characters: 15 too many")
    assert len(LONG_TITLE) == 75
    expect(title).to_have_value(LONG_TITLE)  # all of it
    assert_no_axe_violations(page)
    screenshot("limits")
    # The status side panel (the campaign's own status: status_panel.html).
    page.get_by_role("button", name="Toggle status").click()
    expect(page.locator("[data-side-panel='status']")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot("status-panel")


def test_an_over_long_text_is_refused_on_its_field(page, screenshot, assert_no_axe_violations):
    open_editor(page)
    page.locator(TITLE).fill(LONG_TITLE)
    save_draft(page)
    expect(page.get_by_text(SAVE_ERROR)).to_be_visible()
    title = page.locator(TITLE)
    expect(title).to_have_value(LONG_TITLE)  # what was typed is kept
    expect(title).to_have_attribute("aria-invalid", "true")
    described = title.get_attribute("aria-describedby").split()
    errors = page.locator(f"[id='{described[0]}']")
    expect(errors).to_have_text("Title: at most 60 characters (you wrote 75).")
    assert described[0] == "zone_offer-title-errors"
    # On the field, not at the top of the zone.
    offer = page.locator("section.distmark-zone").filter(has=page.locator(TITLE))
    expect(offer.locator(".distmark-zone__error")).to_have_count(0)
    expect(page.locator(DISCOUNT)).not_to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)
    screenshot("title-refused")


def test_too_many_items_are_reported_on_the_list(page, screenshot, assert_no_axe_violations):
    """A zone that allows one social link, a draft that holds two (saved before HQ's limit):
    saving says so on the list of links, which it names, not at the top of the zone."""
    editor = get_user_model().objects.get(username="editor")
    links = [
        {"network": "instagram", "url": "https://instagram.com/maisonlumiere"},
        {"network": "facebook", "url": "https://facebook.com/maisonlumiere"},
    ]
    template = BrandTemplate(name="Follow us", subject="Follow us", preheader="", live=True)
    template.body = [zone("social", "social_links", {"links": links[:1]}, "constrained",
                          max_items=1)]  # fmt: skip
    template.save()
    campaign = LocalCampaign(
        unit=OrgUnit.objects.get(code="ML-001"), template=template, name="Follow us",
        subject="Follow us", preheader="", created_by=editor, live=False,
        body=[{"id": "social", "type": "social_links", "value": {"links": links}}],
    )  # fmt: skip
    campaign.save()
    campaign.save_revision(user=editor, clean=False)
    login(page, "editor")
    page.goto(f"/admin/snippets/wagtail_distmark/localcampaign/edit/{campaign.pk}/")
    expect(page.locator("#zone_social-links-1-value-url")).to_be_visible()
    save_draft(page)
    expect(page.get_by_text(SAVE_ERROR)).to_be_visible()
    links_list = page.locator("section.distmark-zone [data-contentpath='links']")
    expect(links_list.locator(".help-critical")).to_have_text(
        "Links: This zone needs between 0 and 1 items (it has 2)."
    )
    expect(page.locator(".distmark-zone__error")).to_have_count(0)
    assert_no_axe_violations(page)
    screenshot("links-refused")
