"""Issue 9, break 4: a grant never hands out more than the granter holds, and the add-member
form tells nothing about accounts outside the granter's reach.

Every refusal has its twin that succeeds, and each asserts on the status, the page and the
Membership rows.
"""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from wagtail_distmark.models import Membership

pytestmark = pytest.mark.django_db

PREFIX = "distmark_network_modeladmin_"


def url(action, *args):
    return reverse(PREFIX + action, args=args)


def error_of(response) -> list[str]:
    """The field error messages shown on the page."""
    html = response.content.decode()
    return [m.strip() for m in re.findall(r'<p class="error-message">(.*?)</p>', html, re.S)]


def test_regional_manager_cannot_make_a_unit_manager_of_their_own_region(net, client_for):
    client = client_for(net.users["regional_north"])
    target = url("add_member", net.units["north"].pk)
    page = client.get(target).content.decode()
    assert 'value="unit_editor"' in page
    assert 'value="unit_manager"' not in page
    response = client.post(target, {"role": "unit_manager", "existing_user": "outsider"})
    assert response.status_code == 200
    assert "You may not make anyone Unit manager of North" in response.content.decode()
    assert not Membership.objects.filter(user=net.users["outsider"]).exists()


def test_regional_manager_makes_a_unit_manager_of_a_store(net, client_for):
    response = client_for(net.users["regional_north"]).post(
        url("add_member", net.units["b"].pk), {"role": "unit_manager", "existing_user": "outsider"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=net.users["outsider"])
    assert (membership.unit, membership.role) == (net.units["b"], "unit_manager")


def test_the_delegate_chain_cannot_reach_the_regions_sender(net, client_for):
    """The attack as reported: no unit manager on the region, so no one changes its sender."""
    client_for(net.users["regional_north"]).post(
        url("add_member", net.units["north"].pk),
        {"role": "unit_manager", "existing_user": "outsider"},
    )
    north = net.units["north"]
    response = client_for(net.users["outsider"]).post(
        url("edit", north.pk), {"sender_email": "ceo@example.com"}
    )
    assert response.status_code in (302, 403)
    north.refresh_from_db()
    assert north.sender_email != "ceo@example.com"


def test_regional_manager_cannot_remove_the_unit_manager_of_their_region(net, client_for):
    hq_made = Membership.objects.create(
        user=net.users["outsider"], unit=net.units["north"], role="unit_manager"
    )
    client = client_for(net.users["regional_north"])
    response = client.post(url("remove_member", net.units["north"].pk, hq_made.pk))
    assert response.status_code == 403
    assert Membership.objects.filter(pk=hq_made.pk).exists()
    # twin: the unit manager of a store of the region
    store = Membership.objects.get(user=net.users["manager_a"])
    assert client.post(url("remove_member", net.units["a"].pk, store.pk)).status_code == 302
    assert not Membership.objects.filter(pk=store.pk).exists()


def test_hq_appoints_a_unit_manager_of_a_region(net, client_for):
    response = client_for(net.users["hq"]).post(
        url("add_member", net.units["north"].pk),
        {"role": "unit_manager", "existing_user": "outsider"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=net.users["outsider"], unit=net.units["north"]).exists()


@pytest.mark.parametrize("identifier", ["manager_c", "manager_c@example.com"])
def test_an_account_elsewhere_reads_exactly_like_no_account(net, client_for, identifier):
    client = client_for(net.users["manager_a"])
    target = url("add_member", net.units["a"].pk)
    elsewhere = client.post(target, {"role": "unit_editor", "existing_user": identifier})
    nobody = client.post(target, {"role": "unit_editor", "existing_user": "no-such-person"})
    assert elsewhere.status_code == nobody.status_code == 200
    assert error_of(elsewhere) and error_of(elsewhere) == error_of(nobody)
    assert "Store C" not in elsewhere.content.decode()
    assert Membership.objects.filter(user=net.users["manager_c"]).count() == 1


def test_an_account_within_the_granters_scope_may_be_attached(net, client_for):
    """Twin: manager_a's editor is attachable by the regional manager of both stores."""
    response = client_for(net.users["regional_north"]).post(
        url("add_member", net.units["b"].pk), {"role": "unit_editor", "existing_user": "editor_a"}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=net.users["editor_a"], unit=net.units["b"]).exists()


def test_an_account_partly_outside_the_scope_is_not_attachable(net, client_for):
    """Editor of Store A and of Store C: the regional manager of North may not attach it."""
    Membership.objects.create(user=net.users["outsider"], unit=net.units["c"], role="unit_editor")
    client = client_for(net.users["regional_north"])
    response = client.post(
        url("add_member", net.units["b"].pk), {"role": "unit_editor", "existing_user": "outsider"}
    )
    assert response.status_code == 200
    assert "No user you may add here has this" in response.content.decode()
    assert not Membership.objects.filter(user=net.users["outsider"], unit=net.units["b"]).exists()


@pytest.mark.parametrize("kind", ["is_superuser", "is_staff", "group"])
def test_site_wide_accounts_are_attached_by_hq_only(net, client_for, kind):
    from django.contrib.auth.models import Group

    account = UserFactory(username="siteadmin")
    if kind == "group":
        account.groups.add(Group.objects.get_or_create(name="Editors")[0])
    else:
        setattr(account, kind, True)
        account.save()
    data = {"role": "unit_editor", "existing_user": "siteadmin"}
    refused = client_for(net.users["manager_a"]).post(url("add_member", net.units["a"].pk), data)
    assert refused.status_code == 200
    assert "No user you may add here has this" in refused.content.decode()
    assert not Membership.objects.filter(user=account).exists()
    allowed = client_for(net.users["hq"]).post(url("add_member", net.units["a"].pk), data)
    assert allowed.status_code == 302
    assert Membership.objects.filter(user=account, unit=net.units["a"]).exists()


def test_a_crafted_role_is_a_form_error_not_a_500(net, client_for):
    response = client_for(net.users["hq"]).post(
        url("add_member", net.units["a"].pk), {"role": "owner", "existing_user": "outsider"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(user=net.users["outsider"]).exists()
