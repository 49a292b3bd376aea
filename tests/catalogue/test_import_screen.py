"""The catalogue import screen (issue 10): Wagtail 8's header, errors linked to fields."""

import pytest
from django.urls import reverse

from tests.admin_html import breadcrumbs, described_by, has_slim_header

pytestmark = pytest.mark.django_db

URL = "wagtail_distmark:catalogue_import"


def test_import_has_breadcrumbs_and_linked_errors(net, client_for):
    client = client_for(net.users["hq"])
    html = client.get(reverse(URL)).content.decode()
    assert has_slim_header(html)
    assert breadcrumbs(html) == [
        ("Home", "/admin/"),
        ("Products", reverse("wagtailsnippets_wagtail_distmark_product:list")),
        ("Import the catalogue", None),
    ]
    refused = client.post(reverse(URL), {"kind": "products"}).content.decode()
    assert described_by(refused, "file")[0] == "This field is required."
    assert described_by(refused, "file")[1].startswith("Products: sku, name, price")  # help
