import pytest
from wagtail_factories import ImageFactory

from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.models import BrandTemplate


@pytest.fixture
def image(db):
    return ImageFactory(title="Candles")


@pytest.fixture
def brand_template(net, image):
    """A live template: an editable hero, a constrained offer (5–20 %), a locked legal footer."""
    template = BrandTemplate(
        name="Autumn promotion",
        description="Seasonal offer with a discount you choose.",
        subject="Autumn at {{ unit.name }}",
        preheader="Our new candles",
        body=[
            zone("hero", "hero", {"image": image.pk, "alt": "Candles",
                                  "heading": "Autumn is here", "text": ""}),
            zone("offer", "offer", {"title": "Your offer", "discount": 10, "text": "",
                                    "valid_until": None},
                 "constrained", min_value="5", max_value="20"),
            zone("legal", "legal_footer", {"text": "Maison Lumière SAS, Paris",
                                           "unsubscribe_label": "Unsubscribe"}, "locked"),
        ],
        live=True,
    )  # fmt: skip
    template.save()
    return template
