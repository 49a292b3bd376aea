"""The collections behind the content library, and keeping them in step with the org tree.

* The **brand library**: a "Brand library" collection and its sub-collections, each marked by a
  :class:`~wagtail_distmark.models.BrandCollection` row that says which units may use it.
* One **upload collection per unit**, arranged like the org tree: a unit's collection is a
  child of its parent unit's collection (root units' collections sit under Wagtail's root).
  It is created with the unit and renamed and moved with it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext
from wagtail.models import Collection
from wagtail.models.media import CollectionQuerySet

from wagtail_distmark.library.models import BrandCollection
from wagtail_distmark.org.models import OrgUnit


def brand_library_root() -> Collection:
    """The top of the brand library, created on first use."""
    top = Collection.objects.filter(distmark_brand__isnull=False).order_by("path").first()
    if top is None:
        with transaction.atomic():
            top = Collection.get_first_root_node().add_child(name=gettext("Brand library"))
            BrandCollection.objects.get_or_create(collection=top)
    return top


def add_brand_collection(name: str, parent: Collection | None = None, units=()) -> Collection:
    """A new brand-library collection, visible to ``units`` (none: the whole network)."""
    parent = parent or brand_library_root()
    collection = parent.add_child(name=name)
    brand, _ = BrandCollection.objects.get_or_create(collection=collection)
    brand.units.set(units)
    return collection


def unit_collection_name(unit: OrgUnit) -> str:
    return f"{unit.name} ({unit.code})"


def unit_collection(unit: OrgUnit) -> Collection:
    """The unit's upload collection, created (with its ancestors') if missing."""
    if unit.collection_id is None:
        sync_unit_collection(unit)
    return unit.collection


@transaction.atomic
def sync_unit_collection(unit: OrgUnit) -> None:
    """Create, rename or move the unit's collection so that it matches the unit."""
    parent_unit = unit.get_parent(update=True)
    parent = unit_collection(parent_unit) if parent_unit else Collection.get_first_root_node()
    collection = unit.collection
    name = unit_collection_name(unit)
    if collection is None:
        collection = parent.add_child(name=name)
        OrgUnit.objects.filter(pk=unit.pk).update(collection=collection)
        unit.collection = collection
        return
    if collection.name != name:
        collection.name = name
        collection.save(update_fields=["name"])
    if collection.get_parent().pk != parent.pk:
        collection.move(parent, pos="sorted-child")


def inherit_brand_visibility(collection: Collection) -> None:
    """A collection created inside the brand library joins it, with its parent's audience."""
    parent = collection.get_parent()
    if parent is None:
        return
    brand_parent = BrandCollection.objects.filter(collection=parent).first()
    if brand_parent is None:
        return
    brand, created = BrandCollection.objects.get_or_create(collection=collection)
    if created:
        brand.units.set(brand_parent.units.all())


class TreeMenuQuerySet(CollectionQuerySet):
    """Collections offered in a menu that leaves some of their ancestors out (a store's
    collection without its region's): each is indented under the listed collections that
    really contain it, not under whichever collection happens to come before it."""

    def get_indented_choices(self):
        collections = list(self)
        listed = {collection.path for collection in collections}
        return [(c.pk, indented_name(c, listed)) for c in collections]


def ancestor_paths(path: str) -> list[str]:
    """The paths of a collection's ancestors, root first (no query)."""
    steplen = Collection.steplen
    return [path[:end] for end in range(steplen, len(path), steplen)]


def indented_name(collection: Collection, listed_paths: set[str]) -> str:
    """The collection's name, indented once per listed ancestor (Wagtail's own rendering)."""
    level = sum(1 for path in ancestor_paths(collection.path) if path in listed_paths)
    return collection.get_indented_name(collection.depth - level, html=True)


def tree_menu(collections) -> TreeMenuQuerySet:
    """``collections`` (a queryset of collections) as a :class:`TreeMenuQuerySet`."""
    return TreeMenuQuerySet(model=Collection, query=collections.query.chain(), using=collections.db)
