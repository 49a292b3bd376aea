"""The campaign editor for a keyboard and a screen reader: a zone's limit errors on the field
at fault, limits linked to their fields, inputs that announce the zone's own range, locked
previews out of the tab order (the browser half: tests/browser/test_editor_a11y.py)."""

import html as html_lib
import json
import re

import pytest
from wagtail import VERSION as WAGTAIL_VERSION

from tests.campaigns.test_admin import edit_form_data, snippet_url, start
from tests.campaigns.widgets import zone_widget
from tests.test_wagtail_private_api import BLOCKS_JS, ZONES_JS, class_body
from wagtail_distmark.models import LocalCampaign

pytestmark = pytest.mark.django_db


def field_errors(errors) -> dict:
    """A zone's errors as the editor draws them: none of its own, and its fields'."""
    assert not errors.get("messages")  # nothing left at the top of the zone
    return errors["blockErrors"]


def zone_section(html: str, zone_id: str) -> str:
    """The HTML of the zones panel's section of zone ``zone_id``, up to its input."""
    return html.split(f'id="zone_{zone_id}"')[0].rsplit("<section", 1)[-1]


@pytest.fixture
def campaign(net, client_for, brand_template):
    """Autumn promotion, whose offer HQ limits: 5–20 %, texts of at most 20 characters, each
    required."""
    offer = brand_template.body.raw_data[1]["value"]
    offer["constraints"].update(max_chars=20, required=True)
    offer["content"]["text"] = "In store only"
    brand_template.save()
    start(client_for(net.users["manager_a"]), brand_template, net.units["a"])
    return LocalCampaign.objects.get()


def post(client, campaign, **zone_fields):
    data = {**edit_form_data(campaign), **zone_fields}
    response = client.post(snippet_url("edit", campaign.pk), data)
    assert response.status_code == 200  # refused: the editor again, with its errors
    assert campaign.revisions.count() == 1
    return response.content.decode()


def test_an_out_of_range_number_is_reported_on_its_field_naming_it(net, client_for, campaign):
    html = post(client_for(net.users["editor_a"]), campaign, **{"zone_offer-discount": "30"})
    _, value, errors = zone_widget(html, "offer")
    assert value["discount"] == "30"  # what was typed is shown again
    assert field_errors(errors) == {
        "discount": {"messages": ["Discount (%): This number must be between 5 and 20 (it is 30)."]}
    }
    # Not at the top of the zone any more: the zone itself has no message of its own.
    assert "must be between" not in zone_section(html, "offer")
    assert "distmark-zone--error" not in zone_section(html, "offer")


def test_an_over_long_text_is_reported_on_its_field_with_both_counts(net, client_for, campaign):
    html = post(
        client_for(net.users["editor_a"]),
        campaign,
        **{"zone_offer-title": "A much longer offer title", "zone_offer-text": ""},
    )
    _, _, errors = zone_widget(html, "offer")
    assert field_errors(errors) == {
        "title": {"messages": ["Title: at most 20 characters (you wrote 25)."]},
        "text": {"messages": ["Conditions: Every text of this zone must be filled in."]},
    }


def test_a_banned_word_is_reported_on_the_field_that_holds_it(net, client_for, campaign):
    from wagtail_distmark.models import BannedWord

    BannedWord.objects.create(text="free")
    html = post(client_for(net.users["editor_a"]), campaign, **{"zone_hero-heading": "Free gifts"})
    _, _, errors = zone_widget(html, "hero")
    assert field_errors(errors) == {
        "heading": {"messages": ["Heading: These words are not allowed by the brand: Free."]}
    }


@pytest.mark.skipif(
    WAGTAIL_VERSION < (8,), reason="Wagtail 7.0 passes no form_attrs to block fields: no mark"
)
def test_texts_a_zone_requires_carry_the_required_mark(net, client_for, campaign):
    html = client_for(net.users["editor_a"]).get(snippet_url("edit", campaign.pk)).content.decode()
    definition, _, _errors = zone_widget(html, "offer")
    children = {child["_args"][0]: child["_args"] for child in definition["_args"][1]}
    # Texts the zone requires are flagged for Wagtail's required mark (drawn by zones.js).
    required = {
        name for name, args in children.items() if "data-distmark-required" in args[2]["attrs"]
    }
    assert required == {"title", "text"}


def test_each_field_says_which_limits_apply_to_it(net, client_for, campaign):
    html = client_for(net.users["editor_a"]).get(snippet_url("edit", campaign.pk)).content.decode()
    definition, _, errors = zone_widget(html, "offer")
    assert errors is None
    children = {child["_args"][0]: child["_args"] for child in definition["_args"][1]}
    # Wagtail renders a block's help text under its label and links it (aria-describedby).
    help_texts = {name: args[2].get("helpText") for name, args in children.items()}
    assert help_texts == {
        "title": "Limits: every text required; at most 20 characters per text",
        "discount": "Limits: numbers from 5 to 20",
        "text": "Limits: every text required; at most 20 characters per text",
        "valid_until": None,
    }
    # The number input announces the zone's range, not the block's own 1 to 90.
    discount_widget = json.dumps(children["discount"][1])
    assert 'min=\\"5\\"' in discount_widget and 'max=\\"20\\"' in discount_widget
    assert children["title"][2]["maxLength"] == 20  # zones.js counts against it
    # The zone's summary of its limits describes the zone's section.
    section = zone_section(html, "offer")
    assert 'aria-labelledby="distmark-zone_offer-label"' in section
    assert 'aria-describedby="distmark-zone_offer-limits"' in section
    assert re.search(
        r'<p class="distmark-zone__limits" id="distmark-zone_offer-limits">\s*Limits:', section
    )


def test_a_locked_zone_preview_is_out_of_the_tab_order_with_inert_links(net, client_for, campaign):
    html = client_for(net.users["editor_a"]).get(snippet_url("edit", campaign.pk)).content.decode()
    frames = re.findall(r"<iframe [^>]*>", html)
    assert len(frames) == 1  # the legal footer
    frame = frames[0]
    assert 'title="Legal footer (locked by HQ)"' in frame
    assert 'tabindex="-1"' in frame and "sandbox" in frame
    document = html_lib.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert "<title>Autumn in Lyon — Legal footer</title>" in document
    assert "Unsubscribe" in document
    assert not re.search(r"<a\b[^>]*\shref=", document, re.IGNORECASE)  # nothing to follow


def test_wagtail_still_ships_the_field_block_that_zones_js_enhances():
    """zones.js wraps ``FieldBlockDefinition.prototype.render`` and reads the bound block's
    ``field`` and ``idForLabel``, its errors box (``<prefix>-errors``) and the ``maxlength``
    Wagtail sets from a block's ``max_length``: an upgrade that changes them fails here."""
    source = BLOCKS_JS.read_text(encoding="utf-8")
    exported = re.search(r"\bFieldBlockDefinition:([\w$]+)", source)
    assert exported, "blocks.js no longer exports FieldBlockDefinition: review zones.js"
    definition = class_body(source, exported.group(1))
    render = re.search(r"\brender\([^)]*\)\{return new ([\w$]+)\(", definition)
    assert render, "FieldBlockDefinition.render() no longer returns a FieldBlock: review zones.js"
    field_block = class_body(source, render.group(1))
    for needle in ("this.field=", "this.idForLabel=", "data-field-errors"):
        assert needle in field_block, f"Wagtail's FieldBlock lost {needle!r}: review zones.js"
    assert re.search(r"[\w$]+\.maxLength=this\.blockDef\.meta\.maxLength", field_block)
    assert re.search(r'id="\$\{\w+\}-errors" data-field-errors', field_block)
    zones_js = ZONES_JS.read_text(encoding="utf-8")
    assert "blocks.FieldBlockDefinition.prototype.render = " in zones_js
