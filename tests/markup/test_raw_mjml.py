"""A whole MJML document in a raw MJML zone, as HQ pastes one from the MJML template gallery:
its head's styling joins the e-mail's head, its body's sections the e-mail's body; merge tags
in it are checked like any other text (issue 9, break 9)."""

import pytest
from django.core.exceptions import ValidationError

from wagtail_distmark.blocks import EmailContext
from wagtail_distmark.blocks.email import RawMJMLBlock
from wagtail_distmark.campaigns import rendering as render
from wagtail_distmark.campaigns.zones import Part
from wagtail_distmark.markup.raw_mjml import MAX_RAW_MJML_CHARS, split_raw_mjml

#: Shaped like the gallery's "Discount light": attributes, an inline style, a font, a title.
DISCOUNT = """<mjml>
  <mj-head>
    <mj-title>Discount Light</mj-title>
    <mj-preview>Pre-header Text</mj-preview>
    <mj-attributes>
      <mj-all font-family="'Helvetica Neue', Helvetica, Arial, sans-serif"></mj-all>
      <mj-text font-weight="400" font-size="16px" color="#000000" line-height="24px"></mj-text>
    </mj-attributes>
    <mj-font name="Roboto" href="https://fonts.googleapis.com/css?family=Roboto:300,500" />
    <mj-style inline="inline">
      .body-section { -webkit-box-shadow: 1px 4px 11px 0px rgba(0, 0, 0, 0.15); }
    </mj-style>
    <mj-style>
      .text-link { color: #5e6ebf }
    </mj-style>
  </mj-head>
  <mj-body background-color="#E7E7E7" width="600px">
    <mj-section css-class="body-section" background-color="#ffffff">
      <mj-column>
        <mj-text font-size="20px" color="#212b35">Hello&nbsp;{{ contact.first_name }},</mj-text>
        <mj-text font-family="Roboto, Arial">Enjoy <strong>15% off</strong> this week.<br>
          See you soon!</mj-text>
        <mj-button background-color="#5e6ebf" href="{{ view_online_url }}">Shop now</mj-button>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>"""

#: Shaped like "Black Friday": mj-class attributes, a breakpoint, a wrapper, no title.
BLACK_FRIDAY = """<mjml>
  <mj-head>
    <mj-breakpoint width="320px" />
    <mj-attributes>
      <mj-class name="headline" font-size="36px" color="#ffffff" font-weight="700" />
    </mj-attributes>
    <mj-style>.sale div { letter-spacing: 2px !important; }</mj-style>
  </mj-head>
  <mj-body>
    <mj-wrapper background-color="#000000" padding="20px 0">
      <mj-section>
        <mj-column>
          <mj-text mj-class="headline" css-class="sale">BLACK FRIDAY</mj-text>
          <mj-text color="#ffffff">Everything at {{ unit.name }}: -30 %</mj-text>
        </mj-column>
      </mj-section>
    </mj-wrapper>
  </mj-body>
</mjml>"""

#: Sections only, the way the zone was used before: unchanged.
SECTIONS = (
    '<mj-section><mj-column><mj-text css-class="x">Plain sections</mj-text>'
    "</mj-column></mj-section>"
)


def compiled(source, subject="Autumn news", preheader="New candles"):
    parts = [Part("raw_mjml", RawMJMLBlock(), source, "raw")]
    email = render.compile_email(
        parts, subject=subject, preheader=preheader, context=EmailContext()
    )
    return email.personalise({"first_name": "Ana"}, {"view_online_url": "https://x.example/v"})


def body_of(html: str) -> str:
    return html.split("<body", 1)[1]


@pytest.mark.parametrize("source", [DISCOUNT, BLACK_FRIDAY, SECTIONS])
def test_gallery_documents_are_accepted(source):
    assert RawMJMLBlock().clean(source) == source


def test_the_heads_styles_reach_the_head_and_no_css_shows_as_text():
    email = compiled(DISCOUNT)
    head, body = email.html.split("<body", 1)
    assert ".text-link { color: #5e6ebf }" in head
    assert "fonts.googleapis.com/css?family=Roboto" in head
    assert "box-shadow" in head  # mjml-python keeps inline="inline" styles in the head
    assert ".text-link" not in body and "mj-style" not in body and "mj-head" not in body
    assert "Pre-header Text" not in email.html and "Discount Light" not in email.html
    assert "<title>Autumn news</title>" in head and "New candles" in body
    assert "Hello&nbsp;Ana," in body and "15% off" in body
    assert "Helvetica Neue" in body  # its mj-attributes apply


def test_mj_class_and_breakpoint_apply():
    email = compiled(BLACK_FRIDAY)
    body = body_of(email.html)
    assert "BLACK FRIDAY" in body and "font-size:36px" in body.replace(" ", "")
    assert "letter-spacing: 2px" in email.html.split("<body", 1)[0]
    assert "320px" in email.html


def test_sections_still_work_as_before():
    assert "Plain sections" in body_of(compiled(SECTIONS).html)


def test_plain_text_has_the_documents_text_and_none_of_its_css():
    email = compiled(DISCOUNT)
    assert "Hello" in email.text and "Shop now" in email.text and "15% off" in email.text
    assert "box-shadow" not in email.text and "text-link" not in email.text
    assert "Discount Light" not in email.text


@pytest.mark.parametrize(
    ("tag", "message"),
    [("{{FirstName}}", "Unknown merge tag"), ("{{ contact.password }}", "Unknown merge tag"),
     ("{% load evil %}", "Template code")],
)  # fmt: skip
def test_merge_tags_inside_raw_mjml_are_checked(tag, message):
    source = DISCOUNT.replace("{{ contact.first_name }}", tag)
    with pytest.raises(ValidationError) as caught:
        RawMJMLBlock().clean(source)
    assert message in " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<mjml><mj-head><mj-title>x</mj-title></mj-head><mj-body></mj-body></mjml>",
         "its <mj-body> is empty"),
        ("<mjml><mj-body><mj-section><mj-column><mj-unknown-thing>",
         "does not compile"),
        ("<mj-section>" + "x" * MAX_RAW_MJML_CHARS + "</mj-section>", "limited to"),
    ],
)  # fmt: skip
def test_bad_documents_are_refused_with_a_reason(source, message):
    with pytest.raises(ValidationError) as caught:
        RawMJMLBlock().clean(source)
    assert message in " ".join(caught.value.messages)


def test_entities_are_never_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE mjml [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<mjml><mj-body><mj-section><mj-column><mj-text>&b;</mj-text>"
        "</mj-column></mj-section></mj-body></mjml>"
    )
    raw = split_raw_mjml(bomb)
    assert "&b;" in raw.body and "aaaaaaaaaa" not in raw.body


def test_the_raw_mjml_is_compiled_once_when_the_email_is(monkeypatch):
    render.html_template.cache_clear()  # a document kept from another test is not compiled
    calls = []
    original = render.compile_mjml
    monkeypatch.setattr(render, "compile_mjml", lambda s: calls.append(s) or original(s))
    compiled(DISCOUNT)
    assert len(calls) == 1  # the e-mail; its plain text does not compile the zone again


def test_hq_saves_a_template_with_a_gallery_document_and_previews_it(net, client_for, rf):
    from tests.campaigns.test_template_admin import raw_zone, template_post, url
    from wagtail_distmark.models import BrandTemplate

    client = client_for(net.users["hq"])
    response = client.post(url("add"), template_post([raw_zone(BLACK_FRIDAY)]))
    assert response.status_code == 302
    template = BrandTemplate.objects.get(name="Raw design")
    head, body = template.serve_preview(rf.get("/"), "").content.decode().split("<body", 1)
    assert "letter-spacing: 2px" in head and "letter-spacing: 2px" not in body
    assert "Everything at Store" in body or "Everything at HQ" in body
    bad = template_post([raw_zone(DISCOUNT.replace("{{ contact.first_name }}", "{{FirstName}}"))])
    refused = client.post(url("add"), {**bad, "name": "Refused"})
    assert refused.status_code == 200 and "Unknown merge tag" in refused.content.decode()
    assert not BrandTemplate.objects.filter(name="Refused").exists()


def test_a_crafted_preview_mode_is_not_a_500(net, brand_template, rf):
    response = brand_template.serve_preview(rf.get("/"), "unit-\u00b2")
    assert response.status_code == 200
