"""Each sending rule against its queryset twin, for every user of the test network (DESIGN
invariant 1): the rule on one send and the filter over all sends must agree."""

import pytest

from tests.sending.backends import scripted  # noqa: F401 (fixtures)
from wagtail_distmark.rules.sending import manageable_sends
from wagtail_distmark.sending import dispatch
from wagtail_distmark.sending.models import Send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]


def test_view_send_and_for_user_agree_for_every_user(sending):
    send = dispatch.create_send(sending.campaign_a)
    seen = {}
    for name, user in sending.net.users.items():
        by_rule = user.has_perm("wagtail_distmark.view_send", send)
        by_query = Send.objects.for_user(user).filter(pk=send.pk).exists()
        assert by_rule == by_query, name
        seen[name] = by_rule
    assert seen["manager_a"] and seen["editor_a"] and seen["hq"]
    assert not seen["manager_c"]  # the other region: nothing


def test_change_send_and_manageable_sends_agree_for_every_user(sending):
    send = dispatch.create_send(sending.campaign_a)
    allowed = {}
    for name, user in sending.net.users.items():
        by_rule = user.has_perm("wagtail_distmark.change_send", send)
        by_query = manageable_sends(user, Send.objects.all()).filter(pk=send.pk).exists()
        assert by_rule == by_query, name
        allowed[name] = by_rule
    assert allowed["manager_a"] and allowed["hq"]
    assert not allowed["editor_a"] and not allowed["manager_c"]


def test_only_managers_and_above_may_send_the_campaign(sending):
    users = sending.net.users
    campaign = sending.campaign_a
    assert users["manager_a"].has_perm("wagtail_distmark.send_localcampaign", campaign)
    assert not users["editor_a"].has_perm("wagtail_distmark.send_localcampaign", campaign)
    assert not users["manager_c"].has_perm("wagtail_distmark.send_localcampaign", campaign)
