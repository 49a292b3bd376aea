"""Public models of wagtail_distmark, re-exported from the feature packages that define them
(``org``, ``library``, ``catalogue``, ``campaigns``, ``contacts``, ``sending``). Import them
from here."""

from wagtail_distmark.campaigns.models import BannedWord, BrandTemplate, LocalCampaign
from wagtail_distmark.campaigns.readiness import NotReadyToSend, Readiness
from wagtail_distmark.catalogue.models import Product, ProductAvailability, ProductQuerySet
from wagtail_distmark.contacts.models import (
    Audience,
    CampaignAudience,
    CommunicationType,
    Consent,
    ConsentEvent,
    Contact,
    ContactAttribute,
    ContactFieldPolicy,
    ContactTag,
    ContactUnit,
    ExportJob,
    ImportJob,
    ImportMappingMemory,
    ImportRowError,
    Suppression,
    Tag,
)
from wagtail_distmark.library.models import (
    BrandCollection,
    DocumentUsageRights,
    ImageUsageRights,
    current_rights_q,
    lapsed_q,
)
from wagtail_distmark.org.models import Membership, OrgUnit, OrgUnitQuerySet
from wagtail_distmark.org.scoping import UnitScopedQuerySet, UnitScopedQuerySetMixin
from wagtail_distmark.sending.models import Delivery, DeliveryEvent, Send

__all__ = [
    "Delivery",
    "DeliveryEvent",
    "Send",
    "Audience",
    "CampaignAudience",
    "CommunicationType",
    "Consent",
    "ConsentEvent",
    "Contact",
    "ContactAttribute",
    "ContactFieldPolicy",
    "ContactTag",
    "ContactUnit",
    "ExportJob",
    "ImportJob",
    "ImportMappingMemory",
    "ImportRowError",
    "Suppression",
    "Tag",
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
