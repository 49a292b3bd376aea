"""The one link rule (wagtail_distmark.markup.links): schemes, hosts, personal data."""

import time

import pytest
from django.core.exceptions import ValidationError
from wagtail import blocks

from wagtail_distmark.blocks import email_blocks
from wagtail_distmark.markup.links import link_targets, validate_link, validate_rich_text_links


@pytest.mark.parametrize(
    "link",
    [
        "https://brand.example",
        "http://brand.example/shop?a=1&b=2#top",
        "https://brand.example/?store={{ unit.code }}&city={{unit.city}}",
        "mailto:hello@brand.example?subject=Hi",
        "mailto:{{ unit.email }}",
        "tel:+33 4 00 00 00 00".replace(" ", ""),
        "tel:{{ unit.phone }}",
        "{{ unsubscribe_url }}",
        "{{view_online_url}}",
        "",
    ],
)
def test_good_links_pass(link):
    validate_link(link)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("ftp://files.example/a.png", "starting with https://"),
        ("javascript:alert(1)", "starting with https://"),
        ("data:text/html,hi", "starting with https://"),
        ("brand.example/shop", "starting with https://"),
        ("https://", "full web address"),
        ("https://brand.example@evil.example/", "full web address"),
        ("https://evil.example\\@brand.example/", "backslashes"),
        ("https://brand.example/a b", "spaces"),
        ("https://brand.example/\u200bx", "invisible"),
        ("https://{{ unit.code }}.evil.example/", "follow the web address's domain"),
        ("https://brand.example{{ unit.code }}", "follow the web address's domain"),
        ("https://[::1/", "not a valid address"),
        ("https://brand.example/?x={{ contact.birthday }}", "Unknown merge tag"),
        ("https://brand.example/?x={% now %}", "Template code"),
        ("https://elsewhere.example/?e={{ contact.email }}", "recipient's data"),
        ("https://elsewhere.example/{{contact.first_name}}", "recipient's data"),
        ("https://elsewhere.example/?u={{ unsubscribe_url }}", "recipient's data"),
        ("mailto:spy@elsewhere.example?body={{ contact.email }}", "recipient's data"),
        ("https://x.example/" + "a" * 2_100, "too long"),
    ],
)
def test_bad_links_are_refused(link, message):
    with pytest.raises(ValidationError) as caught:
        validate_link(link)
    assert message in " ".join(caught.value.messages)


def test_contact_data_only_to_the_domains_hq_allows(settings):
    settings.WAGTAIL_DISTMARK_LINK_DOMAINS_FOR_CONTACT_DATA = ["partner.example"]
    validate_link("https://partner.example/?e={{ contact.email }}")
    validate_link("https://survey.partner.example/{{ contact.first_name }}")
    for link in (
        "https://partner.example.evil.example/?e={{ contact.email }}",
        "https://evilpartner.example/?e={{ contact.email }}",
        "mailto:a@partner.example?body={{ contact.email }}",
        "http://partner.example/?e={{ contact.email }}",  # not encrypted on the way
    ):
        with pytest.raises(ValidationError, match="https:// addresses on partner.example"):
            validate_link(link)


def test_allowed_link_domains_apply_to_every_web_link(settings):
    settings.WAGTAIL_DISTMARK_ALLOWED_LINK_DOMAINS = ["brand.example"]
    validate_link("https://shop.brand.example/x")
    validate_link("mailto:hello@anywhere.example")
    with pytest.raises(ValidationError, match="may only point to brand.example"):
        validate_link("https://evil.example/")


def test_rich_text_links_are_found_in_linear_time():
    source = (
        '<p><a href="https://a.example/?x=1&amp;y=2">A</a> <abbr title="x">B</abbr>'
        '<a linktype="page" id="3">page</a><a id="n" href="mailto:x@b.example">m</a></p>'
    )
    assert link_targets(source) == ["https://a.example/?x=1&y=2", "mailto:x@b.example"]
    start = time.perf_counter()
    link_targets("<a " * 30_000 + ">" + '<a href="x" ' * 3_000)
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    "source",
    [
        '<p><a href="https://elsewhere.example/?e={{ contact.email }}">Survey</a></p>',
        '<p><a href="ftp://files.example/x">File</a></p>',
        "<p><a href='https://elsewhere.example/?e={{ contact.email }}'>Survey</a></p>",
        "<p><a href=https://elsewhere.example/>Survey</a></p>",
    ],
)
def test_bad_rich_text_links_are_refused(source):
    with pytest.raises(ValidationError, match="Link|could not be read"):
        validate_rich_text_links(source)


@pytest.fixture
def stream_block():
    return blocks.StreamBlock(email_blocks())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("social_links", lambda url: {"links": [{"network": "x", "url": url}]}),
        ("button", lambda url: {"label": "Go", "url": url}),
    ],
)
def test_every_link_block_follows_the_rule(settings, stream_block, name, value):
    leak = "https://elsewhere.example/?e={{ contact.email }}"
    stream = stream_block.to_python([{"type": name, "value": value(leak)}])
    with pytest.raises(ValidationError):
        stream_block.clean(stream)
    settings.WAGTAIL_DISTMARK_LINK_DOMAINS_FOR_CONTACT_DATA = ["elsewhere.example"]
    stream_block.clean(stream)


@pytest.mark.parametrize(
    "source",
    [
        "<p>" + "<a " * 30_000 + "</p>",  # unclosed tags: quadratic for Wagtail's FIND_A_TAG
        "<p><a " + "x" * 90_000 + ">x</a></p>",  # one huge tag: quadratic for FIND_ATTRS
        "<p><embed " + "x-" * 40_000 + "/></p>",
    ],
)
def test_malformed_rich_text_tags_are_refused_quickly(source):
    start = time.perf_counter()
    with pytest.raises(ValidationError, match="could not be read"):
        validate_rich_text_links(source)
    assert time.perf_counter() - start < 1


@pytest.mark.django_db
def test_a_rich_text_block_refuses_them_before_wagtails_patterns_run(stream_block):
    stream = stream_block.to_python([{"type": "rich_text", "value": "<p><a " + "x" * 90_000 + ">"}])
    start = time.perf_counter()
    with pytest.raises(ValidationError):
        stream_block.clean(stream)
    assert time.perf_counter() - start < 2
