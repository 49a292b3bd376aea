"""The import engine: what lands in the database, which rows are refused and on which line."""

import codecs
import csv
import datetime
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.contacts.import_helpers import (
    HEADER,
    csv_bytes,
    emails_at,
    errors_of,
    make_job,
    remove_import_files,  # noqa: F401 (an autouse fixture)
    wagtail_roots,  # noqa: F401 (a fixture)
)
from wagtail_distmark.contacts import importing, tasks
from wagtail_distmark.contacts.consent import current_status, suppress
from wagtail_distmark.contacts.importing import (
    MAPPING_ERROR_KEY,
    FileRefused,
    check_mapping,
    dry_run,
    remember_mapping,
    run_import,
    suggest_mapping,
    write_report,
)
from wagtail_distmark.contacts.storage import private_storage
from wagtail_distmark.models import (
    Consent,
    ConsentEvent,
    Contact,
    ContactAttribute,
    ContactUnit,
    ImportJob,
    Suppression,
)

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
UNIT_REFUSED = "This is not the code of a unit you may import into."


def good_row(number: int, **cells) -> str:
    values = {"email": f"good{number}@example.org", "first_name": f"First{number}",
              "last_name": "Good", "phone": f"+336123456{number:02d}", "country": "",
              "unit": "", "tags": "", "birth_date": "1980-05-17", "city": "Lyon"}  # fmt: skip
    values.update(cells)
    return ",".join(values[name] for name in HEADER.split(","))


def bad_rows_file():
    """90 good rows and one bad row of every kind: (bytes, good e-mails, {(line, column)})."""
    bad = {
        10: (good_row(10, unit="C-ZZZ"), "unit"),  # unknown unit
        20: (good_row(20, unit="C-B"), "unit"),  # another store: same message
        25: (good_row(25, email="not-an-email"), "email"),
        30: (good_row(30, phone="12"), "phone"),
        40: (good_row(40, tags="VIP;Platinum"), "tags"),  # Platinum is not declared
        50: (good_row(50, birth_date="31/02/1990"), "birth_date"),
        60: (good_row(60, first_name="x" * 151), "first_name"),
        70: (good_row(70) + ",surplus", ""),  # more cells than headers
        80: (good_row(3), "email"),  # good3's address again
        85: (good_row(85, email="bea@example.org"), "email"),  # Store B's contact (home mode)
        95: (good_row(95, country="XX"), "country"),
    }
    rows, expected, good, line = [], set(), set(), 2
    for number in range(100):
        if number in bad:
            text, column = bad[number]
            expected.add((line, column))
        else:
            city = '"Lyon\nPresqu\'île"' if number == 5 else "Lyon"  # a quoted newline
            text = good_row(number, city=city, unit="c-a" if number % 7 == 0 else "",
                            tags="vip|VIP" if number % 9 == 0 else "")  # fmt: skip
            good.add(f"good{number}@example.org")
        rows.append(text)
        line += 1 + text.count("\n")
    return csv_bytes(*rows), good, expected


def test_every_bad_row_is_reported_on_its_line_and_every_good_row_imported(contact_world):
    content, good, expected = bad_rows_file()
    job = make_job(contact_world, content)
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.message) == (ImportJob.Status.DONE, "")
    assert errors_of(job) == expected
    assert (job.total_rows, job.created_count, job.error_count) == (100, 89, 11)
    assert emails_at(contact_world.net.units["a"]) == good | {"ann@example.org",
                                                              "alex@example.org"}  # fmt: skip
    rows = job.row_errors.values_list("line", "column", "reason")
    reasons = {(line, column): reason for line, column, reason in rows}
    unit_reasons = {reasons[key] for key in expected if key[1] == "unit"}
    assert unit_reasons == {UNIT_REFUSED}  # unknown and out of scope: one message
    five = Contact.objects.get(email="good5@example.org")
    assert five.city == "Lyon\nPresqu'île"
    assert five.phone == "+33612345605" and five.birth_date == datetime.date(1980, 5, 17)
    assert set(
        Contact.objects.get(email="good9@example.org").tags.values_list("name", flat=True)
    ) == {"VIP"}
    assert Contact.objects.get(email="bea@example.org").first_name == "Bea"  # untouched


def test_good_rows_are_subscribed_with_the_jobs_evidence(contact_world):
    content, good, _expected = bad_rows_file()
    job = make_job(contact_world, content)
    run_import(job.pk)
    events = ConsentEvent.objects.filter(import_job=job)
    assert events.count() == len(good)
    assert set(events.values_list("source", "evidence", "set_by__username").distinct()) == {
        ("import", "Signed the in-store form", "manager_a")}  # fmt: skip
    assert Consent.objects.filter(contact__email__in=good, status="subscribed").count() == len(good)


def test_reimporting_the_same_file_changes_nothing(contact_world):
    content, good, expected = bad_rows_file()
    run_import(make_job(contact_world, content).pk)
    counts = [model.objects.count() for model in (Contact, ContactUnit, Consent, ConsentEvent)]
    again = make_job(contact_world, content)
    run_import(again.pk)
    again.refresh_from_db()
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 89)
    assert errors_of(again) == expected
    assert [model.objects.count() for model in (Contact, ContactUnit, Consent,
                                                ConsentEvent)] == counts  # fmt: skip


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
     ("utf-16-be", codecs.BOM_UTF16_BE), ("cp1252", b"")],
)  # fmt: skip
def test_each_encoding_and_delimiter_is_detected(contact_world, encoding, bom, delimiter):
    text = delimiter.join(["email", "first_name", "last_name", "city"]) + "\r\n"
    text += delimiter.join(["zoe@example.org", "Zoë", "Lefèvre", '"Saint-\r\nÉtienne"']) + "\r\n"
    text += delimiter.join(["bad", "Bad", "Row", "Nice"]) + "\r\n"
    job = make_job(contact_world, bom + text.encode(encoding))
    assert job.delimiter == delimiter
    assert job.mapping == {"email": "email", "first_name": "first_name",
                           "last_name": "last_name", "city": "city"}  # fmt: skip
    run_import(job.pk)
    zoe = Contact.objects.get(email="zoe@example.org")
    assert (zoe.first_name, zoe.last_name, zoe.city) == ("Zoë", "Lefèvre", "Saint-\r\nÉtienne")
    assert errors_of(job) == {(4, "email")}  # the quoted line break moved it to line 4


def test_xlsx_is_read_row_by_row(contact_world):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["E-mail", "Prénom", "Date de naissance", "Téléphone"])
    sheet.append(["xavier@example.org", "Xavier", datetime.datetime(1975, 3, 2), "+33612340000"])
    sheet.append(["nope", "Nope", datetime.date(1975, 3, 2), ""])
    sheet.append([None, None, None, None])  # an empty row is skipped, not an error
    sheet.append(["yvonne@example.org", "Yvonne", "02/03/1975", None])
    buffer = io.BytesIO()
    book.save(buffer)
    job = make_job(contact_world, buffer.getvalue(), name="contacts.xlsx")
    assert job.file_format == "xlsx"
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.created_count, job.error_count) == (2, 1)
    assert errors_of(job) == {(3, "E-mail")}
    assert Contact.objects.get(email="xavier@example.org").birth_date == datetime.date(1975, 3, 2)
    assert Contact.objects.get(email="yvonne@example.org").birth_date == datetime.date(1975, 3, 2)


def test_an_update_touches_only_the_changed_fields(contact_world):
    ann = contact_world.people["a1"]
    content = csv_bytes(
        "ANN@Example.org,Ann,Archer-Smith,,,,,,", "alex@example.org,Alex,Abel,,,,,,"
    )
    job = make_job(contact_world, content, consent=False)
    with CaptureQueriesContext(connection) as queries:
        run_import(job.pk)
    job.refresh_from_db()
    assert (job.updated_count, job.unchanged_count) == (1, 1)
    ann.refresh_from_db()
    assert (ann.email, ann.last_name, ann.city, ann.phone) == (
        "ann@example.org", "Archer-Smith", "Paris", "+33612345678")  # fmt: skip
    updates = [
        q["sql"] for q in queries if q["sql"].startswith('UPDATE "wagtail_distmark_contact"')
    ]
    assert len(updates) == 1
    assert '"last_name"' in updates[0] and '"city"' not in updates[0]
    assert '"first_name"' not in updates[0]


def test_an_unsubscribed_or_suppressed_person_stays_unsubscribed(contact_world):
    suppress("sam@example.org", Suppression.Reason.HARD_BOUNCE)
    alex, newsletter = contact_world.people["a2"], contact_world.newsletter
    content = csv_bytes("alex@example.org,Alex,Abel,,,,,,", "sam@example.org,Sam,Sand,,,,,,",
                        "tia@example.org,Tia,Tan,,,,,,")  # fmt: skip
    job = make_job(contact_world, content)
    run_import(job.pk)
    assert current_status(alex, newsletter) == "unsubscribed"
    sam = Contact.objects.get(email="sam@example.org")
    assert current_status(sam, newsletter) is None
    assert current_status(Contact.objects.get(email="tia@example.org"), newsletter) == "subscribed"
    events = ConsentEvent.objects.filter(import_job=job)
    assert set(events.values_list("contact__email", flat=True)) == {"tia@example.org"}
    assert importing.kept_unsubscribed(job) == 2
    job.refresh_from_db()
    assert job.error_count == 0


def test_a_consent_column_subscribes_only_the_yes_rows(contact_world):
    content = csv_bytes("una@example.org,yes", "vic@example.org,no", "wes@example.org,",
                        "xia@example.org,perhaps", header="email,consent")  # fmt: skip
    job = make_job(contact_world, content)
    run_import(job.pk)
    newsletter = contact_world.newsletter
    status = {c.email: current_status(c, newsletter) for c in Contact.objects.filter(
        email__in=["una@example.org", "vic@example.org", "wes@example.org"])}  # fmt: skip
    assert status == {"una@example.org": "subscribed", "vic@example.org": None,
                      "wes@example.org": None}  # fmt: skip
    assert errors_of(job) == {(5, "consent")}


def test_units_outside_the_importers_scope_are_error_rows(contact_world):
    content = csv_bytes("p1@example.org,C-B", "p2@example.org,c-c", "p3@example.org,C-ZZZ",
                        "p4@example.org,C-A", header="email,unit")  # fmt: skip
    job = make_job(contact_world, content)
    run_import(job.pk)
    assert errors_of(job) == {(2, "unit"), (3, "unit"), (4, "unit")}
    assert set(job.row_errors.values_list("reason", flat=True)) == {UNIT_REFUSED}
    assert emails_at(contact_world.net.units["a"]) >= {"p4@example.org"}
    assert not Contact.objects.filter(email__in=["p1@example.org", "p2@example.org"]).exists()


def test_head_office_imports_into_any_unit(contact_world):
    content = csv_bytes("p1@example.org,C-B", "p2@example.org,c-c", "p3@example.org,C-ZZZ",
                        header="email,unit")  # fmt: skip
    job = make_job(contact_world, content, user="hq", unit="hq")
    run_import(job.pk)
    assert errors_of(job) == {(4, "unit")}
    assert "p1@example.org" in emails_at(contact_world.net.units["b"])
    assert "p2@example.org" in emails_at(contact_world.net.units["c"])


def test_scope_is_checked_again_when_the_import_runs(contact_world):
    job = make_job(contact_world, csv_bytes("p1@example.org", header="email"))
    job.unit = contact_world.net.units["c"]  # as if manager_a had lost Store A for Store C
    job.save()
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "may no longer import" in job.message
    assert not Contact.objects.filter(email="p1@example.org").exists()


def test_lists_mode_never_puts_another_units_customer_on_an_importers_list(contact_world, settings):
    """Knowing an address is not enough to reach a person Store B collected: the row is an
    error with home mode's neutral message, and Bea's data and lists are untouched."""
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    content = csv_bytes(
        "bea@example.org,Beatrice,,1990-04-01", header="email,first_name,city,birth_date"
    )
    job = make_job(contact_world, content)
    run_import(job.pk)
    job.refresh_from_db()
    bea = contact_world.people["b1"]
    bea.refresh_from_db()
    assert set(bea.links.values_list("unit__code", flat=True)) == {"C-B"}
    assert (bea.first_name, bea.birth_date) == ("Bea", None)
    assert errors_of(job) == {(2, "email")} and job.created_count == 0


def test_lists_mode_a_regional_manager_puts_a_customer_on_another_stores_list(
    contact_world, settings
):
    """Who sees every list the person is on may add another: the single customer view."""
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    content = csv_bytes("bea@example.org,Beatrice", header="email,first_name")
    job = make_job(contact_world, content, user="regional_north")
    run_import(job.pk)
    bea = contact_world.people["b1"]
    assert set(bea.links.values_list("unit__code", flat=True)) == {"C-A", "C-B"}
    assert errors_of(job) == set()


def test_attributes_are_read_by_kind(contact_world):
    ContactAttribute.objects.create(key="points", label="Points", kind="number")
    ContactAttribute.objects.create(key="member_since", label="Member since", kind="date")
    ContactAttribute.objects.create(key="paper", label="Paper catalogue", kind="boolean")
    rows = ("q1@example.org,12,2020-01-02,yes", "q2@example.org,2.5,,no", "q3@example.org,lots,,")
    content = csv_bytes(*rows, header="email,points,member_since,paper")
    job = make_job(contact_world, content)
    run_import(job.pk)
    assert Contact.objects.get(email="q1@example.org").attributes == {
        "points": 12, "member_since": "2020-01-02", "paper": True}  # fmt: skip
    assert Contact.objects.get(email="q2@example.org").attributes == {"points": 2.5, "paper": False}
    assert errors_of(job) == {(4, "points")}


def crash_and_resume(contact_world, settings, monkeypatch):
    """The 2nd chunk fails once, after writing (inside its transaction); then a re-run."""
    settings.WAGTAIL_DISTMARK_IMPORT_CHUNK_SIZE = 5
    content, good, expected = bad_rows_file()
    job = make_job(contact_world, content)
    real, calls = importing.create_report_rows, []

    def crash_in_second_chunk(ctx, plan):
        calls.append(1)
        real(ctx, plan)
        if len(calls) == 2:
            raise RuntimeError("worker lost")

    monkeypatch.setattr(importing, "create_report_rows", crash_in_second_chunk)
    with pytest.raises(RuntimeError):
        run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.processed_rows == 5
    assert "after line 6" in job.message
    assert Contact.objects.filter(email__startswith="good").count() == 5
    monkeypatch.setattr(importing, "create_report_rows", real)
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.created_count, job.error_count, job.unchanged_count) == (
        100, 89, 11, 0)  # fmt: skip
    assert errors_of(job) == expected
    assert Contact.objects.filter(email__in=good).count() == len(good)
    assert ConsentEvent.objects.filter(import_job=job).count() == len(good)
    run_import(job.pk)  # a finished job is left alone
    assert ConsentEvent.objects.filter(import_job=job).count() == len(good)


def test_a_crash_mid_file_resumes_after_the_last_committed_chunk(contact_world, settings,
                                                                 monkeypatch):  # fmt: skip
    crash_and_resume(contact_world, settings, monkeypatch)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("wagtail_roots")
def test_a_crash_mid_file_resumes_when_chunks_are_written_by_a_thread(
    contact_world, settings, monkeypatch
):
    """Outside a transaction on PostgreSQL, a thread writes while the file is read on."""
    if connection.vendor == "postgresql":
        assert importing.pipelined()
    crash_and_resume(contact_world, settings, monkeypatch)
    if connection.vendor == "postgresql":  # the writing thread closed its connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()")  # fmt: skip
            assert cursor.fetchone() == (0,)


def test_a_second_delivery_stops_without_finishing_the_job(contact_world, settings, monkeypatch):
    """Two runs of one job (a message delivered twice): the one that finds a chunk committed
    by the other stops, and leaves the job to it (neither DONE early nor counted twice)."""
    settings.WAGTAIL_DISTMARK_IMPORT_CHUNK_SIZE = 5
    content, _good, _expected = bad_rows_file()
    job = make_job(contact_world, content)
    real = importing.write_chunk

    def other_run_commits_first(ctx, plan, last, expected):
        ImportJob.objects.filter(pk=job.pk).update(processed_line=F("processed_line") + 5)
        return real(ctx, plan, last, expected)

    monkeypatch.setattr(importing, "write_chunk", other_run_commits_first)
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == (ImportJob.Status.RUNNING, 0, 0)
    assert not Contact.objects.filter(email__startswith="good").exists()
    run_import(123456789)  # a job deleted since it was queued: nothing to do, no error


def test_a_dry_run_counts_and_writes_nothing(contact_world):
    content, _good, expected = bad_rows_file()
    before = Contact.objects.count()
    job = make_job(contact_world, content + b"ann@example.org,Ann,Archer,,,,,,Paris\n")
    result = dry_run(job)
    assert (result.total_rows, result.to_create, result.to_update, result.unchanged,
            result.error_rows) == (101, 89, 0, 1, 11)  # fmt: skip
    assert [(line, column) for line, column, _reason in result.first_errors] == sorted(expected)
    assert Contact.objects.count() == before
    stored = job.row_errors.values_list("line", "column")
    assert list(stored) == sorted(expected)  # the first errors, kept for the wizard's page
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.error_count) == (ImportJob.Status.CHECKED, 101, 11)


def test_suggested_mapping_reads_headers_loosely_and_for_the_user(contact_world):
    users = contact_world.net.users
    headers = ["E-mail", "Prénom", "NOM", "Téléphone", "Store", "Notes"]
    assert suggest_mapping(headers, users["manager_a"]) == {
        "E-mail": "email", "Prénom": "first_name", "NOM": "last_name", "Téléphone": "phone",
        "Store": "unit", "Notes": ""}  # fmt: skip
    assert suggest_mapping(headers, users["editor_a"])["Téléphone"] == ""  # not a field they see


def test_mapping_is_remembered_per_user(contact_world):
    users = contact_world.net.users
    remember_mapping(users["manager_a"], {"Ville du client": "city", "Notes": ""})
    assert suggest_mapping(["Ville du client", "Notes"], users["manager_a"]) == {
        "Ville du client": "city", "Notes": ""}  # fmt: skip
    assert suggest_mapping(["Ville du client"], users["manager_c"]) == {"Ville du client": ""}


def test_check_mapping_names_each_column_at_fault(contact_world):
    manager, editor = contact_world.net.users["manager_a"], contact_world.net.users["editor_a"]
    errors = check_mapping({"a": "first_name", "b": "first_name", "c": None, "d": "password"},
                           manager)  # fmt: skip
    assert set(errors) == {"b", "c", "d", MAPPING_ERROR_KEY}
    assert check_mapping({"mail": "email", "x": ""}, manager) == {}
    assert set(check_mapping({"mail": "email", "tel": "phone"}, editor)) == {"tel"}


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"\x00\x01binary\x00", "not a CSV"), (b"PK\x03\x04broken", "damaged"),
     (b"email,email\na@example.org,b@example.org\n", "same header"),
     (",".join(f"c{i}" for i in range(201)).encode(), "more than 200 columns"),
     (b'email,city\na@example.org,"never closed\n' + b"x" * 140_000, "unclosed quote"),
     (b"email,city\na@example.org," + b"," * 1_000_001 + b"\n", "Line 2 of the file is too long")],
)  # fmt: skip
def test_unreadable_files_are_refused_with_a_reason(contact_world, content, message):
    with pytest.raises(FileRefused) as refused:
        make_job(contact_world, content)
    assert message in refused.value.messages[0]


def test_a_file_refused_partway_says_which_rows_were_imported(contact_world, settings):
    """Two chunks committed, then an unclosed quote: the message counts what is in."""
    settings.WAGTAIL_DISTMARK_IMPORT_CHUNK_SIZE = 2
    rows = [f"part{n}@example.org,Part" for n in range(5)]
    content = csv_bytes(*rows, header="email,first_name") + b'x@example.org,"never closed\n'
    job = make_job(contact_world, content + b"x" * 140_000)
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.processed_line == 5
    assert "unclosed quote" in job.message
    assert "4 rows up to line 5 were imported; the rest of the file was not." in job.message
    assert "continues after line 5" in job.message
    assert Contact.objects.filter(email__startswith="part").count() == 4


def test_a_file_over_the_size_limit_is_refused_before_reading(contact_world, settings):
    job = make_job(contact_world, csv_bytes("a@example.org", header="email"))
    settings.WAGTAIL_DISTMARK_IMPORT_MAX_BYTES = 10
    with pytest.raises(FileRefused, match="too large"):
        importing.sniff(job)
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "too large" in job.message


def test_the_report_lists_line_column_and_reason_safely(contact_world):
    content = csv_bytes("z@example.org,=cmd", header="email,@tags")
    job = make_job(contact_world, content, mapping={"email": "email", "@tags": "tags"})
    run_import(job.pk)
    out = io.StringIO()
    write_report(job, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["line", "column", "reason"]
    assert rows[1][:2] == ["2", "'@tags"]
    assert rows[1][2].startswith("Unknown tag")


def test_start_import_queues_the_task_once_committed(
    contact_world, monkeypatch, django_capture_on_commit_callbacks
):
    job = make_job(contact_world, csv_bytes("r1@example.org", header="email"))
    sent = []
    monkeypatch.setattr(importing.tasks.import_contacts, "apply_async",
                        lambda args=None, kwargs=None, **options: sent.append(args))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        importing.start_import(job)
        assert sent == []  # not before the job's row is committed
    assert sent == [(job.pk,)]
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED


def test_the_command_imports_and_prints_counts_and_errors(contact_world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("s1@example.org,Sue", "oops,Bad", header="Mail,Given"))
    out = io.StringIO()
    call_command("import_contacts", str(path), "--unit", "c-a", "--user", "manager_a",
                 "--type", "newsletter", "--evidence", "Paper form",
                 "--mapping", "Given=first_name", stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "created: 1" in text and "errors: 1" in text and "3\tMail\t" in text
    assert Contact.objects.get(email="s1@example.org").first_name == "Sue"


def test_the_command_dry_run_writes_nothing(contact_world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("s2@example.org", header="email"))
    out = io.StringIO()
    call_command("import_contacts", str(path), "--unit", "C-A", "--user", "manager_a",
                 "--dry-run", stdout=out)  # fmt: skip
    assert "to create: 1" in out.getvalue()
    assert not Contact.objects.filter(email="s2@example.org").exists()


@pytest.mark.parametrize(
    "content, arguments, message",
    [(b"", ["--unit", "C-A", "--user", "manager_a"], "empty"),
     (b"email\na@example.org\n", ["--unit", "C-B", "--user", "manager_a"], "may not import"),
     (b"email,notes\na@example.org,x\n", ["--unit", "C-A", "--user", "manager_a",
                                          "--mapping", "notes=password"], "notes")],
)  # fmt: skip
def test_the_command_refuses_with_a_reason(contact_world, tmp_path, content, arguments, message):
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_contacts", str(path), *arguments, stdout=io.StringIO())
    assert not Contact.objects.filter(email="a@example.org").exists()


def test_the_command_refuses_a_consent_without_its_evidence(contact_world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("s3@example.org", header="email"))
    with pytest.raises(CommandError, match="--evidence"):
        call_command("import_contacts", str(path), "--unit", "C-A", "--user", "manager_a",
                     "--type", "newsletter", "--evidence", "  ", stdout=io.StringIO())  # fmt: skip
    assert not ImportJob.objects.exists()
    assert not Contact.objects.filter(email="s3@example.org").exists()


def test_a_french_excel_csv_imports_through_the_command(contact_world):
    """Windows-1252, semicolons, CRLF, French headers, a quoted line break: as Excel saves."""
    out = io.StringIO()
    call_command("import_contacts", str(FILES / "excel-fr.csv"), "--unit", "C-A",
                 "--user", "manager_a", stdout=out)  # fmt: skip
    job = ImportJob.objects.get()
    assert (job.encoding, job.delimiter, job.created_count, job.error_count) == (
        "cp1252", ";", 3, 2)  # fmt: skip
    assert errors_of(job) == {(5, "Adresse e-mail"), (7, "Téléphone")}
    andre = Contact.objects.get(email="andre@example.fr")
    assert (andre.last_name, andre.city, andre.phone) == (
        "Bézier", "Paris\r\n2e arrondissement", "+33123456789")  # fmt: skip
    assert Contact.objects.get(email="francois@example.fr").last_name == "Dœuf"
    assert "5\tAdresse e-mail\t" in out.getvalue()


def test_a_finished_import_deletes_its_file_and_keeps_its_report(contact_world):
    job = make_job(contact_world, csv_bytes("keep1@example.org", "oops", header="email"))
    stored = job.file.name
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and not job.file
    assert not private_storage().exists(stored)
    assert errors_of(job) == {(3, "email")}  # the report is in the database


def test_a_failed_import_keeps_its_file_for_resume(contact_world, settings):
    job = make_job(contact_world, csv_bytes("keep2@example.org", header="email"))
    settings.WAGTAIL_DISTMARK_IMPORT_MAX_BYTES = 10
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.file
    assert private_storage().exists(job.file.name)


def aged(job, days, status, finished=True):
    when = timezone.now() - datetime.timedelta(days=days)
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, created_at=when, finished_at=when if finished else None)  # fmt: skip
    job.refresh_from_db()
    return job


def test_purging_deletes_the_files_of_failed_and_abandoned_imports_after_7_days(contact_world):
    Status = ImportJob.Status
    content = csv_bytes("p@example.org", header="email")
    old_failed = aged(make_job(contact_world, content), 8, Status.FAILED)
    old_checked = aged(make_job(contact_world, content), 8, Status.CHECKED, finished=False)
    done = aged(make_job(contact_world, content), 0, Status.DONE)
    recent_failed = aged(make_job(contact_world, content), 6, Status.FAILED)
    old_running = aged(make_job(contact_world, content), 8, Status.RUNNING, finished=False)
    names = {job.pk: job.file.name for job in ImportJob.objects.all()}
    assert tasks.purge_import_files() == 3
    storage = private_storage()
    for job in (old_failed, old_checked, done):
        job.refresh_from_db()
        assert not job.file and not storage.exists(names[job.pk])
    for job in (recent_failed, old_running):
        job.refresh_from_db()
        assert job.file and storage.exists(names[job.pk])
    assert old_checked.status == Status.FAILED and "deleted after 7 days" in old_checked.message
    run_import(old_failed.pk)  # "Resume" of a purged job: a reason, not a crash
    old_failed.refresh_from_db()
    assert old_failed.status == Status.FAILED and "no longer kept" in old_failed.message


def test_a_dry_run_on_a_broker_is_queued_once_the_mapping_is_committed(
    contact_world, monkeypatch, django_capture_on_commit_callbacks
):
    job = make_job(contact_world, csv_bytes("q1@example.org", header="email"))
    sent, conf = [], tasks.dry_run_contacts.app.conf
    monkeypatch.setattr(tasks.dry_run_contacts, "apply_async",
                        lambda args=None, kwargs=None, **options: sent.append(args))  # fmt: skip
    eager, conf.task_always_eager = conf.task_always_eager, False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            importing.start_dry_run(job, {"email": "email"})
            assert sent == []  # a worker would not see the mapping yet
    finally:
        conf.task_always_eager = eager
    assert sent == [(job.pk,)]
    job.refresh_from_db()
    assert (job.status, job.mapping) == (ImportJob.Status.UPLOADED, {"email": "email"})
    assert importing.is_checking(job)


def test_a_cell_with_nul_is_an_error_row_wherever_it_is(contact_world):
    """PostgreSQL refuses NUL: past the sniffed head of the file it is an error row, not a
    failed chunk (found by the attacker review). A quoted line break is kept as written."""
    padding = [f"pad{n}@example.org,{'P' * 80}" for n in range(1000)]  # NUL beyond the sniff
    content = csv_bytes('"r1@example.org","Ann\r\nBcc: x@example.org"', "r3@example.org,Rita",
                        *padding, "r2@example.org,A\x00B", header="email,first_name")  # fmt: skip
    job = make_job(contact_world, content)
    run_import(job.pk)
    job.refresh_from_db()
    assert errors_of(job) == {(1005, "first_name")}  # r1 spans lines 2-3, r3 is line 4
    assert Contact.objects.get(email="r1@example.org").first_name == "Ann\r\nBcc: x@example.org"
    assert not Contact.objects.filter(email="r2@example.org").exists()


def test_an_xlsx_whose_shared_strings_unpack_too_large_is_refused(contact_world, monkeypatch):
    """openpyxl reads the shared strings whole: their unpacked size is bounded first."""
    from wagtail_distmark.contacts import import_files

    book = openpyxl.Workbook()
    book.active.append(["email", "first_name"])
    for n in range(200):
        book.active.append([f"s{n}@example.org", f"Name number {n} " * 5])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer, "a") as archive:  # openpyxl writes inline strings
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 1000 + "</sst>")
    job = make_job(contact_world, buffer.getvalue(), name="contacts.xlsx")
    monkeypatch.setattr(import_files, "MAX_SHARED_STRINGS_BYTES", 1000)
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "too large once unpacked" in job.message
    assert not Contact.objects.filter(email__startswith="s1").exists()
