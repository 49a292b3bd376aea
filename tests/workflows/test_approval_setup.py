"""Issue 9: HQ sees how campaigns are approved (read-only); store users do not."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/admin/distmark/approval-setup/"


def test_hq_sees_the_steps_of_the_campaign_workflow(net, client_for, workflow):
    client = client_for(net.users["hq"])
    assert reverse("distmark_approval_setup") == URL
    html = client.get(URL).content.decode()
    assert "Local campaign approval" in html
    assert "Store manager approval" in html and "Regional approval" in html
    assert "The unit&#x27;s own manager" in html and "The nearest regional manager" in html
    assert "Only when the campaign&#x27;s template asks for it" in html
    assert "48 hours, then one level up" in html
    # read-only: HQ may not edit workflows, so no link to Wagtail's editor
    assert reverse("wagtailadmin_workflows:edit", args=[workflow.pk]) not in html
    assert client.get(reverse("wagtailadmin_workflows:index")).status_code in (302, 403)
    assert "Campaign approval" in client.get("/admin/").content.decode()  # in the menu


@pytest.mark.parametrize("username", ["regional_north", "manager_a", "editor_a", "manager_c"])
def test_other_roles_get_403_and_no_menu_item(net, client_for, workflow, username):
    client = client_for(net.users[username])
    response = client.get(URL)
    assert response.status_code == 403
    assert "Only head office sees how campaigns are approved." in response.content.decode()
    assert "Store manager approval" not in response.content.decode()
    assert URL not in client.get("/admin/").content.decode()


def test_a_superuser_gets_a_link_to_wagtails_editor(net, client, django_user_model, workflow):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)
    html = client.get(URL).content.decode()
    assert reverse("wagtailadmin_workflows:edit", args=[workflow.pk]) in html
