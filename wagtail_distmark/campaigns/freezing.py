"""Freezing a campaign when its sending starts: what was sent stays what it was.

The snapshot (``sent_body``, ``sent_subject``, ``sent_preheader``, ``sent_at``) is what the
campaign renders from afterwards; HQ's later changes to the template no longer reach it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

#: The fields the snapshot writes.
SENT_FIELDS = ["sent_body", "sent_subject", "sent_preheader", "sent_at"]


def sent_body_data(parts) -> list[dict]:
    """Raw StreamField data of the zones as rendered (``Part`` or StreamValue children)."""
    return [
        {"type": part.block_type, "id": part.id, "value": part.block.get_prep_value(part.value)}
        for part in parts
    ]


@transaction.atomic
def freeze_for_sending(campaign, at=None) -> None:
    """Keep what ``campaign`` (a ``LocalCampaign``) sends, as of ``at`` (default: now)."""
    campaign.sent_body = sent_body_data(campaign.effective_body())
    campaign.sent_subject = campaign.effective_subject()
    campaign.sent_preheader = campaign.effective_preheader()
    campaign.sent_at = at or timezone.now()
    campaign.save(update_fields=SENT_FIELDS)
