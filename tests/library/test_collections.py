"""Each unit's upload collection follows the unit: created, renamed and moved with it."""

import pytest
from wagtail.models import Collection

from tests.factories import add_unit
from wagtail_distmark.library.collections import add_brand_collection, brand_library_root
from wagtail_distmark.models import BrandCollection, OrgUnit

pytestmark = pytest.mark.django_db


def collection_of(unit):
    return Collection.objects.get(distmark_unit=OrgUnit.objects.get(pk=unit.pk))


def test_every_unit_has_a_collection_mirroring_the_tree(net):
    store_a = collection_of(net.units["a"])
    assert store_a.name == "Store A (C-A)"
    assert store_a.get_parent() == collection_of(net.units["north"])
    assert collection_of(net.units["north"]).get_parent() == collection_of(net.units["hq"])
    assert collection_of(net.units["hq"]).get_parent() == Collection.get_first_root_node()


def test_renaming_a_unit_renames_its_collection(net):
    unit = net.units["a"]
    unit.name = "Store A (new site)"
    unit.save()
    assert collection_of(unit).name == "Store A (new site) (C-A)"


def test_moving_a_unit_moves_its_collection_and_keeps_its_files(net):
    from tests.library.conftest import make_image

    unit = net.units["a"]
    image = make_image("Window", collection_of(unit))
    unit.move(OrgUnit.objects.get(pk=net.units["south"].pk), pos="last-child")
    moved = collection_of(unit)
    assert moved.get_parent() == collection_of(net.units["south"])
    image.refresh_from_db()
    assert image.collection == moved


def test_a_new_unit_gets_its_collection_under_its_parents(net):
    unit = add_unit(OrgUnit.objects.get(pk=net.units["c"].pk), "Kiosk", "C-K", "unit")
    assert collection_of(unit).get_parent() == collection_of(net.units["c"])


def test_collections_created_in_the_brand_library_inherit_their_parents_audience(net):
    north = add_brand_collection("North", units=[net.units["north"]])
    child = north.add_child(name="North – winter")
    assert list(BrandCollection.objects.get(collection=child).units.all()) == [net.units["north"]]
    assert brand_library_root().get_children().count() == 1
    # Collections outside the brand library are not brand collections.
    other = Collection.get_first_root_node().add_child(name="Press")
    assert not BrandCollection.objects.filter(collection=other).exists()
