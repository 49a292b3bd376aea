"""Compile MJML to HTML with mjml-python, and the document frame around the blocks."""

import re
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from mjml import mjml2html

#: The brand's default look; a site overrides it with ``WAGTAIL_DISTMARK_MJML_HEAD``.
DEFAULT_HEAD = """<mj-attributes>
  <mj-all font-family="Helvetica, Arial, sans-serif" />
  <mj-text font-size="16px" line-height="1.5" color="#222222" />
  <mj-button background-color="#1d4e89" color="#ffffff" font-size="16px" />
</mj-attributes>"""

#: A BCP 47 language tag as ``OrgUnit.locale`` holds it ('en', 'fr-CA', 'zh-Hant-TW').
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")

#: Documents whose HTML is kept: a campaign fanned out to many units compiles the same
#: document for all the units that share a locale and prices.
COMPILED_DOCUMENTS = 32


class MJMLError(ValueError):
    """MJML that mjml-python could not compile."""


@lru_cache(maxsize=COMPILED_DOCUMENTS)
def compile_mjml(source: str) -> str:
    """HTML for an MJML document; raises :class:`MJMLError` with the compiler's reason.

    A pure function of ``source``, so the HTML of the last documents is kept and an identical
    document (the same campaign for another unit of the same locale and prices, a zone
    validated again on each save) is not compiled again.
    """
    try:
        return mjml2html(source, disable_comments=True)
    except ValueError as error:
        raise MJMLError(str(error)) from error


def document(
    body: str,
    *,
    title: str = "",
    preheader: str = "",
    head: str = DEFAULT_HEAD,
    lang: str = "",
) -> str:
    """A whole MJML document around already-rendered body sections.

    Args:
        body: the sections.
        title: the document's title, which MJML also makes the e-mail's article label
            (``aria-label``); a blank title sets neither, rather than an empty label.
        preheader: the hidden preview text.
        head: the ``<mj-head>`` styling.
        lang: the language of the e-mail (``<html lang>``), a language tag such as 'fr-CA';
            blank or malformed: the site's ``LANGUAGE_CODE``.
    """
    lang = lang if LANGUAGE_TAG.fullmatch(lang or "") else settings.LANGUAGE_CODE
    title_tag = f"<mj-title>{escape(title)}</mj-title>" if title.strip() else ""
    preview = f"<mj-preview>{escape(preheader)}</mj-preview>" if preheader else ""
    return (
        f'<mjml lang="{escape(lang)}"><mj-head>{title_tag}{preview}{head}</mj-head>'
        f'<mj-body width="600px">{body}</mj-body></mjml>'
    )


def validate_mjml_fragment(body: str, head: str = "") -> None:
    """Raise ``ValidationError`` if raw MJML sections (with their head styles) do not compile."""
    try:
        compile_mjml(document(body, head=DEFAULT_HEAD + head))
    except MJMLError as error:
        raise ValidationError(
            _("This MJML does not compile: %(reason)s"), params={"reason": error}
        ) from error
