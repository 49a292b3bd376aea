"""The addresses a campaign's mail is sent from and replied to."""

from __future__ import annotations

from django.conf import settings

from wagtail_distmark.campaigns.models import BrandTemplate
from wagtail_distmark.org.models import OrgUnit


def sender_address(template: BrandTemplate, unit: OrgUnit) -> str:
    """The From: header, per the template's sender policy: the unit's name on an address of
    an authenticated domain (``OrgUnit.from_address``), or HQ's. Replies go to
    ``unit.reply_to_addresses()``."""
    if template.sender_policy == BrandTemplate.SenderPolicy.UNIT:
        return unit.from_address()
    return settings.DEFAULT_FROM_EMAIL
