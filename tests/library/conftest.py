import io

import pytest
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.library.collections import add_brand_collection, unit_collection
from wagtail_distmark.library.policies import library_policies_registered
from wagtail_distmark.models import BrandTemplate, LocalCampaign, Product, ProductAvailability

pytestmark = pytest.mark.django_db

#: Tests of Wagtail's own image and document screens under the org-aware policy, which needs
#: Wagtail 8's policy registry (on 7.0 the plugin leaves those screens to group permissions).
needs_policy_registry = pytest.mark.skipif(
    not library_policies_registered(), reason="Wagtail 7: no permission policy registry"
)


def png_bytes(size=(8, 8), colour="red") -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name="photo.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), "image/png")


def make_image(title, collection, user=None):
    return get_image_model().objects.create(
        title=title,
        file=ImageFile(io.BytesIO(png_bytes()), name=f"{title}.png"),
        collection=collection,
        uploaded_by_user=user,
    )


def make_document(title, collection, user=None):
    return get_document_model().objects.create(
        title=title,
        file=SimpleUploadedFile(f"{title}.pdf", b"%PDF-1.4 demo"),
        collection=collection,
        uploaded_by_user=user,
    )


class Library:
    """A brand library (one collection for everyone, one for the North region) and uploads."""

    def __init__(self, net):
        units, users = net.units, net.users
        self.photos = add_brand_collection("Photos")
        self.north_only = add_brand_collection("North imagery", units=[units["north"]])
        self.images = {
            "brand": make_image("Brand hero", self.photos, users["hq"]),
            "north": make_image("North banner", self.north_only, users["hq"]),
            "a": make_image("Store A window", unit_collection(units["a"]), users["manager_a"]),
            "a_editor": make_image("Store A team", unit_collection(units["a"]), users["editor_a"]),
            "c": make_image("Store C window", unit_collection(units["c"]), users["manager_c"]),
        }
        self.documents = {
            "brand": make_document("Brand price list", self.photos, users["hq"]),
            "a": make_document("Store A flyer", unit_collection(units["a"]), users["manager_a"]),
            "c": make_document("Store C flyer", unit_collection(units["c"]), users["manager_c"]),
        }


@pytest.fixture
def library(net):
    return Library(net)


@pytest.fixture
def catalogue(net):
    sold = Product.objects.create(sku="S", name="Figue candle", price="29.00")
    north_only = Product.objects.create(sku="N", name="Northern pine", price="31.00")
    ProductAvailability.objects.create(product=sold, unit=net.units["hq"])
    ProductAvailability.objects.create(product=north_only, unit=net.units["north"])
    return {"sold": sold, "north_only": north_only}


@pytest.fixture
def template(net, library, catalogue):
    hero = {"image": library.images["brand"].pk, "alt": "Hero", "heading": "Autumn", "text": ""}
    grid = {"heading": "Our picks", "products": [{"product": catalogue["sold"].pk, "url": ""}]}
    logo = {"image": library.images["north"].pk, "alt": "Logo", "link": ""}
    template = BrandTemplate(
        name="Library test", subject="Hello", preheader="", live=True,
        body=[zone("hero", "hero", hero), zone("grid", "product_grid", grid),
              zone("logo", "image", logo, "locked")],
    )  # fmt: skip
    template.save()
    return template


def campaign_for(net, client_for, template, user, unit):
    from tests.campaigns.test_admin import start

    start(client_for(net.users[user]), template, net.units[unit])
    return LocalCampaign.objects.get(unit=net.units[unit])
