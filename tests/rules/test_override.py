"""A site overrides a rule with ``rules.set_perm``, and the Network admin follows it."""

import pytest
import rules
from django.urls import reverse

from wagtail_distmark.rules import org as p
from wagtail_distmark.rules.permissions import PERMISSIONS

pytestmark = pytest.mark.django_db
CHANGE = "wagtail_distmark.change_orgunit"


@pytest.fixture
def regionals_edit_their_region():
    rules.set_perm(CHANGE, p.can_change_orgunit | p.is_regional_manager_of)
    yield
    rules.set_perm(CHANGE, PERMISSIONS[CHANGE])


def edit_url(unit):
    return reverse("distmark_network_modeladmin_edit", args=[unit.pk])


def test_without_override_the_region_itself_is_refused(net, client_for):
    client = client_for(net.users["regional_north"])
    assert client.get(edit_url(net.units["north"])).status_code == 403


def test_overridden_rule_opens_the_local_fields_of_the_region(
    net, client_for, regionals_edit_their_region
):
    client = client_for(net.users["regional_north"])
    response = client.get(edit_url(net.units["north"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="phone"' in html and 'name="code"' not in html
    # The other region stays out of reach.
    assert client.get(edit_url(net.units["south"])).status_code == 404


def test_existing_rule_is_kept_when_the_app_registers_its_rules():
    from wagtail_distmark.rules.permissions import register_rules

    custom = rules.always_deny
    rules.set_perm(CHANGE, custom)
    try:
        register_rules()
        assert rules.permissions.permissions[CHANGE] is custom
    finally:
        rules.set_perm(CHANGE, PERMISSIONS[CHANGE])
