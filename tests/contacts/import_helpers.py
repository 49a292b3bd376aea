"""Helpers of the import tests: a job on a file's bytes, as the wizard would leave it."""

import pytest
from django.core.files.base import ContentFile
from wagtail.models import Collection, Locale

from wagtail_distmark.contacts.importing import sniff, suggest_mapping
from wagtail_distmark.models import Contact, ImportJob

HEADER = "email,first_name,last_name,phone,country,unit,tags,birth_date,city"


def make_job(world, content: bytes, *, user="manager_a", unit="a", name="contacts.csv",
             mapping=None, consent=True) -> ImportJob:  # fmt: skip
    """An uploaded, sniffed and mapped job (the mapping suggested for the user, or given)."""
    user = world.net.users[user]
    job = ImportJob(unit=world.net.units[unit], created_by=user, original_name=name,
                    communication_type=world.newsletter if consent else None,
                    consent_evidence="Signed the in-store form")  # fmt: skip
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    sniffed = sniff(job)
    job.mapping = mapping or suggest_mapping(sniffed.headers, user)
    job.save()
    return job


def csv_bytes(*rows: str, header: str = HEADER, newline="\n", encoding="utf-8") -> bytes:
    return newline.join([header, *rows, ""]).encode(encoding)


def errors_of(job) -> set:
    """``{(line, column)}`` of the job's error rows (notes left out)."""
    return set(job.row_errors.exclude(column="(consent)").values_list("line", "column"))


def emails_at(unit) -> set:
    return set(Contact.objects.filter(links__unit=unit).values_list("email", flat=True))


@pytest.fixture(autouse=True)
def remove_import_files(db):
    """Uploaded files live in the private storage (outside the test's media folder)."""
    yield
    for job in ImportJob.objects.all():
        job.file.delete(save=False)


@pytest.fixture
def wagtail_roots(db):
    """The rows Wagtail's migrations create (root collection, default locale), which an
    earlier transactional test's flush removed: the network's units need the collection."""
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    if not Locale.objects.exists():
        Locale.objects.create(language_code="en")
