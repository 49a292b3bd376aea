"""The sending screens as their users see them: the campaign's "Send" screen, a send's page,
its actions and progress endpoint, the list of sends and the contact's deliveries.

Scope twins (another unit's users on every URL) are in ``test_admin_scope.py``.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from wagtail_distmark.contacts.models import ContactFieldPolicy
from wagtail_distmark.sending import dispatch
from wagtail_distmark.sending.models import Delivery, DeliveryEvent, Send

pytestmark = pytest.mark.django_db


def client_as(net, username) -> Client:
    client = Client()
    client.force_login(net.users[username])
    return client


def send_url(campaign) -> str:
    return reverse("wagtail_distmark:campaign_send", args=[campaign.pk])


def page_url(send, name="send_detail") -> str:
    return reverse(f"wagtail_distmark:{name}", args=[send.pk])


def edit_url(campaign) -> str:
    return reverse("wagtailsnippets_wagtail_distmark_localcampaign:edit", args=[campaign.pk])


def future(hours=2) -> str:
    return timezone.localtime(timezone.now() + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def make_send(sending, state=Send.State.SENDING, **rows) -> Send:
    """A send of Store A's campaign with delivery rows: ``rows`` is state -> contacts."""
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    Send.objects.filter(pk=send.pk).update(state=state, started_at=timezone.now())
    for delivery_state, contacts in rows.items():
        for contact in contacts:
            Delivery.objects.create(send=send, contact=contact, state=delivery_state)
    send.refresh_from_db()
    return send


# --- the campaign's "Send" screen ------------------------------------------------------------


def test_manager_sees_the_send_screen_with_the_count_and_both_buttons(sending):
    response = client_as(sending.net, "manager_a").get(send_url(sending.campaign_a))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Store A newsletter" in text
    assert "reaches 1 contact today" in text
    assert 'value="now"' in text and 'value="schedule"' in text
    assert "data-send-refusal" not in text


def test_editor_may_not_open_or_post_the_send_screen(sending):
    client = client_as(sending.net, "editor_a")
    assert client.get(send_url(sending.campaign_a)).status_code == 403
    assert client.post(send_url(sending.campaign_a), {"action": "now"}).status_code == 403
    assert not Send.objects.exists()


def test_editor_does_not_see_the_send_item_in_the_editor_and_manager_does(sending):
    campaign = sending.campaign_a
    editor = client_as(sending.net, "editor_a").get(edit_url(campaign))
    manager = client_as(sending.net, "manager_a").get(edit_url(campaign))
    assert editor.status_code == manager.status_code == 200
    assert send_url(campaign) not in editor.content.decode()
    assert send_url(campaign) in manager.content.decode()


def test_send_now_creates_the_send_and_goes_to_its_page(
    sending, eager_celery, django_capture_on_commit_callbacks
):
    client = client_as(sending.net, "manager_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(sending.campaign_a), {"action": "now"})
    send = Send.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page_url(send)
    page = client.get(response["Location"])
    assert "is being sent" in page.content.decode()
    send.refresh_from_db()
    assert send.state == Send.State.DONE  # eager Celery ran it
    assert send.deliveries.get().state == Delivery.State.SENT


def test_send_now_ignores_whatever_the_time_field_holds(sending):
    response = client_as(sending.net, "manager_a").post(
        send_url(sending.campaign_a), {"action": "now", "scheduled_at": "nonsense\x00"}
    )
    assert response.status_code == 302
    assert Send.objects.get().state == Send.State.SCHEDULED  # on-commit start not run here


def test_schedule_in_the_future_creates_a_scheduled_send(sending):
    client = client_as(sending.net, "manager_a")
    response = client.post(
        send_url(sending.campaign_a), {"action": "schedule", "scheduled_at": future()}
    )
    send = Send.objects.get()
    assert response.status_code == 302
    assert send.state == Send.State.SCHEDULED
    assert send.scheduled_at > timezone.now() + timedelta(hours=1)
    assert "is scheduled for" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "value",
    ["2001-01-01 10:00", "", "not a date", "2026-13-45 99:99", "x" * 100_000, "2030-01-01\x00",
     "9999-12-31 23:59:59" * 3, "9999-12-31 23:59", "0001-01-01 00:30", "2030-02-30 10:00"],
)  # fmt: skip
def test_schedule_refuses_a_bad_or_past_date_on_the_field(sending, value):
    response = client_as(sending.net, "manager_a").post(
        send_url(sending.campaign_a), {"action": "schedule", "scheduled_at": value}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "scheduled_at" in errors
    assert 'class="w-field__errors"' in response.content.decode()
    assert not Send.objects.exists()


def test_past_date_says_choose_a_time_in_the_future(sending):
    response = client_as(sending.net, "manager_a").post(
        send_url(sending.campaign_a), {"action": "schedule", "scheduled_at": "2001-01-01 10:00"}
    )
    assert "Choose a time in the future." in response.content.decode()


@pytest.mark.parametrize("action", ["", "later", "now\x00", "n" * 100_000])
def test_crafted_action_is_a_form_error(sending, action):
    response = client_as(sending.net, "manager_a").post(
        send_url(sending.campaign_a), {"action": action}
    )
    assert response.status_code == 200
    assert not Send.objects.exists()


def test_refused_campaign_shows_the_reason_and_no_button(sending):
    campaign = sending.campaign_a
    campaign.save_revision(user=sending.net.users["editor_a"])  # changed since approval
    response = client_as(sending.net, "manager_a").get(send_url(campaign))
    text = response.content.decode()
    assert response.status_code == 200
    assert "It was changed after its approval" in text
    assert 'value="now"' not in text and 'value="schedule"' not in text


def test_refused_campaign_post_anyway_gets_the_reason_as_an_error(sending):
    campaign = sending.campaign_a
    campaign.save_revision(user=sending.net.users["editor_a"])
    response = client_as(sending.net, "manager_a").post(send_url(campaign), {"action": "now"})
    assert response.status_code == 200
    assert "It was changed after its approval" in str(response.context["form"].non_field_errors())
    assert not Send.objects.exists()


def test_a_live_send_refuses_a_second_one_and_links_to_it(sending):
    send = make_send(sending)
    client = client_as(sending.net, "manager_a")
    page = client.get(send_url(sending.campaign_a)).content.decode()
    assert "already scheduled or being sent" in page
    assert page_url(send) in page
    response = client.post(send_url(sending.campaign_a), {"action": "now"})
    assert response.status_code == 200
    assert Send.objects.count() == 1


# --- the send's page ---------------------------------------------------------------------


def test_manager_sees_counts_progress_and_buttons(sending):
    people = sending.people
    send = make_send(sending, sent=[people["a1"]], unknown=[people["a2"]], pending=[people["b1"]])
    response = client_as(sending.net, "manager_a").get(page_url(send))
    text = response.content.decode()
    assert response.status_code == 200
    assert response.context["progress"]["counts"]["sent"] == 1
    assert response.context["progress"]["percent"] == 66
    assert 'data-send-count="unknown">1<' in text
    assert 'aria-live="polite"' in text
    assert page_url(send, "send_pause") in text
    assert page_url(send, "send_cancel") in text
    assert page_url(send, "send_resend_unknown") in text
    assert "send_progress.js" in text


def test_editor_sees_the_page_without_buttons(sending):
    send = make_send(sending, unknown=[sending.people["a1"]])
    response = client_as(sending.net, "editor_a").get(page_url(send))
    text = response.content.decode()
    assert response.status_code == 200
    assert "data-send-count" in text
    for name in ("send_pause", "send_resume", "send_cancel", "send_resend_unknown"):
        assert page_url(send, name) not in text


def test_problems_table_names_contacts_by_visible_fields_and_shows_the_error(sending):
    ann = sending.people["a1"]
    send = make_send(sending)
    Delivery.objects.create(
        send=send, contact=ann, state=Delivery.State.FAILED,
        reason=Delivery.Reason.REJECTED, last_error="550 mailbox unavailable",
    )  # fmt: skip
    text = client_as(sending.net, "manager_a").get(page_url(send)).content.decode()
    assert "ann@example.org" in text
    assert "550 mailbox unavailable" in text
    assert "Rejected by the mail server" in text


SMTP_REFUSAL = (
    "{'ann@example.org': (550, b'5.1.1 <ann@example.org>: Recipient address rejected: "
    "User unknown in virtual mailbox table')}"
)


def failed_send_to_ann(sending) -> Send:
    send = make_send(sending)
    Delivery.objects.create(
        send=send, contact=sending.people["a1"], state=Delivery.State.FAILED,
        reason=Delivery.Reason.HARD_BOUNCE, last_error=SMTP_REFUSAL,
    )  # fmt: skip
    return send


def test_manager_who_sees_addresses_sees_the_whole_smtp_error(sending):
    send = failed_send_to_ann(sending)
    text = client_as(sending.net, "manager_a").get(page_url(send)).content.decode()
    assert "Recipient address rejected" in text
    assert "ann@example.org" in text


def test_editor_who_may_not_see_addresses_sees_only_the_codes_of_the_error(sending):
    ContactFieldPolicy.objects.create(role="unit_editor", fields=["first_name", "last_name"])
    send = failed_send_to_ann(sending)
    response = client_as(sending.net, "editor_a").get(page_url(send))
    text = response.content.decode()
    assert response.status_code == 200
    assert "ann@example.org" not in text
    assert "Recipient address rejected" not in text
    assert "550 5.1.1" in text  # what went wrong, without whom
    assert str(Delivery.Reason(Delivery.Reason.HARD_BOUNCE).label) in text
    progress = client_as(sending.net, "editor_a").get(page_url(send, "send_progress"))
    assert "ann@example.org" not in progress.content.decode()


def test_problems_table_is_paginated_by_50(sending):
    send = make_send(sending)
    for index in range(51):
        contact = sending.add_contact("a", f"p{index}@example.org")
        Delivery.objects.create(send=send, contact=contact, state=Delivery.State.SKIPPED)
    client = client_as(sending.net, "manager_a")
    first = client.get(page_url(send))
    second = client.get(page_url(send) + "?p=2")
    assert len(first.context["problems"]) == 50
    assert len(second.context["problems"]) == 1
    for crafted in ("%C2%B2", "99999999999999999999", "-1", "%00"):
        assert client.get(page_url(send) + f"?p={crafted}").status_code == 200


def test_events_are_counted_people_apart_from_machines(sending):
    send = make_send(sending, sent=[sending.people["a1"]])
    delivery = send.deliveries.get()
    DeliveryEvent.objects.create(delivery=delivery, kind="open")
    DeliveryEvent.objects.create(delivery=delivery, kind="open", is_machine=True)
    DeliveryEvent.objects.create(delivery=delivery, kind="open", is_machine=True)
    response = client_as(sending.net, "manager_a").get(page_url(send))
    events = response.context["events"]
    assert (events["opens"], events["opens_machine"]) == (1, 2)


def test_progress_endpoint_answers_json(sending):
    send = make_send(sending, sent=[sending.people["a1"]], pending=[sending.people["a2"]])
    Delivery.objects.filter(send=send, state="sent").update(sent_at=timezone.now())
    data = client_as(sending.net, "editor_a").get(page_url(send, "send_progress")).json()
    assert data["state"] == "sending"
    assert data["final"] is False
    assert (data["done"], data["total"], data["percent"]) == (1, 2, 50)
    assert data["rate"] == 1
    assert data["minutes_left"] == 1
    assert data["preparing"] is True  # its fan-out never ran: the total may still grow
    Send.objects.filter(pk=send.pk).update(prepared=True)
    assert (
        client_as(sending.net, "editor_a").get(page_url(send, "send_progress")).json()["preparing"]
        is False
    )


# --- actions -------------------------------------------------------------------------------


def test_pause_and_resume_change_the_state(sending, django_capture_on_commit_callbacks):
    send = make_send(sending)
    client = client_as(sending.net, "manager_a")
    assert client.post(page_url(send, "send_pause")).status_code == 302
    send.refresh_from_db()
    assert send.state == Send.State.PAUSED
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page_url(send, "send_resume")).status_code == 302
    send.refresh_from_db()
    assert send.state in (Send.State.SENDING, Send.State.DONE)  # eager: it ran on


def test_cancel_asks_first_then_cancels(sending):
    people = sending.people
    send = make_send(sending, pending=[people["a1"]])
    client = client_as(sending.net, "manager_a")
    confirm = client.get(page_url(send, "send_cancel"))
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    send.refresh_from_db()
    assert send.state == Send.State.SENDING
    assert client.post(page_url(send, "send_cancel")).status_code == 302
    send.refresh_from_db()
    assert send.state == Send.State.CANCELLED
    assert send.deliveries.get().state == Delivery.State.SKIPPED


def test_an_action_that_does_not_apply_is_a_message_not_a_500(sending):
    send = make_send(sending, state=Send.State.DONE)
    client = client_as(sending.net, "manager_a")
    for name in ("send_pause", "send_resume", "send_cancel"):
        response = client.post(page_url(send, name), follow=True)
        assert response.status_code == 200
    send.refresh_from_db()
    assert send.state == Send.State.DONE


def test_editor_may_not_act_on_a_send(sending):
    send = make_send(sending, unknown=[sending.people["a1"]])
    client = client_as(sending.net, "editor_a")
    for name in ("send_pause", "send_resume", "send_cancel", "send_resend_unknown"):
        assert client.post(page_url(send, name)).status_code == 403
    assert client.get(page_url(send, "send_cancel")).status_code == 403
    send.refresh_from_db()
    assert send.state == Send.State.SENDING
    assert send.deliveries.get().state == Delivery.State.UNKNOWN


def test_manager_may_act_where_the_editor_may_not(sending):
    send = make_send(sending)
    assert client_as(sending.net, "manager_a").post(page_url(send, "send_pause")).status_code == 302
    send.refresh_from_db()
    assert send.state == Send.State.PAUSED


def test_resend_unknown_warns_then_puts_only_unknown_rows_back(sending):
    people = sending.people
    send = make_send(
        sending, state=Send.State.PAUSED,
        unknown=[people["a1"]], sent=[people["a2"]], failed=[people["b1"]],
    )  # fmt: skip
    client = client_as(sending.net, "manager_a")
    warning = client.get(page_url(send, "send_resend_unknown")).content.decode()
    assert "twice" in warning
    assert client.post(page_url(send, "send_resend_unknown")).status_code == 302
    states = dict(send.deliveries.values_list("contact__email", "state"))
    assert states == {
        "ann@example.org": "pending",
        people["a2"].email: "sent",
        people["b1"].email: "failed",
    }


# --- the list of sends and the contact's page ----------------------------------------------


def test_list_of_sends_shows_the_campaign_and_filters_by_state(sending):
    send = make_send(sending, sent=[sending.people["a1"]])
    client = client_as(sending.net, "editor_a")
    listing = client.get(reverse("wagtail_distmark:sends"))
    assert listing.status_code == 200
    assert str(sending.campaign_a) in listing.content.decode()
    assert page_url(send) in listing.content.decode()
    other = client.get(reverse("wagtail_distmark:sends") + "?state=done")
    assert page_url(send) not in other.content.decode()
    crafted = client.get(reverse("wagtail_distmark:sends") + "?state=%00&p=%C2%B2")
    assert crafted.status_code == 200


def test_sends_menu_item_is_shown_to_members_only(sending):
    home = reverse("wagtailadmin_home")
    sends = reverse("wagtail_distmark:sends")
    assert sends in client_as(sending.net, "editor_a").get(home).content.decode()
    outsider = sending.net.users["outsider"]
    outsider.is_staff = True
    outsider.save()
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    page = client_as(sending.net, "outsider").get(home)
    assert sends not in page.content.decode()


def test_contact_page_lists_deliveries_and_events_of_sends_in_scope(sending):
    ann = sending.people["a1"]
    send = make_send(sending, sent=[ann])
    DeliveryEvent.objects.create(delivery=send.deliveries.get(), kind="click", is_machine=True)
    url = reverse("distmark_contacts:inspect", args=[ann.pk])
    text = client_as(sending.net, "manager_a").get(url).content.decode()
    assert page_url(send) in text
    assert "A machine" in text
    assert "Clicked" in text


@pytest.mark.parametrize("state", [Send.State.CANCELLED, Send.State.FAILED])
def test_resend_unknown_of_a_cancelled_or_failed_send_is_refused(sending, state):
    send = make_send(sending, state=state, unknown=[sending.people["a1"]])
    client = client_as(sending.net, "manager_a")
    assert page_url(send, "send_resend_unknown") not in client.get(page_url(send)).content.decode()
    response = client.post(page_url(send, "send_resend_unknown"), follow=True)
    assert response.status_code == 200
    assert "nothing is resent" in response.content.decode()
    assert send.deliveries.get().state == Delivery.State.UNKNOWN


def test_a_campaign_with_a_send_is_kept_when_deleted_and_one_without_goes(sending):
    campaign = sending.campaign_a
    make_send(sending, state=Send.State.DONE)
    delete_url = reverse(
        "wagtailsnippets_wagtail_distmark_localcampaign:delete", args=[campaign.pk]
    )
    for username in ("manager_a", "hq"):
        response = client_as(sending.net, username).post(delete_url)
        assert response.status_code == 403, username
    assert type(campaign).objects.filter(pk=campaign.pk).exists()
    Send.objects.all().delete()
    assert client_as(sending.net, "manager_a").post(delete_url).status_code == 302
    assert not type(campaign).objects.filter(pk=campaign.pk).exists()


@pytest.fixture
def dutch_send_words():
    """Dutch with a translator's two words for "Send" (the catalogue is the lead's to update)."""
    from django.utils import translation
    from django.utils.translation import trans_real

    with translation.override("nl"):
        catalog = trans_real.catalog()._catalog
        added = {"noun\x04Send": "Verzending", "verb\x04Send": "Verzenden"}
        saved = {key: catalog.get(key) for key in added}
        for key, value in added.items():
            catalog[key] = value
        yield
        for key, value in saved.items():
            if value is None:
                del catalog._catalogs[0][key]
            else:
                catalog[key] = value


def test_send_the_noun_and_send_the_verb_are_translated_apart(dutch_send_words):
    from wagtail_distmark.sending.admin_progress import SendDetailView
    from wagtail_distmark.sending.admin_send import CampaignSendView, SendMenuItem

    assert str(SendDetailView.page_title) == "Verzending"  # a send's page
    assert str(CampaignSendView.page_title) == "Verzenden"  # the action
    assert str(SendMenuItem.label) == "Verzenden"


def test_the_progress_endpoint_answers_get_only(sending):
    send = make_send(sending, sent=[sending.people["a1"]])
    client = client_as(sending.net, "manager_a")
    assert client.get(page_url(send, "send_progress")).status_code == 200
    for method in ("post", "put", "delete"):
        assert getattr(client, method)(page_url(send, "send_progress")).status_code == 405


def test_the_listing_shows_the_date_a_scheduled_send_is_due(sending):
    at = timezone.now() + timedelta(days=1)
    send = dispatch.create_send(sending.campaign_a, at=at)
    page = client_as(sending.net, "manager_a").get(reverse("wagtail_distmark:sends"))
    text = page.content.decode()
    assert date_format(localtime(send.scheduled_at), "DATETIME_FORMAT") in text
    assert "Just now" not in text
