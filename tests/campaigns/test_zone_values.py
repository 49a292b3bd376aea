"""A template zone's value answers every question the package asks about the zone."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from wagtail import blocks

from wagtail_distmark.blocks import NO_LIMITS, ZoneLimits, ZoneValue, email_blocks, zone_blocks
from wagtail_distmark.blocks import zone_data as zone

# Reading a zone lists the collections (the constraints' choice of collection).
pytestmark = pytest.mark.django_db

ZONES = dict(zone_blocks())
EMAIL = dict(email_blocks())
BUTTON = {"label": "Shop now", "url": "https://brand.example"}


def value(block_type="button", content=None, policy="editable", **limits):
    data = zone("z", block_type, BUTTON if content is None else content, policy, **limits)
    return ZONES[block_type].to_python(data["value"])


def child(block_type="button", content=None):
    """A campaign's block, as a StreamValue child has it (``.block`` and ``.value``)."""
    block = EMAIL[block_type]
    return SimpleNamespace(block=block, value=block.to_python(content or BUTTON))


def test_zone_blocks_make_zone_values():
    assert isinstance(value(), ZoneValue)
    assert isinstance(ZONES["button"].clean(value()), ZoneValue)
    stream = blocks.StreamBlock(zone_blocks()).to_python([zone("z", "button", BUTTON)])
    assert isinstance(stream[0].value, ZoneValue)


def test_value_class_is_not_frozen_into_migrations():
    path, args, kwargs = ZONES["button"].deconstruct()
    assert path == "wagtail.blocks.StructBlock"
    assert "value_class" not in kwargs


@pytest.mark.parametrize(
    ("policy", "locked", "constrained"),
    [("locked", True, False), ("editable", False, False), ("constrained", False, True)],
)
def test_policy(policy, locked, constrained):
    zone_value = value(policy=policy)
    assert zone_value.policy == policy
    assert zone_value.is_locked is locked
    assert zone_value.is_constrained is constrained


def test_limits_of_a_constrained_zone():
    zone_value = value(
        policy="constrained", required=True, max_chars=30, choices=" Shop now \n\nBook now\n",
        min_value="5", max_value="20", collection="7", min_items=1, max_items=3,
    )  # fmt: skip
    assert zone_value.limits == ZoneLimits(
        required=True, max_chars=30, choices=("Shop now", "Book now"), min_value=Decimal("5"),
        max_value=Decimal("20"), collection="7", min_items=1, max_items=3,
    )  # fmt: skip
    assert zone_value.allowed_choices == ("Shop now", "Book now")


@pytest.mark.parametrize("policy", ["locked", "editable"])
def test_constraints_of_another_policy_are_not_in_force(policy):
    zone_value = value(policy=policy, required=True, max_chars=30, choices="Shop now")
    assert zone_value.limits == ZoneLimits()
    assert zone_value.allowed_choices == ()
    assert zone_value.limits_text == []


def test_no_limits_parse_to_nothing():
    assert ZoneLimits.from_constraints(NO_LIMITS) == ZoneLimits()
    assert value(policy="constrained").limits == ZoneLimits()
    assert value(policy="constrained").limits_text == []


def test_limits_text():
    zone_value = value(
        policy="constrained", required=True, max_chars=30, choices="Shop now\nBook now",
        min_value="5", max_value="20", collection="7", min_items=1, max_items=3,
    )  # fmt: skip
    assert zone_value.limits_text == [
        "every text required",
        "at most 30 characters per text",
        "one of: Shop now, Book now",
        "numbers from 5 to 20",
        "1 to 3 items",
        "images from a chosen collection",
    ]


def test_limits_text_with_open_bounds():
    assert value(policy="constrained", max_value="20", min_items=2).limits_text == [
        "numbers from … to 20",
        "2 to … items",
    ]


def test_content():
    zone_value = value()
    assert zone_value.content["label"] == "Shop now"
    assert zone_value.content_data() == BUTTON


def test_unchanged_in():
    zone_value = value()
    assert zone_value.unchanged_in(child())
    assert not zone_value.unchanged_in(child(content={**BUTTON, "label": "Book now"}))


def test_raw_mjml_is_always_locked():
    raw = "<mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section>"
    with pytest.raises(blocks.StructBlockValidationError) as caught:
        ZONES["raw_mjml"].clean(value("raw_mjml", raw, "editable"))
    assert "policy" in caught.value.block_errors
    assert ZONES["raw_mjml"].clean(value("raw_mjml", raw, "locked")).is_locked
