"""Erasure (fields wiped, suppression and consent history kept, logged) and access requests
(everything held about one person, HQ only)."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from tests.contacts.conftest import make_contact
from wagtail_distmark.contacts.consent import SUBSCRIBED, ConsentRefused, set_consent
from wagtail_distmark.contacts.erasure import ACCESS_ACTION, ERASE_ACTION, erase_contact
from wagtail_distmark.contacts.links import link
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.models import (
    Consent,
    ConsentEvent,
    Contact,
    ExportJob,
    ImportJob,
    Suppression,
)

pytestmark = pytest.mark.django_db


def erase_url(contact):
    return reverse("wagtail_distmark:contact_erase", args=[contact.pk])


def access_url(contact):
    return reverse("wagtail_distmark:contact_access_request", args=[contact.pk])


def snapshot(contact):
    return list(Contact.objects.filter(pk=contact.pk).values())


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_confirmation_page_changes_nothing(contact_world, client_for):
    ann = contact_world.people["a1"]
    before = snapshot(ann)
    response = client_for(contact_world.net.users["manager_a"]).get(erase_url(ann))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Yes, erase" in page
    assert reverse("distmark_contacts:inspect", args=[ann.pk]) in page  # "No, keep"
    assert snapshot(ann) == before


def test_erasure_wipes_the_person_and_keeps_the_proof(contact_world, client_for):
    ann, manager = contact_world.people["a1"], contact_world.net.users["manager_a"]
    ann.birth_date, ann.attributes = "1990-01-02", {"shoe_size": "38"}
    ann.save()
    history = ConsentEvent.objects.filter(contact=ann).count()
    response = client_for(manager).post(erase_url(ann))
    assert response["Location"] == reverse("distmark_contacts:index")
    ann.refresh_from_db()
    assert ann.erased_at is not None
    assert (ann.email, ann.first_name, ann.last_name, ann.phone) == (None, "", "", "")
    assert (ann.birth_date, ann.postal_code, ann.city, ann.attributes) == (None, "", "", {})
    assert not ann.tags.exists()
    assert ann.links.filter(unit=contact_world.net.units["a"]).exists()
    suppression = Suppression.objects.get(email_hash=email_hash("ann@example.org"))
    assert suppression.reason == Suppression.Reason.ERASURE
    # The history is kept, and what erasure added holds no personal data.
    events = ConsentEvent.objects.filter(contact=ann)
    assert events.count() == history + 1
    assert (events.first().status, events.first().evidence) == ("unsubscribed", "")
    assert Consent.objects.get(contact=ann).status == "unsubscribed"


def test_erasure_is_in_the_audit_log_without_the_address(contact_world, client_for):
    ann, manager = contact_world.people["a1"], contact_world.net.users["manager_a"]
    # An entry written when a contact's title still held the name and address.
    log(instance=ann, action="wagtail.edit", user=manager, title="Ann Archer <ann@example.org>")
    client_for(manager).post(erase_url(ann))
    entry = ModelLogEntry.objects.get(action=ERASE_ACTION, object_id=str(ann.pk))
    assert entry.user_id == manager.pk
    labels = ModelLogEntry.objects.filter(object_id=str(ann.pk)).values_list("label", flat=True)
    assert labels and not any("ann" in label.lower() for label in labels)
    assert "ann@example.org" not in json.dumps(list(ModelLogEntry.objects.values("data")))


def test_an_erased_address_is_never_subscribed_again(contact_world):
    ann, newsletter = contact_world.people["a1"], contact_world.newsletter
    erase_contact(ann, contact_world.net.users["manager_a"])
    again = make_contact(contact_world.net.units["a"], "Ann@example.org", "Ann", "Archer")
    with pytest.raises(ConsentRefused):
        set_consent(again, newsletter, SUBSCRIBED, source=Source.IMPORT)
    ann.refresh_from_db()
    with pytest.raises(ConsentRefused):
        set_consent(ann, newsletter, SUBSCRIBED, source=Source.IMPORT)
    assert not Consent.objects.filter(status=SUBSCRIBED, contact__in=[ann, again]).exists()


def test_an_erased_contact_is_never_subscribed_again_even_with_reconsent(contact_world):
    ann, newsletter = contact_world.people["a1"], contact_world.newsletter
    erase_contact(ann, contact_world.net.users["manager_a"])
    ann.refresh_from_db()
    with pytest.raises(ConsentRefused):
        set_consent(ann, newsletter, SUBSCRIBED, source=Source.ADMIN, reconsent=True,
                    evidence="Signed the form")  # fmt: skip


@pytest.mark.parametrize(("username", "status"), [("manager_c", 404), ("editor_a", 403)])
def test_who_may_not_erase_changes_nothing(contact_world, client_for, username, status):
    ann = contact_world.people["a1"]
    before = snapshot(ann)
    client = client_for(contact_world.net.users[username])
    assert client.get(erase_url(ann)).status_code == status
    response = client.post(erase_url(ann))
    assert response.status_code == status
    assert "ann@example.org" not in response.content.decode()
    assert snapshot(ann) == before
    assert not Suppression.objects.exists()


def test_a_person_shared_with_another_store_is_not_one_managers_to_erase(
    contact_world, client_for, settings
):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    ann, net = contact_world.people["a1"], contact_world.net
    link(ann, net.units["c"], Source.IMPORT)
    before = snapshot(ann)
    assert client_for(net.users["manager_a"]).post(erase_url(ann)).status_code == 403
    assert snapshot(ann) == before
    with pytest.raises(PermissionDenied):
        erase_contact(ann, net.users["manager_a"])
    assert client_for(net.users["hq"]).post(erase_url(ann)).status_code == 302
    ann.refresh_from_db()
    assert ann.erased_at is not None


def test_erasing_twice_changes_nothing_more(contact_world):
    ann, manager = contact_world.people["a1"], contact_world.net.users["manager_a"]
    erase_contact(ann, manager)
    events = ConsentEvent.objects.count()
    erase_contact(ann, manager)
    assert ConsentEvent.objects.count() == events
    assert ModelLogEntry.objects.filter(action=ERASE_ACTION).count() == 1


def request_access_as(client, contact):
    """POST the access request; the job and the JSON downloaded from its link."""
    response = client.post(access_url(contact))
    job = ExportJob.objects.get(subject=contact)
    assert response["Location"] == reverse("wagtail_distmark:contacts_export_job", args=[job.pk])
    download = client.get(reverse("wagtail_distmark:contacts_export_download", args=[job.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    return job, json.loads(content(download))


def test_an_access_request_holds_everything_about_the_person(contact_world, client_for):
    net, ann = contact_world.net, contact_world.people["a1"]
    hq = net.users["hq"]
    job_file = ImportJob.objects.create(unit=net.units["a"], created_by=hq,
                                        original_name="spring.csv")  # fmt: skip
    set_consent(ann, contact_world.newsletter, "unsubscribed", source=Source.IMPORT,
                import_job=job_file)  # fmt: skip
    job, data = request_access_as(client_for(hq), ann)
    assert data["contact"]["email"] == "ann@example.org"
    assert data["contact"]["phone"] == "+33612345678"
    assert data["contact"]["tags"] == ["VIP"]
    assert [unit["code"] for unit in data["units"]] == ["C-A"]
    assert data["consents"] == [
        {"communication_type": "Newsletter", "unit": None, "status": "unsubscribed",
         "updated_at": data["consents"][0]["updated_at"]}
    ]  # fmt: skip
    assert [event["status"] for event in data["consent_history"]] == [
        "subscribed", "unsubscribed"]  # fmt: skip
    assert data["consent_history"][1]["import"] == job_file.pk
    assert data["imports"][0]["file"] == "spring.csv"
    entry = ModelLogEntry.objects.get(action=ACCESS_ACTION, object_id=str(ann.pk))
    assert (entry.user_id, entry.data) == (hq.pk, {"export": job.pk})


@pytest.mark.parametrize(("username", "status"), [("manager_a", 403), ("manager_c", 404)])
def test_access_requests_are_hqs(contact_world, client_for, username, status):
    ann = contact_world.people["a1"]
    client = client_for(contact_world.net.users[username])
    assert client.get(access_url(ann)).status_code == status
    response = client.post(access_url(ann))
    assert response.status_code == status
    assert "ann@example.org" not in response.content.decode()
    assert not ExportJob.objects.exists()
    assert not ModelLogEntry.objects.filter(action=ACCESS_ACTION).exists()


def test_only_hq_downloads_an_access_request(contact_world, client_for):
    net, ann = contact_world.net, contact_world.people["a1"]
    job, _data = request_access_as(client_for(net.users["hq"]), ann)
    download = reverse("wagtail_distmark:contacts_export_download", args=[job.pk])
    response = client_for(net.users["manager_a"]).get(download)
    assert response.status_code == 404
    assert b"ann@example.org" not in content(response)


def test_erasure_deletes_earlier_access_request_files(contact_world, client_for):
    net, ann = contact_world.net, contact_world.people["a1"]
    job, _data = request_access_as(client_for(net.users["hq"]), ann)
    storage, name = job.file.storage, job.file.name
    erase_contact(ann, net.users["hq"])
    assert not storage.exists(name)
    job.refresh_from_db()
    assert not job.file


def test_erasure_withdraws_export_files_and_the_address_from_their_filters(contact_world):
    from django.core.files.base import ContentFile

    from wagtail_distmark.models import ExportJob

    manager = contact_world.net.users["manager_a"]
    job = ExportJob.objects.create(created_by=manager, filters={"q": ["Ann@Example.org"]})
    job.file.save("export.csv", ContentFile(b"email\nann@example.org\n"))
    path = job.file.path
    erase_contact(contact_world.people["a1"], manager)
    job.refresh_from_db()
    assert job.file.name == "" and "Withdrawn" in job.message
    assert job.filters == {"q": ["[erased]"]}
    import os

    assert not os.path.exists(path)


def test_erasure_leaves_other_units_exports_alone(contact_world):
    from django.core.files.base import ContentFile

    from wagtail_distmark.models import ExportJob

    other = ExportJob.objects.create(created_by=contact_world.net.users["manager_c"],
                                     filters={"q": ["ann@example.org"]})  # fmt: skip
    other.file.save("c.csv", ContentFile(b"email\n"))
    erase_contact(contact_world.people["a1"], contact_world.net.users["manager_a"])
    other.refresh_from_db()
    assert other.file.name and other.filters == {"q": ["ann@example.org"]}
