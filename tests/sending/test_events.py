"""Provider events through anymail's ``tracking`` signal (as its webhook views send them):
deliveries, the suppression list and consent follow, never twice, never for someone else."""

import base64
import json

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from tests.factories import add_unit
from wagtail_distmark.contacts.consent import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    current_status,
    set_consent,
)
from wagtail_distmark.contacts.models import CommunicationType, Contact, Source, Suppression
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.models import Audience
from wagtail_distmark.sending import dispatch, engine
from wagtail_distmark.sending.models import Delivery, DeliveryEvent, Send

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def event(event_type, delivery=None, recipient=None, **fields) -> AnymailTrackingEvent:
    metadata = {"distmark_delivery": str(delivery.pk)} if delivery is not None else {}
    if recipient is None and delivery is not None:
        recipient = delivery.contact.email
    fields.setdefault("timestamp", timezone.now())
    return AnymailTrackingEvent(
        event_type=event_type, recipient=recipient, metadata=metadata, **fields
    )


def emit(tracking_event):
    """What anymail's webhook view does with a parsed event."""
    return tracking.send(sender=object, event=tracking_event, esp_name="Test")


def sent_send(sending) -> Send:
    """Store A's campaign sent to Ann and Bo (SMTP path: locmem backend)."""
    sending.add_contact("a", "bo@example.org", "Bo")
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk)
    assert dispatch.drive(send.pk, seconds=5).done
    return send


def delivery_to(send, email) -> Delivery:
    return Delivery.objects.select_related("contact").get(send=send, contact__email=email)


def kinds(delivery) -> list[str]:
    return list(delivery.events.values_list("kind", flat=True))


def test_the_receiver_is_connected():
    receivers = [str(key) for key, _receiver, _is_async in tracking.receivers]
    assert any("distmark_provider_events" in key for key in receivers)


def test_a_hard_bounce_fails_the_delivery_and_a_later_send_skips_the_address(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    emit(event("bounced", ann, event_id="ev1", mta_response="550 5.1.1 no such user"))
    ann.refresh_from_db()
    assert (ann.state, ann.reason) == (Delivery.State.FAILED, Delivery.Reason.HARD_BOUNCE)
    assert "550" in ann.last_error
    suppressed = Suppression.objects.get(email_hash=email_hash("ann@example.org"))
    assert suppressed.reason == Suppression.Reason.HARD_BOUNCE
    assert kinds(ann) == [DeliveryEvent.Kind.BOUNCE]
    # The same webhook again changes nothing.
    emit(event("bounced", ann, event_id="ev1"))
    assert kinds(ann) == [DeliveryEvent.Kind.BOUNCE]
    # A later send skips Ann (suppressed), reaches Bo.
    mail.outbox.clear()
    again = later_send(send)
    engine.send_batch(again)
    assert [message.to for message in mail.outbox] == [["bo@example.org"]]
    assert not again.deliveries.filter(contact=ann.contact, state=Delivery.State.SENT).exists()


def later_send(send) -> Send:
    """Another send of the same message to the same audience (the first one closed)."""
    Send.objects.filter(pk=send.pk).update(state=Send.State.CANCELLED)
    send.refresh_from_db()
    again = Send.objects.create(
        campaign=send.campaign, unit=send.unit, audience=send.audience,
        communication_type=send.communication_type, state=Send.State.PREPARING,
        message=send.message, links=send.links, started_at=timezone.now(),
    )  # fmt: skip
    dispatch.fan_out(again)
    return again


@pytest.mark.parametrize(
    "fields",
    [
        {"mta_response": "452 4.2.2 Mailbox full"},
        {"mta_response": "smtp;421 try again later"},
        {"reject_reason": "other", "description": "virus found"},
        {"esp_event": {"Type": "SoftBounce"}},  # Postmark's, reported as bounced by anymail
    ],
)
def test_a_soft_bounce_fails_the_delivery_without_suppressing(sending, fields):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    emit(event("bounced", ann, **fields))
    ann.refresh_from_db()
    assert (ann.state, ann.reason) == (Delivery.State.FAILED, Delivery.Reason.REJECTED)
    assert kinds(ann) == [DeliveryEvent.Kind.BOUNCE]
    assert not Suppression.objects.exists()


def test_a_postmark_hard_bounce_webhook_through_anymail(sending, settings):
    """The whole path: Postmark's JSON → anymail's webhook view → our receiver."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:secret"}
    send = sent_send(sending)
    bo = delivery_to(send, "bo@example.org")
    payload = {
        "RecordType": "Bounce", "Type": "HardBounce", "ID": 4323372036854775807,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "Email": "bo@example.org",
        "BouncedAt": "2026-11-30T10:00:00Z", "Details": "smtp;550 5.1.1 The email account "
        "that you tried to reach does not exist", "Description": "Hard bounce",
        "Metadata": {"distmark_delivery": str(bo.pk), "distmark_send": str(send.pk)},
    }  # fmt: skip
    view = PostmarkTrackingWebhookView.as_view()
    factory = RequestFactory()
    for _twice in range(2):  # a webhook may be delivered twice
        request = factory.post(
            "/anymail/postmark/tracking/", data=json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"user:secret").decode(),
        )  # fmt: skip
        assert view(request).status_code == 200
    bo.refresh_from_db()
    assert (bo.state, bo.reason) == (Delivery.State.FAILED, Delivery.Reason.HARD_BOUNCE)
    assert kinds(bo) == [DeliveryEvent.Kind.BOUNCE]
    assert Suppression.objects.get().email_hash == email_hash("bo@example.org")
    # Another recipient's address with Bo's delivery id: refused, still 200.
    payload.update(Email="ann@example.org", ID=1, Metadata={"distmark_delivery": str(bo.pk)})
    request = factory.post(
        "/anymail/postmark/tracking/", data=json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"user:secret").decode(),
    )  # fmt: skip
    assert view(request).status_code == 200
    assert Suppression.objects.count() == 1


def test_a_complaint_unsubscribes_everywhere_and_suppresses(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    assert current_status(ann.contact, sending.newsletter) == SUBSCRIBED
    emit(event("complained", ann))
    emit(event("complained", ann))  # reported twice: recorded once
    ann.refresh_from_db()
    assert ann.state == Delivery.State.SENT  # it arrived; the person said stop
    assert kinds(ann) == [DeliveryEvent.Kind.COMPLAINT]
    assert current_status(ann.contact, sending.newsletter) == UNSUBSCRIBED
    suppressed = Suppression.objects.get(email_hash=email_hash("ann@example.org"))
    assert suppressed.reason == Suppression.Reason.COMPLAINT


def test_delivered_reconciles_an_unknown_row_to_sent(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    Delivery.objects.filter(pk=ann.pk).update(
        state=Delivery.State.UNKNOWN, reason=Delivery.Reason.WORKER_LOST, message_id=""
    )
    emit(event("delivered", ann, message_id="esp-123"))
    ann.refresh_from_db()
    assert (ann.state, ann.reason, ann.message_id) == (Delivery.State.SENT, "", "esp-123")
    assert sorted(kinds(ann)) == [DeliveryEvent.Kind.DELIVERED, DeliveryEvent.Kind.RECONCILED]
    emit(event("delivered", ann, message_id="esp-123"))
    assert len(kinds(ann)) == 2


def test_an_event_found_by_message_id_alone(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    Delivery.objects.filter(pk=ann.pk).update(state=Delivery.State.UNKNOWN, message_id="esp-9")
    emit(event("queued", recipient="ann@example.org", message_id="esp-9"))
    ann.refresh_from_db()
    assert ann.state == Delivery.State.SENT
    assert kinds(ann) == [DeliveryEvent.Kind.RECONCILED]


def test_a_batch_message_id_shared_by_recipients_picks_the_recipients_row(sending):
    """Mailgun gives one id to a whole batch: the recipient says which row."""
    send = sent_send(sending)
    ann, bo = delivery_to(send, "ann@example.org"), delivery_to(send, "bo@example.org")
    Delivery.objects.filter(send=send).update(message_id="<batch-1@mg.example>")
    emit(event("delivered", recipient="", message_id="batch-1@mg.example"))  # which one?
    emit(event("delivered", recipient="BO@example.org", message_id="batch-1@mg.example"))
    assert kinds(ann) == []
    assert kinds(bo) == [DeliveryEvent.Kind.DELIVERED]


def test_metadata_naming_a_delivery_for_another_recipient_does_nothing(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    for kind in ("bounced", "complained", "unsubscribed", "delivered"):
        emit(event(kind, ann, recipient="mallory@example.net"))
        emit(event(kind, ann, recipient=""))  # no recipient: cannot be checked
    ann.refresh_from_db()
    assert ann.state == Delivery.State.SENT
    assert kinds(ann) == []
    assert not Suppression.objects.exists()
    assert current_status(ann.contact, sending.newsletter) == SUBSCRIBED


def test_unknown_message_ids_bad_metadata_and_unknown_events_are_ignored(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    emit(event("bounced", recipient="ann@example.org", message_id="nobody-knows-this"))
    emit(AnymailTrackingEvent(event_type="bounced", recipient="ann@example.org",
                              metadata={"distmark_delivery": "1 OR 1=1" * 100}))  # fmt: skip
    emit(AnymailTrackingEvent(event_type="bounced", metadata="not a dict", message_id=None))
    emit(event("autoresponded", ann))
    emit(event("unknown", ann))
    assert not DeliveryEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_unsubscribed_at_the_esp_unsubscribes_from_the_sends_type(sending):
    send = sent_send(sending)
    bo = delivery_to(send, "bo@example.org")
    emit(event("unsubscribed", bo))
    assert current_status(bo.contact, sending.newsletter) == UNSUBSCRIBED
    assert not Suppression.objects.exists()  # one type, not everything
    assert kinds(bo) == [DeliveryEvent.Kind.UNSUBSCRIBE]


def test_unsubscribed_at_the_esp_of_a_per_unit_type_stops_the_units_below_too(sending):
    """Like our own link: the send's unit and every unit below it where Ann subscribed (a
    later send of Store A reaches them all); another store's consent stays."""
    offers = CommunicationType.objects.create(
        name="Store offers", slug="store-offers", scope=CommunicationType.Scope.UNIT
    )
    units = sending.net.units
    kiosk = add_unit(units["a"], "Store A kiosk", "C-AK", "unit")
    ann = sending.people["a1"]
    for unit in (units["a"], kiosk, units["b"]):
        set_consent(ann, offers, SUBSCRIBED, source=Source.ADMIN, unit=unit, evidence="t")
    Audience.objects.filter(pk=sending.audience_a.pk).update(communication_type=offers)
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk) and dispatch.drive(send.pk, seconds=10).done
    emit(event("unsubscribed", delivery_to(send, "ann@example.org")))
    assert current_status(ann, offers, units["a"]) == UNSUBSCRIBED
    assert current_status(ann, offers, kiosk) == UNSUBSCRIBED
    assert current_status(ann, offers, units["b"]) == SUBSCRIBED  # not below Store A
    assert current_status(ann, sending.newsletter) == SUBSCRIBED  # another type
    assert not Suppression.objects.exists()


def test_opens_and_clicks_are_recorded_once_per_esp_event(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    emit(event("opened", ann, event_id="o1", user_agent="Mozilla/5.0"))  # Apple's proxy
    emit(event("opened", ann, event_id="o1", user_agent="Mozilla/5.0"))
    emit(event("opened", ann, event_id="o2", user_agent=BROWSER))
    emit(event("opened", ann, event_id="o3"))  # the ESP gave no user agent
    emit(event("clicked", ann, event_id="c1", click_url="https://example.com/offer"))
    opens = ann.events.filter(kind=DeliveryEvent.Kind.OPEN).order_by("pk")
    assert [(e.user_agent, e.is_machine) for e in opens] == [
        ("Mozilla/5.0", True), (BROWSER, False), ("", False)
    ]  # fmt: skip
    assert opens.first().machine_reason == "apple_mpp"
    click = ann.events.get(kind=DeliveryEvent.Kind.CLICK)
    assert "https://example.com/offer" in click.detail
    emit(event("deferred", ann, event_id="d1"))
    emit(event("deferred", ann, event_id="d1"))
    assert ann.events.filter(kind=DeliveryEvent.Kind.DEFERRED).count() == 1
    ann.refresh_from_db()
    assert ann.state == Delivery.State.SENT


def test_events_of_an_erased_contact_are_ignored(sending):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    Delivery.objects.filter(pk=ann.pk).update(message_id="esp-e")
    Contact.objects.filter(pk=ann.contact_id).update(email=None, erased_at=timezone.now())
    emit(event("opened", recipient="", message_id="esp-e"))
    emit(event("bounced", ann, recipient="ann@example.org"))
    assert kinds(ann) == []


def test_rejected_by_the_esp_for_an_earlier_bounce_fails_and_suppresses(sending):
    send = sent_send(sending)
    bo = delivery_to(send, "bo@example.org")
    emit(event("rejected", bo, reject_reason="bounced"))
    bo.refresh_from_db()
    assert (bo.state, bo.reason) == (Delivery.State.FAILED, Delivery.Reason.REJECTED)
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE


def test_a_delivered_event_for_a_row_awaiting_a_retry_stops_the_retry(sending):
    """The ESP answered 503 but had sent it: the row was pending for a retry. Its delivery
    proves it left: sent, so the retry never sends it twice."""
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")
    Delivery.objects.filter(pk=ann.pk).update(state=Delivery.State.PENDING, message_id="")
    Send.objects.filter(pk=send.pk).update(state=Send.State.SENDING)
    emit(event("delivered", ann, message_id="m-1"))
    mail.outbox.clear()
    engine.send_batch(send)
    assert mail.outbox == []
    ann.refresh_from_db()
    assert ann.state == Delivery.State.SENT


def test_a_failing_receiver_never_raises_into_the_webhook(sending, monkeypatch):
    send = sent_send(sending)
    ann = delivery_to(send, "ann@example.org")

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("wagtail_distmark.sending.events.suppress", broken)
    emit(event("bounced", ann))  # no exception
    ann.refresh_from_db()
    assert ann.state == Delivery.State.SENT  # rolled back whole
    assert kinds(ann) == []
