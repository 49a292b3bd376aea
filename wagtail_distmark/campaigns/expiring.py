"""Which unsent campaigns use images whose usage rights end soon (HQ's report).

Wagtail's reference index already knows which campaign and which template uses which image,
so no campaign body is read here: a campaign is listed for an image it holds in one of its
own zones, or that its template holds in a locked zone (those come from the template).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.images import get_image_model
from wagtail.models import ReferenceIndex

from wagtail_distmark.campaigns.models import BrandTemplate, LocalCampaign
from wagtail_distmark.library.models import ImageUsageRights

#: How far ahead the report looks, in days.
HORIZON_DAYS = 30


@dataclass(frozen=True)
class ExpiringUse:
    campaign: LocalCampaign
    image: object
    expires_on: datetime.date
    through_template: bool  # the image sits in a zone HQ locked

    @property
    def days_left(self) -> int:
        return (self.expires_on - timezone.localdate()).days


def expiring_uses(days: int = HORIZON_DAYS) -> list[ExpiringUse]:
    """Every (unsent campaign, image) whose image stops being usable within ``days``."""
    today = timezone.localdate()
    rights = ImageUsageRights.objects.filter(
        expires_on__gte=today, expires_on__lte=today + datetime.timedelta(days=days)
    ).select_related("image")
    by_image = {str(r.image_id): r for r in rights}
    if not by_image:
        return []
    refs = ReferenceIndex.objects.filter(
        to_content_type=ContentType.objects.get_for_model(get_image_model()),
        to_object_id__in=list(by_image),
    )
    campaign_type = ContentType.objects.get_for_model(LocalCampaign)
    template_type = ContentType.objects.get_for_model(BrandTemplate)
    direct = [(r.object_id, r.to_object_id) for r in refs if r.content_type_id == campaign_type.pk]
    via = [r for r in refs if r.content_type_id == template_type.pk]
    # A campaign body also holds a copy of its locked zones: the template's use wins.
    uses = {(int(campaign_id), image_id): False for campaign_id, image_id in direct}
    uses |= dict.fromkeys(locked_template_uses(via), True)
    campaigns = LocalCampaign.objects.filter(
        pk__in={pk for pk, _ in uses}, sent_at__isnull=True
    ).select_related("unit", "template")
    campaigns = {campaign.pk: campaign for campaign in campaigns}
    rows = [
        ExpiringUse(campaigns[pk], by_image[image_id].image, by_image[image_id].expires_on, via)
        for (pk, image_id), via in uses.items()
        if pk in campaigns
    ]
    return sorted(rows, key=lambda row: (row.expires_on, row.campaign.name, row.image.title))


def locked_template_uses(refs) -> set[tuple[int, str]]:
    """(campaign, image) pairs for images in the locked zones of the referencing templates."""
    templates = BrandTemplate.objects.in_bulk({int(ref.object_id) for ref in refs})
    images_by_template: dict[int, set[str]] = {}
    for ref in refs:
        template = templates[int(ref.object_id)]
        locked = {zone.id for zone in template.body if zone.value.is_locked}
        zone_id = ref.content_path.split(".")[1] if "." in ref.content_path else ""
        if zone_id in locked:
            images_by_template.setdefault(template.pk, set()).add(ref.to_object_id)
    campaigns = LocalCampaign.objects.filter(template__in=images_by_template)
    return {
        (pk, image_id)
        for pk, template_id in campaigns.values_list("pk", "template_id")
        for image_id in images_by_template[template_id]
    }


REPORT_PERMISSION = "wagtail_distmark.view_library_report"


def expiring_report(request):
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "wagtail_distmark/library/expiring.html",
        {"rows": expiring_uses(), "days": HORIZON_DAYS},
    )


class ExpiringReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(REPORT_PERMISSION)


def expiring_report_menu_item() -> MenuItem:
    return ExpiringReportMenuItem(
        _("Expiring images"),
        reverse("wagtail_distmark:library_expiring"),
        icon_name="warning",
        order=900,
    )
