"""Who a scheduled send reaches is what its manager confirmed: the audience it uses cannot be
edited (by its unit's editor, or anyone) until the send is cancelled or failed (found by the
attacker: an editor widened a manager's scheduled send from 91 to 502 people)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.sending.backends import SCRIPT, add_people, drive_to_end, scripted  # noqa: F401
from wagtail_distmark.models import Audience
from wagtail_distmark.sending import dispatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]


def edit(client, audience, **values):
    data = {"name": audience.name, "unit": audience.unit_id, "locales": "",
            "postal_prefixes": "", "communication_type": audience.communication_type_id,
            **values}  # fmt: skip
    url = reverse("distmark_audiences:edit", args=[audience.pk])
    return client.post(url, data)


def test_the_editor_cannot_widen_the_audience_of_a_scheduled_send(sending, client_for):
    people = add_people(sending, 3)
    audience = sending.audience_a
    Audience.objects.filter(pk=audience.pk).update(city="Nowhere")  # reaches nobody now
    send = dispatch.create_send(sending.campaign_a, at=timezone.now() + timedelta(hours=1))
    response = edit(client_for(sending.net.users["editor_a"]), audience, city="")
    assert response.status_code == 200
    assert "A scheduled or sent campaign uses this audience" in response.content.decode()
    assert Audience.objects.get(pk=audience.pk).city == "Nowhere"
    Audience.objects.filter(pk=send.pk).exists()
    assert people  # the three would have been added by the edit


def test_once_the_send_is_cancelled_the_audience_may_change_again(sending, client_for):
    audience = sending.audience_a
    Audience.objects.filter(pk=audience.pk).update(city="Nowhere")
    send = dispatch.create_send(sending.campaign_a, at=timezone.now() + timedelta(hours=1))
    dispatch.cancel(send)
    response = edit(client_for(sending.net.users["manager_a"]), audience, city="")
    assert response.status_code == 302
    assert Audience.objects.get(pk=audience.pk).city == ""
