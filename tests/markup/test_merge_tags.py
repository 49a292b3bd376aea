"""Merge tags: the whitelist, validation errors, escaping, linear time. No database."""

import random
import re
import time
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from wagtail_distmark.markup.merge_tags import (
    MergeTemplate,
    contact_values,
    find_tags,
    split_tags,
    unit_values,
    validate_merge_tags,
)


@pytest.mark.parametrize(
    "text",
    [
        "Hello {{ contact.first_name }}, see you at {{ unit.name }}!",
        "{{unit.phone}} — {{ unsubscribe_url }}",
        "No tags at all.",
        "",
    ],
)
def test_known_tags_are_accepted(text):
    validate_merge_tags(text)


def test_unknown_tag_is_a_clear_error_listing_what_is_allowed():
    with pytest.raises(ValidationError) as caught:
        validate_merge_tags("Hi {{ contact.birthday }} and {{ user.password }}")
    message = caught.value.messages[0]
    assert "{{ contact.birthday }}, {{ user.password }}" in message
    assert "{{ contact.first_name }}" in message  # the allowed ones are listed


@pytest.mark.parametrize(
    "text", ["{% load static %}", "{% if 1 %}x{% endif %}", "{# comment #}", "a %} b"]
)
def test_template_code_is_refused(text):
    with pytest.raises(ValidationError, match="Template code"):
        validate_merge_tags(text)


@pytest.mark.parametrize("text", ["Hi {{ contact.first_name", "Hi contact.first_name }}"])
def test_unclosed_tag_is_refused(text):
    with pytest.raises(ValidationError, match="not closed"):
        validate_merge_tags(text)


def test_html_values_are_escaped_and_text_values_are_not():
    values = {"contact.first_name": '<script>alert("x")</script> & Co'}
    html = MergeTemplate("<p>Hi {{ contact.first_name }}</p>").render(values)
    assert html == "<p>Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co</p>"
    text = MergeTemplate("Hi {{contact.first_name}}", escape=str).render(values)
    assert text == 'Hi <script>alert("x")</script> & Co'


def test_missing_values_render_empty_and_the_template_is_reusable():
    template = MergeTemplate("{{ contact.first_name }}|{{ unit.name }}|end")
    assert template.render({"unit.name": "Lyon"}) == "|Lyon|end"
    assert template.render({"contact.first_name": "Ana"}) == "Ana||end"
    assert template.tags == {"contact.first_name", "unit.name"}


def test_unit_and_contact_values():
    unit = SimpleNamespace(
        name="Lyon", code="ML-001", city="Lyon", phone="+33 4", email="", website="",
        opening_hours="10–19", sender_name="Claire", address_line_1="24 rue de la République",
        address_line_2="", postal_code="69002", country="France",
    )  # fmt: skip
    values = unit_values(unit)
    assert values["unit.address"] == "24 rue de la République, 69002 Lyon, France"
    assert values["unit.sender_name"] == "Claire"
    assert contact_values({"first_name": "Ana"})["contact.first_name"] == "Ana"
    assert (
        contact_values(SimpleNamespace(first_name="Bo", last_name=None))["contact.last_name"] == ""
    )
    assert contact_values(None)["contact.email"] == ""


# Linear time (DESIGN invariant 8): the old pattern took ~50 s on "{{" + 2,500 spaces.

OLD_TAG = re.compile(r"{{\s*([^{}]*?)\s*}}")  # the backtracking pattern, as a reference


def quickly(function, *args):
    start = time.perf_counter()
    result = function(*args)
    assert time.perf_counter() - start < 1, "took more than a second"
    return result


@pytest.mark.parametrize(
    "text",
    [
        "{{" + " " * 99_000,
        "{{ " * 30_000,
        "{{" * 45_000 + " }}",
        "}}" * 45_000,
        "{ {{ " * 19_000 + "contact.first_name }}",
        "{{ {{ {{ unit.name }} }} }}" * 3_000,
    ],
)
def test_adversarial_texts_are_judged_quickly_and_rightly(text):
    with pytest.raises(ValidationError, match="not closed|Unknown"):
        quickly(validate_merge_tags, text)
    template = quickly(MergeTemplate, text)
    assert quickly(template.render, {"unit.name": "X"}).count("X") <= text.count("unit.name")


def test_a_long_text_of_valid_tags_is_accepted_quickly():
    quickly(validate_merge_tags, "Hi {{ contact.first_name }}, " * 3_000)


def test_texts_over_the_bound_are_refused_before_any_parsing(settings):
    settings.WAGTAIL_DISTMARK_MAX_TEXT_LENGTH = 1_000
    with pytest.raises(ValidationError, match="too long: 1001 characters, at most 1000"):
        validate_merge_tags("a" * 1_001)
    validate_merge_tags("a" * 1_000)


def test_a_compiled_email_with_a_hostile_unit_field_splits_quickly():
    html = "<p>" + "{{" + " " * 200_000 + "</p><p>{{ contact.first_name }}</p>"
    template = quickly(MergeTemplate, html)
    assert template.tags == {"contact.first_name"}
    assert template.render({"contact.first_name": "Ana"}).endswith("<p>Ana</p>")


def test_values_are_substituted_never_parsed_again():
    values = {"unit.opening_hours": "{{ contact.email }}", "contact.email": "ana@example.com"}
    out = MergeTemplate("{{ unit.opening_hours }}", escape=str).render(values)
    assert out == "{{ contact.email }}"


@pytest.mark.parametrize("seed", range(40))
def test_the_scanner_finds_what_the_old_pattern_found(seed):
    rng = random.Random(seed)
    text = "".join(
        rng.choice(["{{", "}}", "{", "}", " ", "a", "unit.name", "x"]) for _ in range(30)
    )
    assert find_tags(text) == OLD_TAG.findall(text)
    assert split_tags(text) == OLD_TAG.split(text)


def test_binding_unit_values_renders_as_rendering_them_with_the_contact():
    """compile_email() binds a unit's values once; the result is what rendering them per
    recipient gave, and a bound value holding a tag stays text."""
    from wagtail_distmark.markup.merge_tags import MergeTemplate, escape_html_value

    template = MergeTemplate(
        "<p>{{ unit.name }} — {{ contact.first_name }}, {{ unit.opening_hours }}</p>",
        escape=escape_html_value,
    )
    unit = {"unit.name": "Lyon & Co", "unit.opening_hours": "9–19h\n{{ contact.email }}"}
    contact = {"contact.first_name": "<Ana>", "contact.email": "ana@example.com"}
    bound = template.bind(unit)
    assert bound.tags == {"contact.first_name"}
    assert bound.render(contact) == template.render({**unit, **contact})
    assert bound.render(contact) == (
        "<p>Lyon &amp; Co — &lt;Ana&gt;, 9–19h<br>{{ contact.email }}</p>"
    )


def test_every_contact_field_and_attribute_merges_for_the_contact_themselves():
    """Field visibility is about what users see: the e-mail built for the contact may use
    every field, and HQ's attributes by key (an unknown key renders empty)."""
    from wagtail_distmark.markup.merge_tags import MergeTemplate, contact_values

    contact = {"first_name": "Ana", "phone": "+33612345678", "city": "Lyon",
               "attributes": {"loyalty_points": 120}}  # fmt: skip
    text = ("{{ contact.phone }} {{ contact.city }} {{ contact.attributes.loyalty_points }}"
            "[{{ contact.attributes.gone }}]")  # fmt: skip
    validate_merge_tags(text)
    assert MergeTemplate(text, escape=str).render(contact_values(contact)) == (
        "+33612345678 Lyon 120[]"
    )


@pytest.mark.parametrize(
    "tag", ["contact.attributes.", "contact.attributes.a b", "contact.attributes.é", "contact.x"]
)
def test_malformed_attribute_tags_are_refused(tag):
    with pytest.raises(ValidationError):
        validate_merge_tags("{{ " + tag + " }}")
