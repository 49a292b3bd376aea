"""Wagtail's link choosers (external, e-mail, phone, anchor): a POST missing its fields gets the
form back with an error on the field, never a 500 (Wagtail 8.0's external-link field crashed on
a missing value: ``wagtail_distmark/compat.py``); a valid POST still chooses the link."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

#: chooser URL name -> (form prefix, the field that is required, a valid value, the chosen url)
CHOOSERS = {
    "wagtailadmin_choose_page_external_link": (
        "external-link-chooser", "url", "https://example.com/autumn", "https://example.com/autumn"
    ),
    "wagtailadmin_choose_page_email_link": (
        "email-link-chooser", "email_address", "shop@example.com", "mailto:shop@example.com"
    ),
    "wagtailadmin_choose_page_phone_link": (
        "phone-link-chooser", "phone_number", "+33 1 23 45 67 89", "tel:+33123456789"
    ),
    "wagtailadmin_choose_page_anchor_link": ("anchor-link-chooser", "url", "offers", "#offers"),
}  # fmt: skip


@pytest.mark.parametrize("name", CHOOSERS)
@pytest.mark.parametrize("user", ["editor_a", "manager_a", "regional_north", "hq"])
@pytest.mark.parametrize("data", [{}, {"unrelated": "x"}], ids=["empty", "other-field"])
def test_a_post_without_the_link_field_is_a_form_error(net, client_for, name, user, data):
    prefix, field = CHOOSERS[name][:2]
    response = client_for(net.users[user]).post(reverse(name), data)
    assert response.status_code == 200
    assert response.json()["step"] != "external_link_chosen"
    assert response.context["form"].errors[field]


@pytest.mark.parametrize("name", CHOOSERS)
def test_a_valid_post_chooses_the_link(net, client_for, name):
    prefix, field, value, url = CHOOSERS[name]
    response = client_for(net.users["editor_a"]).post(reverse(name), {f"{prefix}-{field}": value})
    assert response.status_code == 200
    data = response.json()
    assert data["step"] == "external_link_chosen"
    assert data["result"]["url"] == url


def test_an_invalid_external_url_is_a_form_error(net, client_for):
    response = client_for(net.users["editor_a"]).post(
        reverse("wagtailadmin_choose_page_external_link"), {"external-link-chooser-url": "nope"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
