"""Breaks the sweep and the fuzz found beyond the issue's list, kept as regression tests.

An unfixed finding is pinned here as a strict xfail; when its fix lands the test XPASSes and
fails the run, so the mark is dropped and the case stays as a regression test.
"""

import pytest
from django.urls import reverse

from tests.security.conftest import make_image
from tests.security.test_campaign_fuzz import fuzz_template
from wagtail_distmark.catalogue.importers import import_products
from wagtail_distmark.library.collections import add_brand_collection
from wagtail_distmark.models import LocalCampaign, Product

pytestmark = pytest.mark.django_db


def test_a_price_beyond_any_column_is_a_row_error_not_a_crash():
    report = import_products("sku,name,price\nBIG,Big candle,1e309\nOK,Fine candle,5.00\n")
    assert [line for line, _ in report.errors] == [2]
    assert list(Product.objects.values_list("sku", flat=True)) == ["OK"]


def test_a_template_the_unit_cannot_use_as_is_does_not_crash_the_gallery(net, client):
    """The gallery says why (a product the unit does not sell) and creates nothing."""
    template = fuzz_template(make_image("Brand", add_brand_collection("Photos")), None)
    client.force_login(net.users["manager_a"])
    client.raise_request_exception = False
    response = client.post(
        reverse("wagtail_distmark:campaign_gallery"),
        {"template": template.pk, "unit": net.units["a"].pk, "name": "Not sold here"},
    )
    assert response.status_code == 200
    assert "cannot be used for Store A as it stands" in response.content.decode()
    assert "Ask head office to adapt it." in response.content.decode()
    assert not LocalCampaign.objects.filter(name="Not sold here").exists()
