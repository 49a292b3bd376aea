"""The content library as people see it: the image chooser of a campaign zone, uploads to the
store's own collection, and HQ's brand library and expiring-images report."""

import io
import re

import pytest
from PIL import Image as PILImage
from PIL import ImageDraw
from playwright.sync_api import expect
from wagtail.images import get_image_model

from home import demo_library
from tests.browser.conftest import login
from wagtail_distmark.models import LocalCampaign, OrgUnit

pytestmark = pytest.mark.browser

CAMPAIGNS_URL = "/admin/snippets/wagtail_distmark/localcampaign/"
GALLERY_URL = "/admin/distmark/campaigns/new/"
EDIT_URL = re.compile(r"/admin/snippets/wagtail_distmark/localcampaign/edit/(\d+)/$")
BRAND_LIBRARY_URL = "/admin/distmark/brand-library/"
EXPIRING_URL = "/admin/distmark/library/expiring/"

LYON_CAMPAIGN = "Autumn in Lyon"  # demo draft of ML-001, "Seasonal promotion": a hero zone
LYON_UPLOADS = [title for user, title, *_ in demo_library.STORE_UPLOADS if user == "manager"]
LONDON_UPLOADS = [title for user, title, *_ in demo_library.STORE_UPLOADS if user == "manager2"]
UK_IMAGES = [title for title, *_ in demo_library.UK_IMAGERY]
PHOTO = "Amber autumn candles"  # brand library > Photography
LOGO = "Logo – colour"  # brand library > Logos
EXPIRED = "Winter gift box"  # Photography, usage rights ended last month
UPLOAD_TITLE = "Lyon autumn window"
NO_MATCH = 'Sorry, there are no matches for "{}"'
CHOOSE_BUTTON = re.compile(r"^(Choose an image|Choose another image|Change image)$")


def zone(page, label: str):
    """The campaign editor's ``section.distmark-zone`` whose header names ``label``."""
    header = page.locator("header.distmark-zone__header strong", has_text=re.compile(f"^{label}$"))
    return page.locator("section.distmark-zone").filter(has=header)


def open_lyon_campaign(page):
    """Campaigns > Local campaigns > the Lyon demo draft, through the admin menu."""
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Campaigns", exact=True).click()
    menu.get_by_role("link", name="Local campaigns", exact=True).click()
    page.wait_for_url(f"**{CAMPAIGNS_URL}")
    page.locator("main").get_by_role("link", name=LYON_CAMPAIGN, exact=True).click()
    page.wait_for_url(EDIT_URL)
    expect(page.locator("section.distmark-zone").first).to_be_visible()


def open_image_chooser(section):
    """Open Wagtail's image chooser modal of the (single) image field in ``section``."""
    page = section.page
    chooser = section.locator(".image-chooser")
    expect(chooser).to_have_count(1)
    if "blank" in chooser.get_attribute("class").split():
        chooser.get_by_role("button", name=CHOOSE_BUTTON).click()
    else:  # an image is chosen: "Choose another" / "Change" sits in the actions menu
        chooser.get_by_role("button", name="Actions").click()
        page.get_by_role("button", name=CHOOSE_BUTTON).click()
    modal = page.locator(".modal-dialog")
    expect(modal.get_by_role("heading", name="Choose an image")).to_be_visible()
    expect(modal.locator("#search-results .image-choice").first).to_be_visible()
    return modal


def choice_titles(modal) -> list[str]:
    return modal.locator("#search-results .image-choice h3").all_inner_texts()


def search(modal, term: str):
    """Type ``term`` in the modal's search box and wait for the results to answer it."""
    results = re.compile(rf"/admin/images/chooser/results/\?(.*&)?q={re.escape(term)}(&|$)")
    with modal.page.expect_response(results):
        modal.locator("#id_q").fill(term)


def assert_thumbnails_loaded(locator):
    """Every ``<img>`` in ``locator`` has loaded (no broken thumbnail)."""
    images = locator.locator("img")
    assert images.count() > 0
    for image in images.all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, image.get_attribute("src")


def png_file(tmp_path) -> str:
    """A small PNG, drawn now (unique content: Wagtail's duplicate check stays quiet)."""
    picture = PILImage.new("RGB", (320, 200), "#b35c1e")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((40, 40, 280, 160), outline="#fff3c4", width=6)
    draw.text((60, 90), f"{UPLOAD_TITLE} {tmp_path.name}", fill="white")
    path = tmp_path / "lyon-autumn-window.png"
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_manager_chooser_lists_brand_and_own_store_images(page, shot, uncaught):
    login(page, "manager")
    open_lyon_campaign(page)
    hero = zone(page, "Hero")
    expect(hero).to_have_class(re.compile(r"\bdistmark-zone--(editable|constrained)\b"))
    modal = open_image_chooser(hero)

    titles = choice_titles(modal)
    for title in (PHOTO, LOGO, *LYON_UPLOADS):
        assert title in titles
    for title in (*LONDON_UPLOADS, *UK_IMAGES, EXPIRED):
        assert title not in titles
    # Each choice's tooltip names its collection: brand ones and Lyon's, nothing else.
    collections = {
        title.split(" » ")[0]
        for title in modal.locator("#search-results .image-choice").evaluate_all(
            "links => links.map((a) => a.title)"
        )
    }
    assert collections == {"Photography", "Logos", "Lyon Presqu'île (ML-001)"}
    filter_options = modal.locator("#id_collection_id option").all_inner_texts()
    assert not any("UK campaign imagery" in o or "Marylebone" in o for o in filter_options)
    assert_thumbnails_loaded(modal.locator("#search-results"))
    shot("library-chooser-manager")

    search(modal, "shop")
    expect(modal.locator("#search-results .image-choice h3")).to_have_text(["Lyon shop window"])

    search(modal, "Marylebone")
    expect(modal.locator("#search-results .image-choice")).to_have_count(0)
    expect(modal.locator("#search-results")).to_contain_text(NO_MATCH.format("Marylebone"))
    assert page.failed_static == []
    assert uncaught == []


def test_manager_uploads_to_their_store_collection_from_the_chooser(page, shot, uncaught, tmp_path):
    login(page, "manager")
    open_lyon_campaign(page)
    campaign = LocalCampaign.objects.get(pk=int(EDIT_URL.search(page.url).group(1)))
    hero = zone(page, "Hero")
    modal = open_image_chooser(hero)

    modal.get_by_role("tab", name="Upload").click()
    upload = modal.locator("form[data-chooser-modal-creation-form]")
    expect(upload).to_be_visible()
    upload.locator("input[type='file']").set_input_files(png_file(tmp_path))
    upload.get_by_label("Title").fill(UPLOAD_TITLE)
    upload.get_by_role("button", name="Upload").click()

    # Chosen at once: the modal closes and the zone shows the new image.
    expect(page.locator(".modal-dialog")).to_have_count(0)
    chooser = hero.locator(".image-chooser")
    expect(chooser.locator("[data-chooser-title]")).to_have_text(UPLOAD_TITLE)
    expect(chooser).not_to_have_class(re.compile(r"\bblank\b"))
    assert_thumbnails_loaded(chooser)

    image = get_image_model().objects.get(title=UPLOAD_TITLE)
    expect(hero.locator("input[type='hidden'][name='zone_hero-image']")).to_have_value(
        str(image.pk)
    )
    lyon = OrgUnit.objects.get(code="ML-001")
    assert image.collection_id == lyon.collection_id
    assert image.uploaded_by_user.username == "manager"
    shot("library-upload-manager")

    # The campaign accepts its store's own upload.
    with page.expect_navigation():
        page.locator("footer").get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages .success")).to_contain_text(f"'{LYON_CAMPAIGN}' updated.")
    campaign.refresh_from_db()
    saved = campaign.get_latest_revision().as_object()
    body = {child["id"]: child["value"] for child in saved.body.get_prep_value()}
    assert body["hero"]["image"] == image.pk
    assert page.failed_static == []
    assert uncaught == []


def test_other_store_manager_does_not_see_lyon_uploads(page, shot, uncaught):
    login(page, "manager2")
    # A campaign of London Marylebone's own, to reach a zone's image chooser.
    assert page.goto(GALLERY_URL).status == 200
    page.locator(".distmark-gallery__item", has_text="Seasonal promotion").locator(
        "input[name='template']"
    ).check()
    page.fill("#id_name", "Marylebone autumn (browser)")
    page.get_by_role("button", name="Start the campaign").click()
    page.wait_for_url(EDIT_URL)
    campaign = LocalCampaign.objects.get(pk=int(EDIT_URL.search(page.url).group(1)))
    assert campaign.unit.code == "ML-201"

    modal = open_image_chooser(zone(page, "Hero"))
    titles = choice_titles(modal)
    for title in (PHOTO, LOGO, *LONDON_UPLOADS, *UK_IMAGES):  # UK imagery: London is in the UK
        assert title in titles
    for title in (*LYON_UPLOADS, EXPIRED):
        assert title not in titles
    assert_thumbnails_loaded(modal.locator("#search-results"))
    shot("library-chooser-manager2")

    search(modal, "Lyon")
    expect(modal.locator("#search-results .image-choice")).to_have_count(0)
    expect(modal.locator("#search-results")).to_contain_text(NO_MATCH.format("Lyon"))
    assert uncaught == []


def test_hq_sees_brand_library_and_expiring_report(page, shot, uncaught):
    login(page, "hq")
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Brand library", exact=True).click()
    page.wait_for_url(f"**{BRAND_LIBRARY_URL}")
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text("Brand library")
    rows = main.locator("table.listing tbody tr")
    uk_row = rows.filter(has_text="UK campaign imagery")
    expect(uk_row).to_have_count(1)
    expect(uk_row).to_contain_text("UK & Ireland")
    expect(rows.filter(has_text="Photography")).to_contain_text("Whole network")
    assert page.failed_static == []
    shot("library-brand-hq")

    response = page.goto(EXPIRING_URL)
    assert response.status == 200
    expect(main.get_by_role("heading", level=1)).to_have_text(
        "Campaigns using images that expire soon"
    )
    assert page.failed_static == []
    shot("library-expiring-hq")
    assert uncaught == []
