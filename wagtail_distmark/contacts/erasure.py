"""Erasure and access requests (GDPR articles 17 and 15).

Erasing a contact wipes its personal fields but keeps the row, its unit links and its consent
history (the legal proof of what the person agreed to, and when), and puts the address on the
suppression list so that no later import, form or API call can write to it again. An access
request gathers everything held about one person in one JSON file, served like an export.
Both are entries of Wagtail's audit log. Callers check the rules first
(``wagtail_distmark.erase_contact``, ``wagtail_distmark.request_contact_access``);
:func:`erase_contact` checks again, since a bulk action or a script may call it.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from wagtail_distmark.conf import get_export_link_hours
from wagtail_distmark.contacts import consent
from wagtail_distmark.contacts.models import (
    Consent,
    ConsentEvent,
    Contact,
    ExportJob,
    ImportJob,
    Source,
    Suppression,
)
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.org.models import path_and_ancestors

ERASE_PERMISSION = "wagtail_distmark.erase_contact"
ACCESS_PERMISSION = "wagtail_distmark.request_contact_access"
ERASE_ACTION = "wagtail_distmark.erase_contact"
ACCESS_ACTION = "wagtail_distmark.contact_access_request"
#: The personal fields erasure empties, and the value each is left with.
WIPED = {
    "email": None,
    "first_name": "",
    "last_name": "",
    "locale": "",
    "phone": "",
    "birth_date": None,
    "postal_code": "",
    "city": "",
    "country": "",
    "attributes": {},
}


@transaction.atomic
def erase_contact(contact, user) -> None:
    """Wipe the contact's personal fields, keep (add) its suppression, log who and when.

    The consents are set to unsubscribed first (new history rows without personal data), so
    no audience counts the row again. Erasing an erased contact changes nothing.

    Raises:
        PermissionDenied: the user may not erase this contact.
    """
    if not user.has_perm(ERASE_PERMISSION, contact):
        raise PermissionDenied
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at is not None:
        return
    address = contact.email
    consent.unsubscribe_everywhere(contact, source=Source.SYSTEM, user=user, evidence="",
                                   reason=Suppression.Reason.ERASURE)  # fmt: skip
    if address:  # unsubscribe_everywhere suppressed it; said again, as it is the promise
        consent.suppress(address, Suppression.Reason.ERASURE)
    wipe(contact)
    forget_access_files(contact)
    if address:
        withdraw_exports(contact, address)
    log(instance=contact, action=ERASE_ACTION, user=user)


def wipe(contact: Contact) -> None:
    """Empty the personal fields and tags; the earlier audit log entries lose the name and
    address their label held (Wagtail labels an entry with ``str(contact)``)."""
    for name, value in WIPED.items():
        setattr(contact, name, value)
    contact.erased_at = timezone.now()
    contact.save()
    contact.tags.clear()
    ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact.pk)
    ).update(label=str(contact))


def forget_access_files(contact: Contact) -> None:
    """The files of earlier access requests about the person hold their data: deleted."""
    for job in ExportJob.objects.filter(subject=contact).exclude(file=""):
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")


#: What an export's filter says once it named an erased person.
ERASED_VALUE = "[erased]"


def withdraw_exports(contact: Contact, address: str) -> None:
    """Export files still on the server may hold the person: every file of a listing export
    made by someone who could reach them (a role on one of their units or above, or a
    superuser) is deleted — nothing tells which without reading them; the job stays, as the
    audit record, saying why. Such an export's filter that named the address loses it.
    Other units' exports are not touched."""
    reason = str(_("Withdrawn: a contact was erased after this export."))
    jobs = ExportJob.objects.filter(subject__isnull=True, created_by__in=reached_by(contact))
    for job in jobs.exclude(file=""):
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="", message=reason)
    needle = address.casefold()
    for job in jobs.exclude(filters={}):
        filters = {
            key: [ERASED_VALUE if needle in str(v).casefold() else v for v in as_list(values)]
            for key, values in job.filters.items()
        }
        if filters != job.filters:
            ExportJob.objects.filter(pk=job.pk).update(filters=filters)


def reached_by(contact: Contact):
    """The accounts that could see the contact: a role on one of its units or above them."""
    paths = {
        ancestor
        for path in contact.links.values_list("unit__path", flat=True)
        for ancestor in path_and_ancestors(path)
    }
    users = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(distmark_memberships__unit__path__in=paths)
    )
    return users.values("pk")


def as_list(values) -> list:
    return values if isinstance(values, list) else [values]


def access_report(contact: Contact) -> dict:
    """Everything held about one person: every field, every unit link, the consents and
    their full history, the imports that touched them, and whether the address is suppressed.
    (Audiences are computed from these, so they hold nothing more.)"""
    return {
        "generated_at": timezone.now(),
        "contact": contact_data(contact),
        "units": units_data(contact),
        "consents": consents_data(contact),
        "consent_history": history_data(contact),
        "imports": imports_data(contact),
        "suppression": suppression_data(contact),
    }


def contact_data(contact: Contact) -> dict:
    own = [name for name in Contact.PERSONAL_FIELDS if name != "tags"]
    fields = ("id", *own, "attributes", "created_at", "updated_at", "last_activity_at",
              "erased_at")  # fmt: skip
    data = {name: getattr(contact, name) for name in fields}
    data["tags"] = sorted(contact.tags.values_list("name", flat=True))
    return data


def units_data(contact: Contact) -> list[dict]:
    links = contact.links.select_related("unit").order_by("unit__path")
    return [
        {
            "unit": link.unit.name,
            "code": link.unit.code,
            "source": link.source,
            "since": link.since,
        }  # fmt: skip
        for link in links
    ]


def consents_data(contact: Contact) -> list[dict]:
    rows = Consent.objects.filter(contact=contact).select_related("communication_type", "unit")
    return [
        {
            "communication_type": row.communication_type.name,
            "unit": unit_name(row.unit),
            "status": row.status,
            "updated_at": row.updated_at,
        }  # fmt: skip
        for row in rows.order_by("communication_type__name", "pk")
    ]


def history_data(contact: Contact) -> list[dict]:
    events = ConsentEvent.objects.filter(contact=contact).select_related(
        "communication_type", "unit", "set_by"
    )
    return [
        {
            "when": event.created_at,
            "communication_type": event.communication_type.name,
            "unit": unit_name(event.unit),
            "status": event.status,
            "source": event.source,
            "evidence": event.evidence,
            "import": event.import_job_id,
            "set_by": event.set_by.get_username() if event.set_by else None,
        }  # fmt: skip
        for event in events.order_by("created_at", "pk")
    ]


def imports_data(contact: Contact) -> list[dict]:
    ids = ConsentEvent.objects.filter(contact=contact, import_job__isnull=False).values(
        "import_job"
    )
    jobs = ImportJob.objects.filter(pk__in=ids).select_related("unit").order_by("created_at")
    return [
        {
            "id": job.pk,
            "file": job.original_name,
            "unit": unit_name(job.unit),
            "when": job.created_at,
        }  # fmt: skip
        for job in jobs
    ]


def suppression_data(contact: Contact) -> dict | None:
    if not contact.email:
        return None
    row = Suppression.objects.filter(email_hash=email_hash(contact.email)).first()
    return {"reason": row.reason, "since": row.created_at} if row else None


def unit_name(unit) -> str | None:
    return unit.name if unit is not None else None


@transaction.atomic
def request_access(contact: Contact, user) -> ExportJob:
    """Write the person's access report as a JSON file behind an expiring link, and log it.

    Raises:
        PermissionDenied: the user may not answer access requests (HQ's).
    """
    if not user.has_perm(ACCESS_PERMISSION, contact):
        raise PermissionDenied
    job = ExportJob.objects.create(created_by=user, subject=contact, file_format="json",
                                   fields=["*"], row_count=1)  # fmt: skip
    report = json.dumps(access_report(contact), cls=DjangoJSONEncoder, ensure_ascii=False,
                        indent=2)  # fmt: skip
    job.file.save(f"access-request-{job.pk}.json", ContentFile(report.encode()), save=False)
    job.status = ExportJob.Status.DONE
    job.expires_at = timezone.now() + timedelta(hours=get_export_link_hours())
    job.save()
    log(instance=contact, action=ACCESS_ACTION, user=user, data={"export": job.pk})
    return job
