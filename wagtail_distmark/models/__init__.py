"""Public models of wagtail_distmark. Import them from here, not from the submodules."""

from wagtail_distmark.models.campaigns import (
    BannedWord,
    BrandTemplate,
    LocalCampaign,
    NotReadyToSend,
    Readiness,
)
from wagtail_distmark.models.catalogue import Product, ProductAvailability, ProductQuerySet
from wagtail_distmark.models.library import (
    BrandCollection,
    DocumentUsageRights,
    ImageUsageRights,
    current_rights_q,
    lapsed_q,
)
from wagtail_distmark.models.org import Membership, OrgUnit, OrgUnitQuerySet
from wagtail_distmark.models.scoping import UnitScopedQuerySet, UnitScopedQuerySetMixin

__all__ = [
    "BannedWord",
    "BrandCollection",
    "DocumentUsageRights",
    "ImageUsageRights",
    "current_rights_q",
    "lapsed_q",
    "BrandTemplate",
    "LocalCampaign",
    "Membership",
    "NotReadyToSend",
    "OrgUnit",
    "OrgUnitQuerySet",
    "Product",
    "ProductAvailability",
    "ProductQuerySet",
    "Readiness",
    "UnitScopedQuerySet",
    "UnitScopedQuerySetMixin",
]
