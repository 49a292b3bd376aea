"""The plugin's own campaign screens look like Wagtail 8 and read well to assistive tech
(issue 10): Wagtail's slim header with breadcrumbs, the gallery's template radios as a
fieldset with a legend, errors linked to their fields. axe-core runs on the same screens in
``tests/browser/test_screens_a11y.py``."""

import pytest
from django.urls import reverse

from tests.admin_html import breadcrumbs, by_id, described_by, elements, has_slim_header
from tests.campaigns.test_admin import GALLERY, snippet_url, start
from wagtail_distmark.models import LocalCampaign

pytestmark = pytest.mark.django_db

HOME = ("Home", "/admin/")
CAMPAIGNS = ("Local campaigns", snippet_url("list"))


@pytest.fixture
def campaign(net, client_for, brand_template):
    start(client_for(net.users["manager_a"]), brand_template, net.units["a"])
    return LocalCampaign.objects.get()


def test_the_gallery_has_breadcrumbs_and_a_fieldset_of_templates(net, client_for, brand_template):
    html = client_for(net.users["manager_a"]).get(reverse(GALLERY)).content.decode()
    assert has_slim_header(html)
    assert breadcrumbs(html) == [HOME, CAMPAIGNS, ("New campaign", None)]
    tags = elements(html)
    fieldset = next(i for i, (tag, *_) in enumerate(tags) if tag == "fieldset")
    assert tags[fieldset + 1][0] == "legend" and tags[fieldset + 1][2] == "Template*"
    radios = [attrs for tag, attrs, _ in tags[fieldset:] if attrs.get("name") == "template"]
    assert [attrs["value"] for attrs in radios] == [str(brand_template.pk)]


def test_the_gallerys_errors_are_linked_to_their_fields(net, client_for, brand_template):
    response = client_for(net.users["manager_a"]).post(reverse(GALLERY), {"name": ""})
    html = response.content.decode()
    assert described_by(html, "template") == ["This field is required."]
    assert described_by(html, "name") == ["This field is required."]
    radio = next(attrs for tag, attrs, _ in elements(html) if attrs.get("name") == "template")
    assert radio["aria-invalid"] == "true"
    fieldset = next(attrs for tag, attrs, _ in elements(html) if tag == "fieldset")
    assert by_id(html, fieldset["aria-describedby"])[2] == "This field is required."


def test_copy_and_test_email_lead_back_through_the_campaign(net, client_for, campaign):
    client = client_for(net.users["manager_a"])
    edit = snippet_url("edit", campaign.pk)
    copy = client.get(snippet_url("copy", campaign.pk)).content.decode()
    assert breadcrumbs(copy) == [HOME, CAMPAIGNS, (campaign.name, edit), ("Copy campaign", None)]
    test_email = reverse("wagtail_distmark:campaign_test_email", args=[campaign.pk])
    html = client.get(test_email).content.decode()
    assert breadcrumbs(html) == [HOME, CAMPAIGNS, (campaign.name, edit),
                                 ("Send me a test e-mail", None)]  # fmt: skip


def test_the_expiring_report_has_wagtails_header(net, client_for):
    html = client_for(net.users["hq"]).get(reverse("wagtail_distmark:library_expiring"))
    html = html.content.decode()
    assert has_slim_header(html)
    assert breadcrumbs(html) == [HOME, ("Campaigns using images that expire soon", None)]
