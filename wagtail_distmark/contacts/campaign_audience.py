"""Who a local campaign goes to: the audience chosen for it, else its template's segment.

:func:`recipients_for_campaign` is what the send calls. It never reaches a contact outside the
campaign's unit, never one without consent for the audience's communication type at that
unit, and never widens HQ's segment of the template, whatever audience was saved.
"""

from __future__ import annotations

from wagtail_distmark.campaigns.models import BrandTemplate, LocalCampaign
from wagtail_distmark.contacts.audiences import builds_on, recipients
from wagtail_distmark.contacts.consent import subscribed_q
from wagtail_distmark.contacts.models import Audience, CampaignAudience, Contact
from wagtail_distmark.org.models import OrgUnit


def template_segment(template: BrandTemplate | None) -> Audience | None:
    """HQ's segment of the template (the first, should there be several)."""
    if template is None:
        return None
    segments = Audience.objects.filter(template=template).select_related("unit", "base")
    return segments.order_by("pk").first()


def chosen_audience(campaign: LocalCampaign) -> Audience | None:
    """The audience saved for the campaign, if any."""
    choice = (
        CampaignAudience.objects.filter(campaign=campaign)
        .select_related("audience__unit", "audience__communication_type")
        .first()
    )
    return choice.audience if choice is not None else None


def audience_for(campaign: LocalCampaign) -> Audience | None:
    """The chosen audience, else the template's segment as given, else none."""
    return chosen_audience(campaign) or template_segment(campaign.template)


def recipients_for_campaign(campaign: LocalCampaign):
    """The contacts the campaign goes to now (a queryset; empty without an audience)."""
    audience = audience_for(campaign)
    if audience is None:
        return Contact.objects.none()
    path = campaign.unit.path
    contacts = (
        recipients(audience).under(path).filter(subscribed_q(audience.communication_type, path))
    )
    segment = template_segment(campaign.template)
    if segment is not None and not builds_on(audience, segment):
        # Saved before HQ attached (or changed) the segment: it can only narrow it.
        contacts = contacts.filter(pk__in=recipients(segment).values("pk"))
    return contacts


def ancestor_paths(path: str) -> list[str]:
    """The unit's path and those of the units above it."""
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def audience_choices(campaign: LocalCampaign, user):
    """The audiences the user may choose for the campaign: the user's own audiences of the
    campaign's unit (or a unit above it); if the template has a segment, only those built on
    it. The segment itself is the form's empty choice ("as given")."""
    audiences = Audience.objects.for_user(user).filter(
        template__isnull=True, unit__path__in=ancestor_paths(campaign.unit.path)
    )
    segment = template_segment(campaign.template)
    if segment is None:
        return audiences
    allowed = [a.pk for a in audiences.select_related("base") if builds_on(a, segment)]
    return audiences.filter(pk__in=allowed)


def choose_audience(campaign: LocalCampaign, audience: Audience | None) -> None:
    """Save the campaign's audience; ``None`` goes back to the template's segment."""
    if audience is None:
        CampaignAudience.objects.filter(campaign=campaign).delete()
        return
    CampaignAudience.objects.update_or_create(campaign=campaign, defaults={"audience": audience})
