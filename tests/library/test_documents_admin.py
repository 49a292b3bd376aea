"""Wagtail's own document screens, for units: their files and the brand's, never another unit's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model

from tests.library.conftest import needs_policy_registry
from wagtail_distmark.library.collections import unit_collection

pytestmark = [pytest.mark.django_db, needs_policy_registry]

Document = get_document_model()


def test_document_chooser_and_search_show_brand_and_own_files_only(net, library, client_for):
    client = client_for(net.users["manager_c"])
    for params in ({}, {"q": "flyer"}):
        response = client.get(reverse("wagtaildocs_chooser:choose"), params)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Store C flyer" in html and "Store A flyer" not in html
        if not params:
            assert "Brand price list" in html


def test_document_index_lists_own_files_and_the_brand_library_read_only(net, library, client_for):
    html = client_for(net.users["manager_a"]).get(reverse("wagtaildocs:index")).content.decode()
    assert "Store A flyer" in html and "Brand price list" in html
    assert "Store C flyer" not in html
    own, brand = library.documents["a"], library.documents["brand"]
    assert reverse("wagtaildocs:edit", args=[own.pk]) in html
    assert reverse("wagtaildocs:edit", args=[brand.pk]) not in html  # read-only
    assert f'data-object-id="{own.pk}"' in html  # bulk actions: own files only
    assert f'data-object-id="{brand.pk}"' not in html
    html = client_for(net.users["manager_c"]).get(reverse("wagtaildocs:index")).content.decode()
    assert "Store C flyer" in html and "Store A flyer" not in html


@pytest.mark.parametrize(
    "name", ["wagtaildocs:edit", "wagtaildocs:delete", "wagtaildocs:document_usage",
             "wagtaildocs_chooser:chosen"],
)  # fmt: skip
def test_every_document_url_refuses_another_stores_file(net, library, client_for, name):
    document = library.documents["a"]
    url = reverse(name, args=[document.pk])
    client = client_for(net.users["manager_c"])
    for response in (client.get(url), client.post(url, {"title": "Hacked"})):
        assert response.status_code == 404, name
        assert "Store A flyer" not in response.content.decode()
    document.refresh_from_db()
    assert document.title == "Store A flyer"
    assert client_for(net.users["manager_a"]).get(url).status_code == 200, name


def test_units_may_use_but_not_change_brand_documents(net, library, client_for):
    document = library.documents["brand"]
    client = client_for(net.users["manager_a"])
    response = client.get(reverse("wagtaildocs:edit", args=[document.pk]))
    assert response.status_code == 403
    assert "You may use this file in your campaigns, not change it." in response.content.decode()
    response = client.post(reverse("wagtaildocs:delete", args=[document.pk]))
    assert response.status_code == 403
    assert Document.objects.filter(pk=document.pk).exists()
    chosen = reverse("wagtaildocs_chooser:chosen", args=[document.pk])
    assert client.get(chosen).status_code == 200


def test_document_upload_goes_into_own_collection(net, library, client_for):
    client = client_for(net.users["manager_a"])
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", "application/pdf")
    response = client.post(reverse("wagtaildocs:add"), {"title": "Offer", "file": upload})
    assert response.status_code == 302
    assert Document.objects.get(title="Offer").collection == unit_collection(net.units["a"])
