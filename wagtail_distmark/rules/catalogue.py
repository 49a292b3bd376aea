"""Predicates on the product catalogue: HQ's products, and where each is sold."""

import rules

from wagtail_distmark.catalogue.models import Product
from wagtail_distmark.rules.org import (
    has_role_on_unit,
    is_distmark_superuser,
    is_head_office,
    is_member_or_superuser,
)


@rules.predicate
def can_view_product(user, product=None) -> bool:
    """Every member may browse the catalogue; a product only if it is sold in their scope
    (``Product.objects.for_user``, its queryset twin, decides)."""
    if product is None:
        return is_member_or_superuser(user)
    return Product.objects.for_user(user).filter(pk=product.pk).exists()


@rules.predicate
def can_view_availability(user, row=None) -> bool:
    if row is None:
        return is_member_or_superuser(user)
    return is_distmark_superuser(user) or has_role_on_unit(user, row.unit)


#: Products and where they are sold: HQ's.
can_manage_catalogue = is_head_office
