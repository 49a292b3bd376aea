"""Locked and constrained zones hold whatever the campaign body says (crafted bodies)."""

import copy

import pytest
from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.models import Collection
from wagtail_factories import ImageFactory

from wagtail_distmark.blocks import email_blocks, zone_blocks
from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.campaigns.zones import check_campaign_body, compile_banned, effective_body

pytestmark = pytest.mark.django_db

TEMPLATE = blocks.StreamBlock(zone_blocks())
CAMPAIGN = blocks.StreamBlock(email_blocks())


@pytest.fixture
def brand_collection():
    root = Collection.get_first_root_node()
    return root.add_child(instance=Collection(name="Brand library"))


@pytest.fixture
def images(brand_collection):
    return {
        "brand": ImageFactory(collection=brand_collection),
        "other": ImageFactory(),  # in the root collection
    }


@pytest.fixture
def template_data(images, brand_collection):
    return [
        zone("logo", "logo_header", {"logo": images["brand"].pk, "alt": "ML", "link": ""},
             "locked"),
        zone("hero", "hero", {"image": images["brand"].pk, "alt": "Candles",
                              "heading": "Autumn", "text": ""}),
        zone("offer", "offer", {"title": "Offer", "discount": 10, "text": "", "valid_until": None},
             "constrained", min_value="5", max_value="20", max_chars=30),
        zone("button", "button", {"label": "Shop now", "url": "https://brand.example"},
             "constrained", choices="Shop now\nBook now"),
        zone("social", "social_links", {"links": [{"network": "x", "url": "https://x.com/ml"}]},
             "constrained", min_items=1, max_items=2),
        zone("photo", "image", {"image": images["brand"].pk, "alt": "Shop", "link": ""},
             "constrained", collection=str(brand_collection.pk)),
        zone("legal", "legal_footer", {"text": "Maison Lumière SAS", "unsubscribe_label": "Unsub"},
             "locked"),
    ]  # fmt: skip


def campaign_data(template_data):
    """A campaign body as the editor would post it: the template's zones, unchanged."""
    return [{"id": z["id"], "type": z["type"], "value": copy.deepcopy(z["value"]["content"])}
            for z in template_data]  # fmt: skip


def check(template_data, body, banned=()):
    check_campaign_body(TEMPLATE.to_python(template_data), CAMPAIGN.to_python(body), banned)


def errors_of(template_data, body, banned=()):
    """The body's own messages, each zone's own (joined), and each zone's field messages."""
    with pytest.raises(blocks.StreamBlockValidationError) as caught:
        check(template_data, body, banned)
    data = caught.value.as_json_data()
    zones = {int(i): e for i, e in data.get("blockErrors", {}).items()}
    per_zone = {i: " ".join(e["messages"]) for i, e in zones.items() if "messages" in e}
    per_field = {i: dict(field_errors(e)) for i, e in zones.items() if "blockErrors" in e}
    return data.get("messages", []), per_zone, per_field


def field_errors(data, path=""):
    """(``"links/0/url"``, joined messages) for every field of a zone's error data."""
    for key, child in data.get("blockErrors", {}).items():
        if "messages" in child:
            yield f"{path}{key}", " ".join(child["messages"])
        yield from field_errors(child, f"{path}{key}/")


def test_unchanged_campaign_and_edits_within_limits_pass(template_data):
    body = campaign_data(template_data)
    body[1]["value"]["heading"] = "Our autumn, at {{ unit.name }}"
    body[2]["value"]["discount"] = 20
    body[3]["value"]["label"] = "Book now"
    check(template_data, body)


def test_changing_a_locked_zone_is_refused_with_a_per_zone_error(template_data):
    body = campaign_data(template_data)
    body[6]["value"]["text"] = "Not the legal text"
    body[0]["value"]["alt"] = "Fake logo"
    _, per_zone, per_field = errors_of(template_data, body)
    assert per_field == {}
    assert per_zone == {
        0: "This zone is locked by HQ and cannot be changed.",
        6: "This zone is locked by HQ and cannot be changed.",
    }


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.append({**b[0], "id": "new"}), "Zones were added"),
        (lambda b: b.pop(6), "Zones were removed"),
        (lambda b: b.insert(0, b.pop(6)), "Zones were reordered"),
        (lambda b: b.__setitem__(1, {**b[1], "type": "rich_text", "value": "<p>x</p>"}),
         "A zone's type was changed"),
    ],
)  # fmt: skip
def test_adding_removing_reordering_or_retyping_zones_is_refused(template_data, mutate, message):
    body = campaign_data(template_data)
    mutate(body)
    general, _, _ = errors_of(template_data, body)
    assert message in general[0]


def test_constraints_are_enforced_with_clear_messages(template_data, images):
    body = campaign_data(template_data)
    body[2]["value"].update(discount=25, title="A very long offer title that goes on and on")
    body[3]["value"]["label"] = "Click here"
    body[4]["value"]["links"] = [{"network": "x", "url": "https://x.com/a"}] * 3
    body[5]["value"]["image"] = images["other"].pk
    _, per_zone, per_field = errors_of(template_data, body)
    # Each message is on the field at fault, and names it (a screen reader hears it alone).
    assert per_field[2] == {
        "title": "Title: at most 30 characters (you wrote 43).",
        "discount": "Discount (%): This number must be between 5 and 20 (it is 25).",
    }
    assert per_field[3] == {"label": "Label: Choose one of: Shop now, Book now."}
    assert per_field[4] == {"links": "Links: This zone needs between 1 and 2 items (it has 3)."}
    assert per_field[5] == {
        "image": "Image: Images of this zone must come from the “Brand library” collection."
    }
    assert set(per_field) == {2, 3, 4, 5}
    assert per_zone == {}


def test_required_constraint(template_data):
    template_data[1]["value"].update(policy="constrained")
    template_data[1]["value"]["constraints"]["required"] = True
    body = campaign_data(template_data)
    _, per_zone, per_field = errors_of(template_data, body)  # the hero's optional text is empty
    assert per_field == {1: {"text": "Text: Every text of this zone must be filled in."}}
    assert per_zone == {}
    body[1]["value"]["text"] = "Now filled"
    check(template_data, body)


def test_banned_words_are_refused_in_editable_zones_only(template_data):
    banned = compile_banned(["free", "re: \\bguarantee[ds]?\\b", ""])
    body = campaign_data(template_data)
    body[1]["value"]["heading"] = "FREE candles, Guaranteed"
    _, per_zone, per_field = errors_of(template_data, body, banned)
    assert per_field == {
        1: {"heading": "Heading: These words are not allowed by the brand: FREE, Guaranteed."}
    }
    assert per_zone == {}
    body[1]["value"]["heading"] = "Carefree autumn"  # a whole word only
    check(template_data, body, banned)


def test_locked_zones_render_from_the_live_template(template_data):
    body = campaign_data(template_data)
    body[1]["value"]["heading"] = "Local heading"
    template_data[6]["value"]["content"]["text"] = "New legal text from HQ"
    parts = effective_body(TEMPLATE.to_python(template_data), CAMPAIGN.to_python(body))
    assert [p.id for p in parts] == [z["id"] for z in template_data]
    assert parts[1].value["heading"] == "Local heading"
    assert parts[6].value["text"] == "New legal text from HQ"


def test_raw_mjml_zone_must_be_locked_and_limits_must_make_sense():
    raw = "<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>"
    editable = TEMPLATE.to_python([zone("raw", "raw_mjml", raw, "editable")])
    with pytest.raises(ValidationError) as caught:
        TEMPLATE.clean(editable)
    assert "Raw MJML is always locked." in str(caught.value.as_json_data())
    backwards = TEMPLATE.to_python(
        [zone("o", "offer", {"title": "x", "discount": 10, "text": "", "valid_until": None},
              "constrained", min_value="20", max_value="5")]
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        TEMPLATE.clean(backwards)
    assert "The maximum is below the minimum." in str(caught.value.as_json_data())
