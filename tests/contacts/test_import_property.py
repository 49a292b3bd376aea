"""Properties of the import, on random files: an export of what was imported re-imports as
"nothing changed", and nobody who unsubscribed is ever subscribed again by a file."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contacts.import_helpers import (
    make_job,
    remove_import_files,  # noqa: F401 (an autouse fixture)
)
from wagtail_distmark.contacts.consent import current_status
from wagtail_distmark.contacts.importing import fast_email, run_import
from wagtail_distmark.contacts.normalise import normalise_email
from wagtail_distmark.models import Contact, ImportJob, Tag

pytestmark = pytest.mark.django_db

COLUMNS = ["email", "first_name", "last_name", "phone", "birth_date", "city", "tags", "consent"]
FREE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(',;\t\n\r" '),
    max_size=12,
)
EMAILS = st.builds(
    "{}@{}".format,
    st.from_regex(r"[a-zA-Z0-9]{1,6}(\.[a-z0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["example.org", "Example.ORG", "exämple.fr", "shop.example.com"]),
) | st.sampled_from(["alex@example.org", "ann@example.org", "not-an-email", ""])
DATES = st.dates().map(lambda day: day.isoformat()) | st.sampled_from(
    ["", "17/05/1980", "31/02/1990", "1980-5-1"]
)
ROWS = st.fixed_dictionaries({
    "email": EMAILS,
    "first_name": FREE_TEXT,
    "last_name": FREE_TEXT | st.just("x" * 151),
    "phone": st.sampled_from(["", "+33612345678", "+44 20 7946 0958", "+49 151 23456789", "12"]),
    "birth_date": DATES,
    "city": FREE_TEXT,
    "tags": st.sampled_from(["", "VIP", "vip;Gold", "Gold|VIP", "Nope"]),
    "consent": st.sampled_from(["yes", "no", "", "1", "maybe"]),
})  # fmt: skip


def write_csv(rows: list[dict], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, COLUMNS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def export_unit(unit) -> list[dict]:
    """What an export of the unit's contacts would hold (the test's own, small export)."""
    rows = []
    for contact in Contact.objects.filter(links__unit=unit).prefetch_related("tags"):
        rows.append({
            "email": contact.email, "first_name": contact.first_name,
            "last_name": contact.last_name, "phone": contact.phone, "city": contact.city,
            "birth_date": contact.birth_date.isoformat() if contact.birth_date else "",
            "tags": ";".join(tag.name for tag in contact.tags.all()), "consent": "",
        })  # fmt: skip
    return rows


def snapshot() -> list:
    fields = ("email", "first_name", "last_name", "phone", "birth_date", "city", "updated_at")
    return list(Contact.objects.order_by("pk").values_list(*fields))


def counts(job) -> tuple:
    job.refresh_from_db()
    return (job.status, job.created_count, job.updated_count, job.unchanged_count,
            job.error_count)  # fmt: skip


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(ROWS, min_size=1, max_size=12),
       delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))  # fmt: skip
def test_an_export_of_an_import_reimports_as_unchanged(contact_world, rows, delimiter, encoding):
    Tag.objects.get_or_create(name="Gold")
    world, alex = contact_world, contact_world.people["a2"]
    with transaction.atomic():
        first = make_job(world, write_csv(rows, delimiter, encoding))
        run_import(first.pk)
        status, created, updated, unchanged, errors = counts(first)
        assert status == ImportJob.Status.DONE, first.message
        assert created + updated + unchanged + errors == len(rows)
        exported = export_unit(world.net.units["a"])
        before = snapshot()
        again = make_job(world, write_csv(exported, ",", "utf-8"))
        run_import(again.pk)
        assert counts(again) == (ImportJob.Status.DONE, 0, 0, len(exported), 0)
        assert snapshot() == before
        assert current_status(alex, world.newsletter) == "unsubscribed"
        first.file.delete(save=False)
        again.file.delete(save=False)
        transaction.set_rollback(True)


@settings(max_examples=300, deadline=None)
@given(st.emails() | EMAILS | st.text(max_size=30))
def test_the_address_shortcut_agrees_with_normalise_email(text):
    text = text.strip()
    try:
        expected = normalise_email(text)
    except ValidationError:
        expected = None
    try:
        found = fast_email(text)
    except ValidationError:
        found = None
    assert found == expected
