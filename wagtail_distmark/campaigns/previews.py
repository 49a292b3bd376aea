"""Previews: a brand template or a campaign as its unit would send it, to a sample contact.

Wagtail's preview panel (``serve_preview`` on both models) and the gallery's template
preview answer through these functions.
"""

from __future__ import annotations

from django.http import HttpResponse

from wagtail_distmark.blocks.email import EmailContext
from wagtail_distmark.campaigns.rendering import CompiledEmail, compile_campaign, compile_email
from wagtail_distmark.campaigns.zones import effective_body

SAMPLE_CONTACT = {"first_name": "Camille", "last_name": "Martin", "email": "camille@example.com"}


def preview_links() -> dict[str, str]:
    """The per-recipient links of a preview or a test e-mail: they lead nowhere."""
    return {"unsubscribe_url": "#unsubscribe", "view_online_url": "#view-online"}


def preview_response(compiled: CompiledEmail) -> HttpResponse:
    """The e-mail's HTML, personalised for the sample contact."""
    return HttpResponse(compiled.personalise(SAMPLE_CONTACT, preview_links()).html)


def template_preview(template, unit, base_url: str) -> HttpResponse:
    """A brand template with every zone holding HQ's content, as ``unit`` would send it."""
    compiled = compile_email(
        effective_body(template.body, []),
        subject=template.subject,
        preheader=template.preheader,
        context=EmailContext(unit=unit, base_url=base_url),
    )
    return preview_response(compiled)


def campaign_preview(campaign, base_url: str) -> HttpResponse:
    """A campaign as its unit would send it (compiled once, then cached)."""
    return preview_response(compile_campaign(campaign, base_url=base_url))
