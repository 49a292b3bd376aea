"""A store editor's campaign, start to preview: gallery, zones editor, limits, preview."""

import re

import pytest
from playwright.sync_api import expect

from home import demo_campaigns
from tests.browser.conftest import login
from wagtail_distmark.models import LocalCampaign

pytestmark = pytest.mark.browser

GALLERY_URL = "/admin/distmark/campaigns/new/"
EDIT_URL = re.compile(r"/admin/snippets/wagtail_distmark/localcampaign/edit/(\d+)/$")
TEMPLATES = ["Monthly newsletter", "New store opening", "Seasonal promotion"]
CAMPAIGN = "Autumn in Lyon (browser)"
NEW_HEADING = "Autumn evenings in Lyon, {{ contact.first_name }}"
NEW_HEADING_SENT = "Autumn evenings in Lyon, Camille"  # to the preview's sample contact
LEGAL_NAME = "Maison Lumière SAS"
SAVE_ERROR = "The local campaign could not be saved due to errors."
RANGE_ERROR = "This number must be between 5 and 20 (it is 30)."

LOCKED = ["Logo header", "Legal footer"]
EDITABLE = {  # zone label -> an input of its block
    "Hero": "#zone_hero-heading",
    "Offer": "#zone_offer-discount",
    "Button": "#zone_cta-label",
    "Local store footer": "#zone_store-intro",
}
DISCOUNT = EDITABLE["Offer"]
HEADING = EDITABLE["Hero"]
FORM_CONTROLS = "input, textarea, select"


def preview_url(pk: int) -> str:
    return f"/admin/snippets/wagtail_distmark/localcampaign/preview/{pk}/"


def zone(page, label: str):
    """The editor's ``section.distmark-zone`` whose header names ``label``."""
    header = page.locator("header.distmark-zone__header strong", has_text=re.compile(f"^{label}$"))
    return page.locator("section.distmark-zone").filter(has=header)


def save_draft(page):
    """Click Wagtail's footer "Save draft" and wait for the page the POST answers with."""
    with page.expect_navigation():
        page.locator("footer").get_by_role("button", name="Save draft").click()


def saved_body(campaign: LocalCampaign) -> dict:
    """The body of the campaign's latest revision, as stored now: zone id -> value."""
    campaign.refresh_from_db()  # ``latest_revision`` is a foreign key: re-read it
    saved = campaign.get_latest_revision().as_object()
    return {child["id"]: child["value"] for child in saved.body.get_prep_value()}


def demo_campaign_url() -> str:
    """The editor of the demo's own Lyon draft, "Autumn in Lyon" (Seasonal promotion)."""
    pk = LocalCampaign.objects.get(name="Autumn in Lyon").pk
    return f"/admin/snippets/wagtail_distmark/localcampaign/edit/{pk}/"


def test_editor_starts_fills_and_previews_a_campaign(page, screenshot):
    uncaught = []
    page.on("pageerror", lambda error: uncaught.append(str(error)))
    login(page, "editor")

    # 1. The gallery: the three templates available to Lyon, each with its preview.
    assert page.goto(GALLERY_URL).status == 200
    cards = page.locator(".distmark-gallery__item")
    expect(cards).to_have_count(3)
    expect(cards.locator("strong")).to_have_text(TEMPLATES)
    for card in cards.all():
        expect(card.locator("input[type='radio'][name='template']")).to_have_count(1)
        expect(card.get_by_role("link", name="Preview")).to_have_attribute(
            "href", re.compile(r"^/admin/distmark/campaigns/templates/\d+/preview/$")
        )
    assert page.failed_static == []
    screenshot("gallery")

    seasonal = cards.filter(has_text="Seasonal promotion")
    with page.context.expect_page() as opened:
        seasonal.get_by_role("link", name="Preview").click()
    template_preview = opened.value
    expect(template_preview.locator("body")).to_contain_text("Autumn has arrived, Camille")
    expect(template_preview.locator("body")).to_contain_text(LEGAL_NAME)
    template_preview.close()

    # 2. Start from "Seasonal promotion": a draft of Lyon's, opened in the zones editor.
    seasonal.locator("input[name='template']").check()
    page.fill("#id_name", CAMPAIGN)
    page.get_by_role("button", name="Start the campaign").click()
    page.wait_for_url(EDIT_URL)
    pk = int(EDIT_URL.search(page.url).group(1))
    campaign = LocalCampaign.objects.get(pk=pk)
    assert (campaign.name, campaign.unit.code, campaign.live) == (CAMPAIGN, "ML-001", False)
    assert campaign.template.name == "Seasonal promotion"
    expect(page.get_by_text(f"Campaign “{CAMPAIGN}” created as a draft.")).to_be_visible()
    expect(page.locator(DISCOUNT)).to_have_value("10")  # the block widgets are drawn
    assert page.failed_static == []
    original = saved_body(campaign)
    screenshot("editor")

    # 3. Locked zones: padlock badge and a rendered preview, nothing to type into.
    expect(page.locator("section.distmark-zone--locked")).to_have_count(len(LOCKED))
    for label in LOCKED:
        section = zone(page, label)
        expect(section).to_have_count(1)
        expect(section).to_have_class(re.compile(r"\bdistmark-zone--locked\b"))
        expect(section.locator(".distmark-zone__badge")).to_have_text("Locked by HQ")
        expect(section.locator("iframe.distmark-zone__preview")).to_be_visible()
        expect(section.locator(FORM_CONTROLS)).to_have_count(0)
    expect(zone(page, "Legal footer").frame_locator("iframe").locator("body")).to_contain_text(
        LEGAL_NAME
    )
    # ... the others show their block's inputs, constrained ones their limits too.
    expect(page.locator("section.distmark-zone")).to_have_count(len(LOCKED) + len(EDITABLE))
    for label, control in EDITABLE.items():
        section = zone(page, label)
        expect(section).to_have_count(1)
        expect(section).to_have_class(re.compile(r"\bdistmark-zone--(editable|constrained)\b"))
        expect(section.locator(control)).to_be_visible()
        assert section.locator(FORM_CONTROLS).count() > 0
    expect(zone(page, "Offer").locator(".distmark-zone__limits")).to_have_text(
        "Limits: at most 60 characters per text; numbers from 5 to 20"
    )
    expect(zone(page, "Local store footer")).to_have_class(re.compile(r"distmark-zone--editable"))

    # 4. A discount above HQ's 20 % is refused: the editor says so, nothing is saved.
    revisions = campaign.revisions.count()
    page.fill(DISCOUNT, "30")
    save_draft(page)
    expect(page.get_by_text(SAVE_ERROR)).to_be_visible()
    offer_field = zone(page, "Offer").locator("[data-contentpath='zone_offer']")
    expect(offer_field).to_have_class(re.compile(r"\bw-field--error\b"))
    # RANGE_ERROR itself is never shown: see test_out_of_range_discount_message_is_shown.
    expect(page.locator(DISCOUNT)).to_have_value("30")  # what was typed is kept
    assert campaign.revisions.count() == revisions
    assert saved_body(campaign)["offer"]["discount"] == 10
    screenshot("discount-refused")

    # 5. Within limits, with a new heading: saved as a draft revision.
    page.fill(DISCOUNT, "15")
    page.fill(HEADING, NEW_HEADING)
    save_draft(page)
    page.wait_for_url(EDIT_URL)
    success = page.locator(".messages .success")
    expect(success).to_contain_text(f"Local campaign '{CAMPAIGN}' updated.")
    expect(page.get_by_text(SAVE_ERROR)).to_have_count(0)
    expect(page.locator(DISCOUNT)).to_have_value("15")
    expect(page.locator(HEADING)).to_have_value(NEW_HEADING)
    # (Wagtail's autosave may also have saved the valid form: count revisions loosely.)
    assert campaign.revisions.count() > revisions
    saved = saved_body(campaign)
    assert saved["offer"]["discount"] == 15
    assert saved["hero"]["heading"] == NEW_HEADING
    assert saved["legal"] == original["legal"]
    assert saved["legal"]["text"] == demo_campaigns.LEGAL
    assert saved["logo"] == original["logo"]
    assert campaign.live is False  # a draft: nothing published
    screenshot("saved")

    # 6. Wagtail's preview panel posts the form and shows the e-mail a contact gets.
    page.get_by_role("button", name="Toggle preview").click()
    panel = page.locator("[data-side-panel='preview']")
    expect(panel).to_be_visible()
    frame = panel.locator(f"iframe[src*='{preview_url(pk)}']").last
    expect(frame).to_be_visible()
    email = frame.content_frame.locator("body")
    expect(email).to_contain_text(NEW_HEADING_SENT)
    expect(email).to_contain_text(re.compile(r"15\s*%"))
    expect(email).to_contain_text(LEGAL_NAME)
    expect(email).not_to_contain_text("Autumn has arrived")
    screenshot("preview-panel")

    # The same preview at full size: a GET renders what the panel posted.
    assert page.goto(preview_url(pk)).status == 200
    body = page.locator("body")
    expect(body).to_contain_text(NEW_HEADING_SENT)
    expect(body).to_contain_text(LEGAL_NAME)
    assert "{{" not in body.inner_text()  # every merge tag was filled in
    screenshot("preview-email")
    assert uncaught == []


def test_out_of_range_discount_message_is_shown(page):
    login(page, "editor")
    page.goto(demo_campaign_url())
    page.fill(DISCOUNT, "30")
    save_draft(page)
    expect(page.get_by_text(SAVE_ERROR)).to_be_visible()
    expect(zone(page, "Offer").get_by_text(RANGE_ERROR)).to_be_visible(timeout=3000)


def test_zone_widgets_connect_without_script_errors(page):
    failures = []

    def record(message):
        if "Error connecting controller" in message.text:
            error = re.search(r"\w*Error: [^\n]*", message.text)
            element = re.search(r"element: ([^}\s]+)", message.text)
            failures.append(f"{error and error.group(0)} on {element and element.group(1)}")

    page.on("console", record)
    login(page, "editor")
    page.goto(demo_campaign_url())
    expect(page.locator(DISCOUNT)).to_have_value("10")
    assert failures == []
