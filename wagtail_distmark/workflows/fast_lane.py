"""The fast lane: campaigns that only changed what HQ lets units change, and passed every
check, skip approval when their template allows it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from wagtail_distmark.blocks.zones import ZonePolicy


def changed_policies(campaign) -> set[str]:
    """The policies of the zones whose content the campaign changed, plus "editable" for an
    edited subject or preheader."""
    template = campaign.template
    zones = {zone.id: zone for zone in template.body}
    changed = set()
    for child in campaign.body:
        zone = zones.get(child.id)
        if zone is None:
            continue
        if not zone.value.unchanged_in(child):
            changed.add(zone.value.policy)
    for field in ("subject", "preheader"):
        if getattr(campaign, field) != getattr(template, field):
            changed.add(ZonePolicy.EDITABLE)
    return changed


def fast_lane_reason(campaign) -> str | None:
    """Why the campaign may skip approval, or None."""
    allowed = campaign.template.fast_lane_policies()
    if not allowed:
        return None
    changed = changed_policies(campaign)
    if not changed <= allowed:
        return None
    try:
        campaign.full_clean()
    except ValidationError:
        return None
    return _(
        "Fast lane: only zones the template lets units change were changed (%(zones)s), and "
        "every constraint and the banned words passed."
    ) % {"zones": ", ".join(sorted(str(ZonePolicy(p).label) for p in changed)) or _("none")}
