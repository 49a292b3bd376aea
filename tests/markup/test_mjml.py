"""The MJML document frame (language, title) and the compiler's kept documents."""

import pytest
from bs4 import BeautifulSoup
from django.test import override_settings

from wagtail_distmark.markup.mjml import MJMLError, compile_mjml, document
from wagtail_distmark.markup.raw_mjml import split_raw_mjml

SECTION = "<mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section>"


def compiled(**kwargs) -> BeautifulSoup:
    return BeautifulSoup(compile_mjml(document(SECTION, **kwargs)), "html.parser")


@override_settings(LANGUAGE_CODE="nl")
@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr-CA", "fr-CA"), ("en", "en"), ("zh-Hant-TW", "zh-Hant-TW"), ("", "nl"),
     ('fr" onload="x', "nl"), ("f", "nl"), ("fr-", "nl")],
)  # fmt: skip
def test_the_document_is_in_the_given_language_else_the_sites(lang, expected):
    html = compiled(title="Hi", lang=lang)
    assert html.find("html")["lang"] == expected
    assert html.find(attrs={"role": "article"})["lang"] == expected


def test_the_title_labels_the_article_and_a_blank_title_sets_no_label():
    html = compiled(title='Autumn & "you"')
    assert html.find("title").get_text() == 'Autumn & "you"'
    assert html.find(attrs={"role": "article"})["aria-label"] == 'Autumn & "you"'
    for blank in ("", "   "):
        article = compiled(title=blank).find(attrs={"role": "article"})
        assert not article.has_attr("aria-label")


def test_a_document_is_compiled_once_and_an_error_every_time():
    compile_mjml.cache_clear()
    source = document(SECTION, title="Kept")
    assert compile_mjml(source) is compile_mjml(source)
    assert compile_mjml.cache_info().misses == 1
    broken = document("<mj-section><mj-column>")
    for _attempt in range(2):
        with pytest.raises(MJMLError):
            compile_mjml(broken)
    assert compile_mjml.cache_info().misses == 3


def test_raw_mjml_is_split_once_per_source():
    split_raw_mjml.cache_clear()
    source = (
        f"<mjml><mj-head><mj-style>.x {{}}</mj-style></mj-head><mj-body>{SECTION}</mj-body></mjml>"
    )
    assert split_raw_mjml(source) is split_raw_mjml(source)
    assert split_raw_mjml(source).body == SECTION
    assert split_raw_mjml.cache_info().misses == 1
