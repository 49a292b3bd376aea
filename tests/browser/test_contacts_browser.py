"""The contacts screens of issue 11 in a real Chromium, as each demo role meets them:
axe-core on every screen and every state a user gets into (menu open, filters open, a form
refused with its errors on the field), a screenshot of each, and the keyboard on the bulk
selection and the import's column mapping.

The demo network is loaded with 200 contacts (``conftest.demo_network``); the import uses
``example_site/sample-contacts.csv``, the file the README tells people to try.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPO_ROOT, login
from tests.browser.test_screens_a11y import Survey
from wagtail_distmark.contacts.consent import UNSUBSCRIBED
from wagtail_distmark.models import (
    Audience,
    CommunicationType,
    Consent,
    Contact,
    ContactTag,
    LocalCampaign,
    OrgUnit,
)

pytestmark = pytest.mark.browser

CONTACTS = "/admin/distmark/contacts/"
SETUP = "/admin/distmark/contacts/setup/"
AUDIENCES = "/admin/distmark/contacts/audiences/"
CAMPAIGNS = "/admin/snippets/wagtail_distmark/localcampaign/"
SAMPLE_CSV = REPO_ROOT / "example_site" / "sample-contacts.csv"


def lyon_contact(**consent) -> Contact:
    """A contact of the Lyon store (ML-001), with a consent row matching ``consent``."""
    lyon = OrgUnit.objects.get(code="ML-001")
    contacts = Contact.objects.filter(links__unit=lyon, erased_at__isnull=True)
    if consent:
        rows = Consent.objects.filter(**consent)
        contacts = contacts.filter(pk__in=rows.values("contact"))
    return contacts.order_by("pk").first()


def expect_error_on_field(page, selector: str, message) -> None:
    """The field is marked invalid and names, through ``aria-describedby``, an element that
    says ``message`` (as Wagtail's own fields do)."""
    field = page.locator(selector)
    expect(field).to_have_attribute("aria-invalid", "true")
    said = field.evaluate(
        """(el) => (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
               .map((id) => document.getElementById(id)?.innerText ?? null)"""
    )
    assert said and None not in said, (selector, said)  # every id named is on the page
    assert any(re.search(message, text) for text in said), (selector, said)


def expect_icon_button(button, text: str) -> None:
    """A button with an icon shows its text, the icon at icon size (a bare ``{% icon %}``
    in a ``.button`` grew to the button's width and hid the text)."""
    expect(button).to_have_text(text)
    icon = button.locator("svg").bounding_box()
    assert icon["width"] <= 32, icon
    label = button.get_by_text(text).bounding_box()
    assert label["width"] > 0, label


def listing_filtered_and_searched(page, survey) -> None:
    """The contacts listing with its filters open, then with a search's results."""
    page.get_by_role("button", name=re.compile("Show filters|Filter")).first.click()
    expect(page.get_by_text("Filter by")).to_be_visible()
    survey.check("listing-filters-open")
    page.get_by_role("textbox", name="Search term").fill("example")
    page.wait_for_url("**q=example*")
    expect(page.get_by_role("heading", name=re.compile("There are .* matches"))).to_be_visible()
    survey.check("listing-search")


def open_contacts_menu(page) -> None:
    page.goto("/admin/")
    page.get_by_role("button", name="Contacts").click()
    expect(page.get_by_role("link", name="Contacts", exact=True)).to_be_visible()


def test_manager_contacts_listing_detail_and_edit(page, shot, uncaught):
    """Lyon's manager: the menu, the listing (filters, search), a contact's page, its edit
    form refused (invalid phone; a re-subscription without re-consent), the erase confirm,
    an export and the exports listing."""
    login(page, "manager")
    survey = Survey(page, shot, "contacts-manager")
    open_contacts_menu(page)
    survey.check("menu-open")
    survey.visit("listing", CONTACTS)
    expect(page.get_by_role("columnheader", name=re.compile("Phone"))).to_be_visible()
    listing_filtered_and_searched(page, survey)

    contact = lyon_contact()
    survey.visit("detail", f"{CONTACTS}inspect/{contact.pk}/")
    expect(page.get_by_role("heading", name="Consent history")).to_be_visible()
    survey.visit("edit", f"{CONTACTS}edit/{contact.pk}/")
    page.fill("#id_phone", "12")
    page.get_by_role("button", name="Save").click()
    expect_error_on_field(page, "#id_phone", "not a valid phone number")
    survey.check("edit-invalid-phone")

    newsletter = CommunicationType.objects.get(slug="newsletter")
    gone = lyon_contact(communication_type=newsletter, status=UNSUBSCRIBED)
    field = f"#id_consent_{newsletter.pk}"
    survey.visit("edit-unsubscribed", f"{CONTACTS}edit/{gone.pk}/")
    page.select_option(field, "subscribed")
    page.fill("#id_consent_evidence", "Asked at the counter")
    page.get_by_role("button", name="Save").click()
    expect_error_on_field(page, field, "unsubscribed.*re-consent")
    survey.check("edit-resubscribe-refused")

    survey.visit("erase", f"/admin/distmark/contacts/{contact.pk}/erase/")
    survey.visit("export", "/admin/distmark/contacts/export/")
    expect_icon_button(page.get_by_role("button", name="Export"), "Export")
    page.get_by_role("button", name="Export").click()
    page.wait_for_url(re.compile(r"/export-jobs/\d+/$"))
    expect_icon_button(page.get_by_role("link", name="Download"), "Download")
    survey.check("export-submitted")
    survey.visit("exports", "/admin/distmark/contacts/export-jobs/")
    expect(page.locator("table tbody tr")).not_to_have_count(0)
    survey.assert_clean()
    assert not uncaught


def test_editor_listing_has_no_phone_column(page, shot, uncaught):
    login(page, "editor")
    survey = Survey(page, shot, "contacts-editor")
    open_contacts_menu(page)
    survey.check("menu-open")
    survey.visit("listing", CONTACTS)
    expect(page.get_by_role("columnheader", name=re.compile("Contact"))).to_be_visible()
    expect(page.get_by_role("columnheader", name=re.compile("Phone"))).to_have_count(0)
    listing_filtered_and_searched(page, survey)
    contact = lyon_contact()
    survey.visit("detail", f"{CONTACTS}inspect/{contact.pk}/")
    survey.assert_clean()
    assert not uncaught


def test_head_office_setup_screens(page, shot, uncaught):
    login(page, "hq")
    survey = Survey(page, shot, "contacts-hq")
    open_contacts_menu(page)
    survey.check("menu-open")
    for name in ("communication-types", "tags", "attributes", "field-visibility", "suppression"):
        survey.visit(name, f"{SETUP}{name}/")
    survey.visit("communication-types-add", f"{SETUP}communication-types/new/")
    survey.visit("tags-add", f"{SETUP}tags/new/")
    survey.visit("attributes-add", f"{SETUP}attributes/new/")
    survey.visit("suppression-add", f"{SETUP}suppression/new/")
    survey.assert_clean()
    assert not uncaught


def test_manager_audiences_and_campaign_recipients(page, shot, uncaught):
    login(page, "manager")
    survey = Survey(page, shot, "contacts-audiences")
    survey.visit("listing", AUDIENCES)
    audience = Audience.objects.order_by("pk").first()
    survey.visit("edit", f"{AUDIENCES}edit/{audience.pk}/")
    expect(page.get_by_text(re.compile(r"This audience reaches \d+ contacts"))).to_be_visible()
    expect(page.locator("table tbody tr").first).to_be_visible()  # the sample
    campaign = LocalCampaign.objects.get(name="Autumn in Lyon")
    survey.visit("campaign-edit", f"{CAMPAIGNS}edit/{campaign.pk}/")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("link", name="Recipients").click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/recipients/")
    survey.check("campaign-recipients")
    page.get_by_label("Audience").select_option(label=audience.name)
    page.get_by_role("button", name="Save the audience").click()
    expect(page.get_by_text(re.compile(r"reach|recipient", re.I)).first).to_be_visible()
    expect(page.locator("table tbody tr").first).to_be_visible()  # the sample
    expect(page.get_by_label("Audience")).to_have_value(str(audience.pk))  # kept as chosen
    survey.check("campaign-recipients-chosen")
    survey.assert_clean()
    assert not uncaught


def test_manager_import_wizard(page, shot, uncaught):
    login(page, "manager")
    survey = Survey(page, shot, "contacts-import")
    survey.visit("upload", "/admin/distmark/contacts/import/")
    page.get_by_role("button", name=re.compile("Upload|Next|Continue")).click()  # no file
    expect_error_on_field(page, "#id_file", "required")
    survey.check("upload-errors")
    page.set_input_files("#id_file", str(SAMPLE_CSV))
    page.get_by_role("button", name=re.compile("Upload|Next|Continue")).click()
    page.wait_for_url("**/mapping/")
    survey.check("mapping")
    page.get_by_label("first_name", exact=True).select_option("email")  # e-mail twice
    page.get_by_role("button", name=re.compile("Check|Next|Continue")).click()
    expect_error_on_field(page, "#id_column_1", "already imported")
    survey.check("mapping-errors")
    page.get_by_label("first_name", exact=True).select_option("first_name")
    page.get_by_role("button", name=re.compile("Check|Next|Continue")).click()
    page.wait_for_url("**/check/")
    survey.check("dry-run")
    page.get_by_role("button", name=re.compile("Import|Start")).click()
    page.wait_for_url(re.compile(r"/import-jobs/\d+/$"))
    progress = page.get_by_role("progressbar")
    expect(progress).to_have_js_property("value", 100)
    expect(page.get_by_role("heading", name="Status: Done")).to_be_visible()
    survey.check("status")
    survey.visit("imports", "/admin/distmark/contacts/imports/")
    survey.assert_clean()
    assert not uncaught


def test_bulk_add_tag_from_the_keyboard(page, shot, uncaught):
    """Tab to a row's checkbox, tick it with Space, Tab to "Add a tag" in the bulk bar and
    press Enter: the confirm page; choose the tag with the keyboard and confirm."""
    login(page, "manager")
    survey = Survey(page, shot, "contacts-bulk")
    tagged = ContactTag.objects.count()
    page.goto(CONTACTS)
    first_row = page.locator("tbody tr").first
    checkbox = first_row.get_by_role("checkbox")
    first_row.get_by_role("link").first.focus()
    page.keyboard.press("Shift+Tab")
    expect(checkbox).to_be_focused()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    survey.check("listing-one-selected")
    tab_to(page, "Add a tag")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bulk/**")
    survey.check("add-tag-confirm")
    tag = page.get_by_role("combobox").or_(page.get_by_role("radio").first).first
    tag.focus()
    page.keyboard.press("ArrowDown")
    tab_to(page, "Yes, go ahead")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{CONTACTS}**")
    assert ContactTag.objects.count() == tagged + 1
    survey.check("after-add-tag")
    survey.assert_clean()
    assert not uncaught


def tab_to(page, text: str, limit: int = 150) -> None:
    """Press Tab until the focused element's text is ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("(document.activeElement.innerText || '').trim()")
        if focused == text:
            return
    raise AssertionError(f"{text!r} not reached with Tab")


def test_import_mapping_selects_from_the_keyboard(page, shot, uncaught):
    """Tab into the mapping, change a column with the arrow keys, Tab to the button and
    submit with Enter: the dry run reflects the choice (the notes column mapped)."""
    login(page, "manager")
    page.goto("/admin/distmark/contacts/import/")
    page.set_input_files("#id_file", str(SAMPLE_CSV))
    page.get_by_role("button", name=re.compile("Upload|Next|Continue")).click()
    page.wait_for_url("**/mapping/")
    email = page.get_by_label("email", exact=True)
    page.locator("h1").first.focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == email.get_attribute("id"):
            break
    expect(email).to_be_focused()
    page.keyboard.press("ArrowDown")  # a closed select changes its value with the arrows
    expect(email).not_to_have_value("email")
    shot("a11y-contacts-keyboard-mapping-changed")
    page.keyboard.press("ArrowUp")
    expect(email).to_have_value("email")
    tab_to(page, "Check the file")
    page.keyboard.press("Enter")
    page.wait_for_url("**/check/")
    assert not uncaught
