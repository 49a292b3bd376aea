"""What a campaign may use from the content library and the catalogue, checked on save.

Choosers only filter lists; a posted id can name any image or product. So every zone is
checked on the server, against the campaign's unit:

* images whose usage rights have lapsed (or not started) are refused in every zone —
  in a locked zone too, where the message says to ask HQ;
* in the zones the unit fills in, images must come from the collections the unit may use
  (the brand collections visible to it, and its own uploads), or be the template's own;
* every product must be sold at the unit (``Product.objects.available_at``).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _
from wagtail import blocks
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Collection
from wagtail.snippets.blocks import SnippetChooserBlock

from wagtail_distmark.campaigns.leaves import leaves
from wagtail_distmark.catalogue.models import Product
from wagtail_distmark.library.files import visible_files
from wagtail_distmark.library.models import ImageUsageRights, lapsed_q
from wagtail_distmark.library.policies import library_policies_registered
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.library import usable_by_unit_q


def choosable(user, model):
    """The rows of ``model`` a user may pick in a campaign: what their choosers offer them.

    A posted id outside it reads exactly like an id that names nothing, so a crafted POST
    learns nothing (not even a title) about another unit's files or products.
    """
    manager = model._default_manager
    if user is None:
        return manager.all()
    if hasattr(manager, "for_user"):
        return manager.for_user(user)
    if library_policies_registered() and is_library_file(model):
        return visible_files(user, model)
    return manager.all()


def is_library_file(model) -> bool:
    return issubclass(model, (get_image_model(), get_document_model()))


def chosen_keys(block, value) -> set[tuple[type, object]]:
    """(model, pk) of everything chosen in a zone's value (images, products …)."""
    return {
        (type(leaf), leaf.pk)
        for child, leaf in leaves(block, value)
        if isinstance(child, blocks.ChooserBlock) and leaf is not None
    }


def chosen(block, value, kind: type) -> list:
    return [
        leaf for child, leaf in leaves(block, value) if isinstance(child, kind) and leaf is not None
    ]


def asset_errors(block, value, unit: OrgUnit, locked=False, template_images=()) -> list[str]:
    """The messages for one zone's value (empty when everything may be used).

    ``template_images``: the images HQ put in this zone of the template, which the unit may
    keep wherever they are kept.
    """
    images = chosen(block, value, ImageChooserBlock)
    products = [
        leaf for leaf in chosen(block, value, SnippetChooserBlock) if isinstance(leaf, Product)
    ]
    errors = lapsed_errors(images)
    if not locked:
        kept = {image.pk for image in template_images}
        errors += foreign_image_errors([i for i in images if i.pk not in kept], unit)
    errors += product_errors(products, unit)
    if locked and errors:
        errors.append(_("HQ locked this zone: ask HQ to replace it."))
    return errors


def lapsed_errors(images) -> list[str]:
    lapsed = ImageUsageRights.objects.filter(lapsed_q(), pk__in=[image.pk for image in images])
    errors = []
    for rights in lapsed.select_related("image"):
        if rights.starts_later():
            message = _("“%(title)s” may not be used before %(date)s.")
            date = rights.starts_on
        else:
            message = _("The usage rights of “%(title)s” ended on %(date)s.")
            date = rights.expires_on
        errors.append(message % {"title": rights.image.title, "date": formats.date_format(date)})
    return errors


def foreign_image_errors(images, unit: OrgUnit) -> list[str]:
    usable = Collection.objects.filter(usable_by_unit_q(unit)).values("pk")
    allowed = set(
        type(images[0]).objects.filter(Q(collection__in=usable), pk__in=[i.pk for i in images])
        .values_list("pk", flat=True)
    ) if images else set()  # fmt: skip
    return [
        _("“%(title)s” is not in the library of %(unit)s.") % {"title": image.title, "unit": unit}
        for image in images
        if image.pk not in allowed
    ]


def product_errors(products, unit: OrgUnit) -> list[str]:
    if not products:
        return []
    sold = set(
        Product.objects.available_at(unit)
        .filter(pk__in=[product.pk for product in products])
        .values_list("pk", flat=True)
    )
    return [
        _("%(unit)s does not sell “%(name)s”.") % {"unit": unit, "name": product.name}
        for product in products
        if product.pk not in sold
    ]
