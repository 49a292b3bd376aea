"""HQ's brand template admin: who may use it, and bad MJML is a form error, never a 500."""

import pytest
from django.urls import reverse

from tests.campaigns.test_admin import flatten
from wagtail_distmark.blocks import NO_LIMITS
from wagtail_distmark.models import BrandTemplate

pytestmark = pytest.mark.django_db


def url(action, *args):
    return reverse(f"wagtailsnippets_wagtail_distmark_brandtemplate:{action}", args=args)


def template_post(zones, **fields):
    data = {"name": "Raw design", "subject": "Hello", "preheader": "", "channel": "email",
            "subject_max_length": "90", "preheader_max_length": "120", "sender_policy": "unit",
            "available_to_all": "on", "subject_editable": "on", "preheader_editable": "on",
            "body-count": str(len(zones)), **fields}  # fmt: skip
    for i, (block_type, value) in enumerate(zones):
        data.update({f"body-{i}-type": block_type, f"body-{i}-id": f"z{i}",
                     f"body-{i}-deleted": "", f"body-{i}-order": str(i)})  # fmt: skip
        data.update(flatten(f"body-{i}-value", value))
    return data


def raw_zone(mjml, policy="locked"):
    return ("raw_mjml", {"policy": policy, "constraints": NO_LIMITS, "content": mjml})


GOOD = "<mj-section><mj-column><mj-text>HQ design</mj-text></mj-column></mj-section>"


def test_hq_admin_creates_a_template_with_raw_mjml(net, client_for):
    client = client_for(net.users["hq"])
    assert client.get(url("add")).status_code == 200
    response = client.post(url("add"), template_post([raw_zone(GOOD)]))
    assert response.status_code == 302
    template = BrandTemplate.objects.get(name="Raw design")
    assert template.body[0].value["content"] == GOOD


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        (raw_zone("<mj-section><mj-column>"), "This MJML does not compile"),
        (raw_zone(GOOD, policy="editable"), "Raw MJML is always locked."),
    ],
)
def test_bad_raw_mjml_is_a_form_error_and_nothing_is_saved(net, client_for, zone, message):
    response = client_for(net.users["hq"]).post(url("add"), template_post([zone]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BrandTemplate.objects.exists()


@pytest.mark.parametrize("username", ["regional_north", "manager_a", "editor_a"])
def test_only_hq_manages_templates(net, client_for, brand_template, username):
    client = client_for(net.users[username])
    for target in (url("list"), url("add"), url("edit", brand_template.pk)):
        response = client.get(target)
        assert response.status_code in (302, 403), target
        assert "Autumn promotion" not in response.content.decode()
    client.post(url("edit", brand_template.pk), template_post([raw_zone(GOOD)], name="Hijack"))
    brand_template.refresh_from_db()
    assert brand_template.name == "Autumn promotion"


def test_menus_show_units_their_campaigns_and_hq_the_templates(net, client_for):
    campaigns = reverse("wagtailsnippets_wagtail_distmark_localcampaign:list")
    unit_menu = (
        client_for(net.users["manager_a"]).get(reverse("wagtailadmin_home")).content.decode()
    )
    assert campaigns in unit_menu
    assert url("list") not in unit_menu
    hq_menu = client_for(net.fresh("hq")).get(reverse("wagtailadmin_home")).content.decode()
    assert url("list") in hq_menu and campaigns in hq_menu


def test_hq_previews_a_template_as_a_chosen_unit(net, brand_template, rf):
    brand_template.body = [
        {"type": "local_footer", "id": "f",
         "value": {"policy": "locked", "constraints": NO_LIMITS, "content": {"intro": "Visit"}}}
    ]  # fmt: skip
    modes = dict(brand_template.preview_modes)
    store_c = net.units["c"]
    assert modes[f"unit-{store_c.pk}"] == "As Store C"
    request = rf.get("/")
    html = brand_template.serve_preview(request, f"unit-{store_c.pk}").content.decode()
    assert "Store C" in html and "Store A" not in html


@pytest.mark.parametrize(
    "crafted",
    [
        {"body-count": None},  # a truncated POST: the zones' inputs are missing
        {"body-count": "many"},
        {"body-count": "5"},  # more zones than were posted
    ],
    ids=["no-count", "text-count", "count-beyond-items"],
)
def test_unreadable_zones_are_a_form_error_and_the_saved_zones_stay(
    net, client_for, brand_template, crafted
):
    """Found by the form fuzz (tests/security/test_form_fuzz.py): a 500 before."""
    client = client_for(net.users["hq"])
    saved = BrandTemplate.objects.values_list("body", flat=True)
    before = list(saved)
    data = {**template_post([raw_zone(GOOD)]), **crafted}
    data = {key: value for key, value in data.items() if value is not None}
    for target in (url("add"), url("edit", brand_template.pk)):
        response = client.post(target, data)
        assert response.status_code == 200
        assert "The zones could not be read: reload the page and try again." in (
            response.content.decode()
        )
    assert list(BrandTemplate.objects.values_list("name", flat=True)) == ["Autumn promotion"]
    assert list(saved) == before


def test_a_crafted_thumbnail_id_is_a_form_error(net, client_for):
    """Found by the form fuzz: Wagtail's image chooser raised drawing the form again."""
    data = template_post([raw_zone(GOOD)], thumbnail="\u200b")
    response = client_for(net.users["hq"]).post(url("add"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not BrandTemplate.objects.exists()


@pytest.mark.parametrize("next_url", ["{{", "history", "https://evil.example/"])
def test_unscheduling_with_a_next_that_is_not_a_path_goes_back_to_the_history(
    net, client_for, brand_template, next_url
):
    """Found by the form fuzz: ``redirect("{{")`` was a NoReverseMatch, a 500."""
    revision = brand_template.save_revision()
    target = url("revisions_unschedule", brand_template.pk, revision.pk)
    response = client_for(net.users["hq"]).post(target, {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == url("history", brand_template.pk)
    response = client_for(net.users["hq"]).post(target, {"next": "/admin/"})
    assert response["Location"] == "/admin/"


@pytest.mark.parametrize("next_url", ["{{", "index", "\\"])
def test_deleting_with_a_next_that_is_not_a_url_goes_to_the_listing(
    net, client_for, brand_template, next_url
):
    """Found by the form fuzz: Wagtail's delete view redirected with ``redirect("{{")``."""
    response = client_for(net.users["hq"]).post(
        url("delete", brand_template.pk) + f"?next={next_url}", {"next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == url("list")
    assert not BrandTemplate.objects.exists()
