"""Compile MJML to HTML with mjml-python, and the document frame around the blocks."""

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


class MJMLError(ValueError):
    """MJML that mjml-python could not compile."""


def compile_mjml(source: str) -> str:
    """HTML for an MJML document; raises :class:`MJMLError` with the compiler's reason."""
    try:
        return mjml2html(source, disable_comments=True)
    except ValueError as error:
        raise MJMLError(str(error)) from error


def document(body: str, *, title: str = "", preheader: str = "", head: str = DEFAULT_HEAD) -> str:
    """A whole MJML document around already-rendered body sections."""
    preview = f"<mj-preview>{escape(preheader)}</mj-preview>" if preheader else ""
    return (
        f"<mjml><mj-head><mj-title>{escape(title)}</mj-title>{preview}{head}</mj-head>"
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
