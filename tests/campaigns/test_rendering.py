"""Every e-mail block rendered through MJML to HTML and text, checked by parsing the HTML."""

import html as html_lib
import re
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail import blocks
from wagtail_factories import ImageFactory

from tests.campaigns.test_admin import snippet_url, start
from wagtail_distmark.blocks import EmailContext, email_blocks
from wagtail_distmark.campaigns.rendering import compile_campaign, compile_email, html_template
from wagtail_distmark.markup.mjml import compile_mjml
from wagtail_distmark.models import LocalCampaign, Product, ProductAvailability

pytestmark = pytest.mark.django_db

BASE_URL = "https://brand.example"
RAW_SECTION = "<mj-section><mj-column><mj-text>HQ raw section</mj-text></mj-column></mj-section>"
LINKS = {
    "unsubscribe_url": "https://brand.example/u/abc?x=1&y=2",
    "view_online_url": "https://brand.example/v/abc",
}


@pytest.fixture
def stream_block():
    return blocks.StreamBlock(email_blocks())


@pytest.fixture
def image():
    return ImageFactory(title="Candles")


@pytest.fixture
def products(net, image):
    """Figue (29 €, 27 € in store A) and Ambre (32 €, with a photo), sold network-wide."""
    figue = Product.objects.create(sku="F", name="Figue", price="29.00")
    ambre = Product.objects.create(sku="A", name="Ambre", price="32.00", image=image)
    for product in (figue, ambre):
        ProductAvailability.objects.create(product=product, unit=net.units["hq"])
    ProductAvailability.objects.create(product=figue, unit=net.units["a"], local_price="27.00")
    return figue, ambre


def every_block(image, products=(None, None)):
    figue, ambre = (product.pk if product else None for product in products)
    return [
        ("logo_header", {"logo": image.pk, "alt": "Maison Lumière", "link": "https://brand.example"}),
        ("hero", {"image": image.pk, "alt": "Autumn candles",
                  "heading": "<b>Autumn</b> sale & {{ contact.first_name }}",
                  "text": "Line one\nLine two at {{ unit.name }}"}),
        ("rich_text", "<p>Rich <b>bold</b> text</p>"),
        ("image", {"image": image.pk, "alt": "A shelf", "link": ""}),
        ("button", {"label": "Shop now", "url": "https://brand.example/shop?a=1&b=2"}),
        ("two_columns", {"left": {"image": None, "alt": "", "heading": "Left", "text": "L text"},
                         "right": {"image": image.pk, "alt": "Right image", "heading": "Right",
                                   "text": "R text"}}),
        ("offer", {"title": "Members' offer", "discount": 15, "text": "In store only",
                   "valid_until": "2026-12-31"}),
        ("product_grid", {"heading": "Our picks", "products": [
            {"product": figue, "url": ""},
            {"product": ambre, "url": "https://brand.example/p/2"},
        ]}),
        ("local_footer", {"intro": "Your store"}),
        ("legal_footer", {"text": "Maison Lumière SAS", "unsubscribe_label": "Unsubscribe"}),
        ("social_links", {"links": [{"network": "instagram", "url": "https://instagram.com/ml"}]}),
        ("spacer", {"height": 24, "divider": True}),
        ("raw_mjml", RAW_SECTION),
    ]  # fmt: skip


def build(stream_block, data):
    return stream_block.to_python([{"type": name, "value": value} for name, value in data])


@pytest.fixture
def compiled(net, stream_block, image, products):
    stream = build(stream_block, every_block(image, products))
    store = net.units["a"]
    store.address_line_1, store.city, store.postal_code = "24 rue de la République", "Lyon", "69002"
    store.sender_name, store.opening_hours = "Claire Dubois", "Mon–Sat 10–19"
    context = EmailContext(unit=store, base_url=BASE_URL)
    return compile_email(
        stream, subject="Hello {{ contact.first_name }}", preheader="Autumn", context=context
    )


@pytest.fixture
def personal(compiled):
    return compiled.personalise({"first_name": "Ana <3", "email": "ana@example.com"}, LINKS)


@pytest.fixture
def soup(personal):
    return BeautifulSoup(personal.html, "html.parser")


def test_subject_and_recipient_name_are_personalised(personal, soup):
    assert personal.subject == "Hello Ana <3"
    assert "&lt;b&gt;Autumn&lt;/b&gt; sale &amp; Ana &lt;3" in personal.html
    assert soup.find("b", string="Autumn") is None  # typed markup stays text
    assert "{{" not in personal.html and "{{" not in personal.text


def test_images_have_absolute_urls_and_alt_texts(soup):
    images = soup.find_all("img")
    alts = {img.get("alt", "") for img in images}
    assert {"Maison Lumière", "Autumn candles", "A shelf", "Right image", "Ambre"} <= alts
    for img in images:
        if img.get("alt"):
            assert img["src"].startswith(f"{BASE_URL}/"), img["src"]


def test_links_buttons_and_unsubscribe(soup):
    hrefs = {
        a.get_text(strip=True): a["href"] for a in soup.find_all("a") if a.get_text(strip=True)
    }
    assert hrefs["Shop now"] == "https://brand.example/shop?a=1&b=2"
    assert hrefs["Unsubscribe"] == LINKS["unsubscribe_url"]
    assert any(a["href"] == "https://instagram.com/ml" for a in soup.find_all("a"))


def test_every_block_shows_its_content(soup):
    text = soup.get_text(" ", strip=True)
    for expected in [
        "Line one", "Line two at Store A", "Rich bold text", "Left", "R text", "Members' offer",
        "−15 %", "Valid until 2026-12-31", "Our picks", "Figue", "€27.00", "Ambre", "€32.00",
        "Your store",
        "Claire Dubois", "24 rue de la République, 69002 Lyon", "Mon–Sat 10–19",
        "Maison Lumière SAS", "HQ raw section",
    ]:  # fmt: skip
        assert expected in text, expected
    assert soup.find("title").get_text() == "Hello {{ contact.first_name }}".replace(
        "{{ contact.first_name }}", "Ana <3"
    )


def test_plain_text_alternative(personal):
    text = personal.text
    assert "<b>Autumn</b> sale & Ana <3" in text  # plain text: nothing escaped
    assert "Shop now: https://brand.example/shop?a=1&b=2" in text
    assert f"Unsubscribe: {LINKS['unsubscribe_url']}" in text
    assert "Claire Dubois" in text and "HQ raw section" in text
    assert "- Figue €27.00" in text  # the store's own price, in its locale (en)
    assert "<p>" not in text


def test_compiled_email_is_reused_for_many_recipients(compiled):
    first = compiled.personalise({"first_name": "Ana"}, LINKS)
    second = compiled.personalise({"first_name": "Bo"}, LINKS)
    assert "Ana" in first.html and "Ana" not in second.html and "Bo" in second.html


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("hero", {"heading": "Hi {{ contact.birthday }}"}, "Unknown merge tag"),
        ("button", {"label": "Go", "url": "javascript:alert(1)"}, "starting with https://"),
        ("button", {"label": "{% load x %}", "url": "https://brand.example"}, "Template code"),
        ("raw_mjml", "<mj-section><mj-column>", "does not compile"),
    ],
)
def test_bad_input_is_a_validation_error(stream_block, image, name, value, message):
    if name == "hero":
        value = {"image": image.pk, "alt": "x", "text": "", **value}
    stream = build(stream_block, [(name, value)])
    with pytest.raises(ValidationError) as caught:
        stream_block.clean(stream)
    assert message in str(
        caught.value.as_json_data() if hasattr(caught.value, "as_json_data") else caught.value
    )


def test_links_are_limited_to_allowed_domains(settings, stream_block):
    settings.WAGTAIL_DISTMARK_ALLOWED_LINK_DOMAINS = ["brand.example"]
    ok = build(stream_block, [("button", {"label": "Go", "url": "https://shop.brand.example/x"})])
    stream_block.clean(ok)
    tagged = build(stream_block, [("button", {"label": "Go", "url": "{{ view_online_url }}"})])
    stream_block.clean(tagged)
    bad = build(stream_block, [("button", {"label": "Go", "url": "https://evil.example/x"})])
    with pytest.raises(ValidationError) as caught:
        stream_block.clean(bad)
    assert "Links may only point to brand.example." in str(caught.value.as_json_data())


def test_unit_profile_values_are_substituted_never_parsed(net, stream_block, image):
    """A manager's opening hours holding tags or 100k braces stay text, and compile quickly."""
    import time

    store = net.units["a"]
    store.opening_hours = "Mon {{ contact.email }}\nTue <b>10–19</b> " + "{{" + " " * 100_000
    stream = build(stream_block, [("local_footer", {"intro": "Your store"})])
    start = time.perf_counter()
    compiled = compile_email(stream, subject="Hi", context=EmailContext(unit=store))
    personal = compiled.personalise({"email": "ana@example.com"})
    assert time.perf_counter() - start < 5
    assert "ana@example.com" not in personal.html and "ana@example.com" not in personal.text
    assert "Mon {{ contact.email }}<br>Tue &lt;b&gt;10–19&lt;/b&gt;" in personal.html
    assert "Mon {{ contact.email }}\nTue <b>10–19</b>" in personal.text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("image", {"alt": "Hi {{ contact.birthday }}", "link": ""}),
        ("logo_header", {"alt": "{{ unit.name", "link": ""}),
        ("legal_footer", {"text": "SAS", "unsubscribe_label": "{% now %}"}),
    ],
)
def test_alt_texts_and_labels_follow_the_merge_tag_rules(stream_block, image, name, value):
    key = "logo" if name == "logo_header" else "image"
    if name != "legal_footer":
        value = {key: image.pk, **value}
    with pytest.raises(ValidationError):
        stream_block.clean(build(stream_block, [(name, value)]))


def test_prices_are_read_once_per_compile(net, stream_block, image, products):
    """The product grid's MJML and its plain text share one read of the unit's prices, and
    a second grid adds no query."""
    grids = [block for block in every_block(image, products) if block[0] == "product_grid"]
    for data in (grids, grids * 2):
        stream = build(stream_block, data)
        # Warm: the lazy to_python and the renditions, outside the count.
        compile_email(stream, subject="Hi", context=EmailContext(unit=net.units["a"]))
        compile_mjml.cache_clear()
        with CaptureQueriesContext(connection) as queries:
            compiled = compile_email(
                stream, subject="Hi", context=EmailContext(unit=net.units["a"])
            )
        assert len(queries) == 1
        personal = compiled.personalise()
        assert personal.html.count("€27.00") == len(data) and "- Figue €27.00" in personal.text


def test_an_mjml_document_compiled_for_one_unit_is_reused_for_another(net, stream_block, image):
    footer = {"text": "SAS, {{ unit.name }}", "unsubscribe_label": "Stop"}
    stream = build(stream_block, [("legal_footer", footer)])
    compile_mjml.cache_clear()
    html_template.cache_clear()
    first = compile_email(stream, subject="Hi", context=EmailContext(unit=net.units["a"]))
    second = compile_email(stream, subject="Hi", context=EmailContext(unit=net.units["b"]))
    assert compile_mjml.cache_info().misses == 1 and html_template.cache_info().hits == 1
    assert "Store A" in first.personalise().html and "Store B" in second.personalise().html
    assert first.personalise().html.replace("Store A", "Store B") == second.personalise().html


def test_a_cached_campaign_compile_follows_local_prices_and_the_units_locale(
    net, stream_block, image, products
):
    """The compiled e-mail is cached by content: the unit's prices and locale are part of
    it, so a new local price or a new locale compiles afresh instead of serving the old."""
    grids = [block for block in every_block(image, products) if block[0] == "product_grid"]
    stream = build(stream_block, grids)
    unit = net.units["a"]
    campaign = SimpleNamespace(
        unit=unit,
        effective_body=lambda: stream,
        effective_subject=lambda: "Hi",
        effective_preheader=lambda: "",
    )
    first = compile_campaign(campaign).personalise().html
    assert "€27.00" in first
    compile_mjml.cache_clear()
    assert compile_campaign(campaign).personalise().html == first
    assert compile_mjml.cache_info().misses == 0  # served from the cache, not compiled

    ProductAvailability.objects.filter(unit=unit).update(local_price="25.00")
    assert "€25.00" in compile_campaign(campaign).personalise().html

    unit.locale = "fr"
    unit.save()
    html = compile_campaign(campaign).personalise().html
    assert html_lang(html).startswith("fr") and "25,00\xa0€" in html


# --- Accessibility of the e-mail itself -----------------------------------------------------


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def declared(element, *properties: str) -> str | None:
    """The ``#rrggbb`` colour the nearest of ``element`` and its ancestors declares in its
    style for one of ``properties`` (or as ``bgcolor`` for a background)."""
    for node in [element, *element.parents]:
        style = node.get("style", "") if hasattr(node, "get") else ""
        for name in properties:
            found = re.search(rf"(?:^|;)\s*{name}\s*:\s*(#[0-9a-fA-F]{{3,6}})\b", style)
            if found:
                return six_digits(found.group(1))
        if "background" in properties[0] and hasattr(node, "get") and node.get("bgcolor"):
            return six_digits(node["bgcolor"])
    return None


def six_digits(colour: str) -> str:
    colour = colour.lower()
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour


def text_contrast(element) -> float:
    """The contrast of an element's text on its background (black on white unless said)."""
    colour = declared(element, "color") or "#000000"
    return contrast_ratio(colour, declared(element, "background-color", "background") or "#ffffff")


def test_legal_footer_text_contrasts_enough_with_its_background(soup):
    """WCAG AA: 4.5:1 for text of normal size (the footer's is 12px)."""
    footer = soup.find(string=re.compile("Maison Lumière SAS")).parent
    assert declared(footer, "color") == "#707070"
    assert text_contrast(footer) >= 4.5
    assert text_contrast(soup.find("a", string="Unsubscribe")) >= 4.5


def test_every_visible_text_contrasts_enough_with_its_background(soup):
    body = soup.find("body")
    checked = 0
    for text in body.find_all(string=lambda s: s.strip()):
        element = text.parent
        if any("display:none" in (node.get("style") or "") for node in [element, *element.parents]):
            continue  # the preheader, hidden on purpose
        assert text_contrast(element) >= 4.5, (text.strip(), declared(element, "color"))
        checked += 1
    assert checked > 20


def html_lang(html: str) -> str:
    return BeautifulSoup(html, "html.parser").find("html")["lang"]


def test_the_email_is_in_the_units_language(net, soup, settings):
    """``<html lang>`` and the article's ``lang`` are the unit's locale, not 'und'; else the
    site's language."""
    assert soup.find("html")["lang"] == "en"  # Store A's locale
    assert soup.find(attrs={"role": "article"})["lang"] == "en"
    settings.LANGUAGE_CODE = "de"
    store = net.units["b"]
    for locale, expected in (("fr-CA", "fr-CA"), ("", "de"), ('fr"><script>', "de")):
        store.locale = locale  # the last two: never saved through the form's validation
        email = compile_email([], subject="Hi", context=EmailContext(unit=store))
        assert html_lang(email.personalise().html) == expected
    email = compile_email([], subject="Hi", context=EmailContext())
    assert html_lang(email.personalise().html) == "de"


def test_test_email_and_previews_are_in_the_units_language(net, client_for, brand_template):
    store = net.units["a"]
    store.locale = "fr-CA"
    store.save()
    start(client_for(net.users["manager_a"]), brand_template, store)
    campaign = LocalCampaign.objects.get()
    client = client_for(net.users["editor_a"])
    client.post(reverse("wagtail_distmark:campaign_test_email", args=[campaign.pk]))
    test_email, _mimetype = mail.outbox[0].alternatives[0]
    assert html_lang(test_email) == "fr-CA"
    request = RequestFactory().get("/")
    assert html_lang(campaign.serve_preview(request, "").content.decode()) == "fr-CA"
    as_store_a = brand_template.serve_preview(request, f"unit-{store.pk}")
    assert html_lang(as_store_a.content.decode()) == "fr-CA"
    gallery_preview = client.get(
        reverse("wagtail_distmark:campaign_template_preview", args=[brand_template.pk])
    )
    assert html_lang(gallery_preview.content.decode()) == "fr-CA"
    editor = client.get(snippet_url("edit", campaign.pk)).content.decode()
    locked_zone = re.search(r'<iframe [^>]*srcdoc="([^"]*)"', editor).group(1)
    assert html_lang(html_lib.unescape(locked_zone)) == "fr-CA"


def test_the_article_label_is_the_subject_never_empty(net, soup, stream_block):
    """MJML labels the e-mail's article with the document title: the personalised subject;
    without a subject there is no label rather than an empty one."""
    assert soup.find(attrs={"role": "article"})["aria-label"] == "Hello Ana <3"
    stream = build(stream_block, [("spacer", {"height": 24, "divider": False})])
    for subject in ("", "  "):
        html = compile_email(stream, subject=subject, context=EmailContext()).personalise().html
        article = BeautifulSoup(html, "html.parser").find(attrs={"role": "article"})
        assert not article.has_attr("aria-label"), subject
