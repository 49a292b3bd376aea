import pytest
from django.core import mail

from wagtail_distmark.sending import dispatch
from wagtail_distmark.sending.models import Delivery, Send

pytestmark = pytest.mark.django_db


def test_send_now_reaches_the_subscribed_contact_of_the_unit_only(sending):
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk)
    progress = dispatch.drive(send.pk, seconds=5)
    assert progress.done
    send.refresh_from_db()
    assert send.state == Send.State.DONE
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    assert Delivery.objects.get().state == Delivery.State.SENT
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    print(message.message().as_string()[:3000])
