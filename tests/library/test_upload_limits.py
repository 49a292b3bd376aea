"""Allowed file types and sizes per role, with clear errors and nothing saved."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from tests.library.conftest import needs_policy_registry, png_upload
from wagtail_distmark.library.collections import unit_collection

pytestmark = [pytest.mark.django_db, needs_policy_registry]


def post_image(client, upload, **extra):
    return client.post(reverse("wagtailimages:add"), {"title": "Poster", "file": upload, **extra})


def test_editor_cannot_upload_a_file_over_their_roles_size(net, client_for, settings):
    settings.WAGTAIL_DISTMARK_UPLOAD_LIMITS = {"unit_editor": {"max_size": 100}}
    response = post_image(client_for(net.users["editor_a"]), png_upload(size=(200, 200)))
    assert response.status_code == 200
    assert "your role may upload files of up to 100" in response.content.decode()
    assert not get_image_model().objects.filter(title="Poster").exists()
    # The twin: the store manager's limit is the default 10 MB.
    assert post_image(client_for(net.users["manager_a"]), png_upload()).status_code == 302
    assert get_image_model().objects.filter(title="Poster").count() == 1


def test_unit_roles_may_upload_pdf_documents_only(net, client_for):
    upload = SimpleUploadedFile("prices.docx", b"PK\x03\x04 docx", "application/octet-stream")
    response = client_for(net.users["manager_a"]).post(
        reverse("wagtaildocs:add"), {"title": "Prices", "file": upload}
    )
    assert response.status_code == 200
    assert "Files of type “docx” cannot be uploaded with your role. Allowed: pdf." in (
        response.content.decode()
    )
    assert not get_document_model().objects.exists()
    # The twin: a regional manager may upload Office files.
    upload = SimpleUploadedFile("prices.docx", b"PK\x03\x04 docx", "application/octet-stream")
    north = unit_collection(net.units["north"])
    response = client_for(net.users["regional_north"]).post(
        reverse("wagtaildocs:add"), {"title": "Prices", "file": upload, "collection": north.pk}
    )
    assert response.status_code == 302
    assert get_document_model().objects.get(title="Prices").collection == north


def test_hq_has_no_limits_beyond_wagtails(net, client_for, settings):
    settings.WAGTAIL_DISTMARK_UPLOAD_LIMITS = {"unit_editor": {"max_size": 100}}
    hq = unit_collection(net.units["hq"])
    response = post_image(
        client_for(net.users["hq"]), png_upload(size=(200, 200)), collection=hq.pk
    )
    assert response.status_code == 302
