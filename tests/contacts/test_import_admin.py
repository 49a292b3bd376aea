"""The admin's import wizard: the whole walk as a store manager, and every way around it.

Celery runs eagerly in the tests (as in the demo): the import finishes inside the request that
starts it, so the status page is already "Done" when the walk reaches it.
"""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import pre_save
from django.urls import reverse

from tests.admin_html import breadcrumbs, described_by, has_slim_header
from wagtail_distmark.contacts import importing
from wagtail_distmark.contacts.consent import SUBSCRIBED, UNSUBSCRIBED, current_status
from wagtail_distmark.models import Contact, ContactFieldPolicy, ImportJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def imports_run_in_the_request(eager_celery):
    """The wizard's walks see a finished import (CI points Celery at a real broker; the
    import on a real worker is tests/contacts/test_import_worker.py's)."""


CSV = (
    "email;first_name;last_name;phone\r\n"
    "ann@example.org;Ann;Archer;+33612345678\r\n"  # already at Store A, same values
    "nina@example.org;Nina;Noor;+33611111111\r\n"
    "not-an-email;Bad;Row;\r\n"
    "omar@example.org;Omar;Ortiz;\r\n"
)
MAPPING = {"email": "email", "first_name": "first_name", "last_name": "last_name", "phone": "phone"}


def url(name, job=None):
    return reverse(f"wagtail_distmark:{name}", args=[job.pk] if job else [])


def upload(client, unit, content=CSV, name="customers.csv", **extra):
    data = {"file": SimpleUploadedFile(name, content.encode() if isinstance(content, str)
                                       else content, content_type="text/csv"),
            "unit": unit.pk, **extra}  # fmt: skip
    return client.post(url("contacts_import"), data)


def mapping_post(mapping, headers=("email", "first_name", "last_name", "phone")):
    return {f"column_{i}": mapping.get(header, "") for i, header in enumerate(headers)}


@pytest.fixture
def manager_a(contact_world, client_for):
    return client_for(contact_world.net.users["manager_a"])


@pytest.fixture
def job_of_a(contact_world, manager_a):
    """manager_a's upload, mapped: ready for its dry run."""
    response = upload(manager_a, contact_world.net.units["a"])
    job = ImportJob.objects.get()
    assert response.status_code == 302
    response = manager_a.post(url("contacts_import_mapping", job), mapping_post(MAPPING))
    assert response.status_code == 302, response.content.decode()[:3000]
    job.refresh_from_db()
    return job


def test_manager_walks_the_whole_import(
    contact_world, manager_a, django_capture_on_commit_callbacks
):
    store_a = contact_world.net.units["a"]
    page = manager_a.get(url("contacts_import"))
    assert page.status_code == 200 and has_slim_header(page.content.decode())
    assert [label for label, _link in breadcrumbs(page.content.decode())] == [
        "Home", "Contact imports", "Import contacts"]  # fmt: skip
    assert "Store A" in page.content.decode() and "Store C" not in page.content.decode()

    response = upload(manager_a, store_a, communication_type=contact_world.newsletter.pk,
                      consent_evidence="Paper forms, Store A, October")  # fmt: skip
    job = ImportJob.objects.get()
    assert response["Location"] == url("contacts_import_mapping", job)
    assert job.created_by == contact_world.net.users["manager_a"] and job.unit == store_a

    page = manager_a.get(url("contacts_import_mapping", job)).content.decode()
    assert "nina@example.org" in page  # a sample value under its column
    response = manager_a.post(url("contacts_import_mapping", job), mapping_post(MAPPING))
    assert response["Location"] == url("contacts_import_dry_run", job)

    page = manager_a.get(url("contacts_import_dry_run", job)).content.decode()
    assert "What the import would do" in page and "not-an-email" not in page
    assert count_in(page, "Rows in the file") == 4
    assert count_in(page, "Contacts to create") == 2
    assert count_in(page, "Rows with errors") == 1
    assert Contact.objects.filter(email="nina@example.org").count() == 0  # a dry run

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_a.post(url("contacts_import_start", job))
    assert response["Location"] == url("contacts_import_status", job)

    page = manager_a.get(url("contacts_import_status", job)).content.decode()
    assert "Status: Done" in page and 'value="100"' in page
    assert count_in(page, "Contacts created") == 2
    assert url("contacts_import_report", job) in page
    assert set(Contact.objects.for_user(contact_world.net.users["manager_a"]).values_list(
        "email", flat=True)) >= {"nina@example.org", "omar@example.org"}  # fmt: skip

    progress = manager_a.get(url("contacts_import_progress", job)).json()
    assert progress["finished"] and progress["percent"] == 100 and progress["errors"] == 1

    report = manager_a.get(url("contacts_import_report", job))
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows == [["line", "column", "reason"], ["4", "email", "Enter a valid e-mail address."]]

    listing = manager_a.get(url("contacts_imports")).content.decode()
    assert "customers.csv" in listing and url("contacts_import_report", job) in listing
    assert url("contacts_import_status", job) in listing and "Done" in listing


def count_in(page: str, label: str) -> int:
    """The number in the counts table's row labelled ``label``."""
    row = page.split(f">{label}</th>", 1)[1].split("</td>", 1)[0]
    return int("".join(char for char in row if char.isdigit()))


def test_an_excel_file_walks_the_same_way(
    contact_world, manager_a, django_capture_on_commit_callbacks
):
    workbook = openpyxl.Workbook()
    for row in (["E-mail", "Prénom"], ["xavier@example.org", "Xavier"], ["bad", "Bad"]):
        workbook.active.append(row)
    content = io.BytesIO()
    workbook.save(content)
    upload(manager_a, contact_world.net.units["a"], content.getvalue(), name="shop.xlsx")
    job = ImportJob.objects.get()
    form = manager_a.get(url("contacts_import_mapping", job)).context["form"]
    assert form.initial == {"column_0": "email", "column_1": "first_name"}  # suggested
    manager_a.post(url("contacts_import_mapping", job), form.initial)
    with django_capture_on_commit_callbacks(execute=True):
        manager_a.post(url("contacts_import_start", job))
    page = manager_a.get(url("contacts_import_status", job)).content.decode()
    assert count_in(page, "Contacts created") == 1 and count_in(page, "Rows with errors") == 1
    assert Contact.objects.filter(email="xavier@example.org", first_name="Xavier").exists()


def test_reimporting_the_same_file_changes_nothing(
    contact_world, manager_a, job_of_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        manager_a.post(url("contacts_import_start", job_of_a))
    upload(manager_a, contact_world.net.units["a"])
    again = ImportJob.objects.exclude(pk=job_of_a.pk).get()
    manager_a.post(url("contacts_import_mapping", again), mapping_post(MAPPING))
    page = manager_a.get(url("contacts_import_dry_run", again)).content.decode()
    assert count_in(page, "Contacts to create") == 0
    assert count_in(page, "Contacts to update") == 0


def test_the_mapping_is_remembered_for_the_user(contact_world, manager_a, job_of_a):
    """Headers no synonym matches: only the user's last choice can pre-fill them."""
    upload(manager_a, contact_world.net.units["a"], "Client;Who\r\nx@example.org;X\r\n")
    job = ImportJob.objects.exclude(pk=job_of_a.pk).get()
    assert manager_a.get(url("contacts_import_mapping", job)).context["form"].initial == {
        "column_0": "", "column_1": ""}  # fmt: skip
    manager_a.post(url("contacts_import_mapping", job),
                   mapping_post({"Client": "email", "Who": "first_name"},
                                headers=("Client", "Who")))  # fmt: skip
    upload(manager_a, contact_world.net.units["a"], "Who;Client\r\ny@example.org;Y\r\n")
    latest = ImportJob.objects.order_by("-pk").first()
    form = manager_a.get(url("contacts_import_mapping", latest)).context["form"]
    assert form.initial == {"column_0": "first_name", "column_1": "email"}


def test_editor_may_not_import_and_is_not_offered_it(contact_world, client_for):
    editor = client_for(contact_world.net.users["editor_a"])
    assert editor.get(url("contacts_import")).status_code == 403
    assert upload(editor, contact_world.net.units["a"]).status_code == 403
    assert editor.get(url("contacts_imports")).status_code == 403
    assert ImportJob.objects.count() == 0
    assert "Import contacts" not in editor.get(reverse("wagtailadmin_home")).content.decode()


def test_manager_is_offered_the_import(manager_a):
    home = manager_a.get(reverse("wagtailadmin_home")).content.decode()
    assert "Import contacts" in home and url("contacts_import") in home


JOB_URLS = ("contacts_import_status", "contacts_import_mapping", "contacts_import_dry_run",
            "contacts_import_progress", "contacts_import_report")  # fmt: skip


@pytest.mark.parametrize("name", JOB_URLS)
def test_another_store_never_reaches_the_job(contact_world, client_for, job_of_a, name):
    manager_c = client_for(contact_world.net.users["manager_c"])
    response = manager_c.get(url(name, job_of_a))
    assert response.status_code == 404
    assert "customers.csv" not in response.content.decode()


def test_another_store_cannot_start_the_job_nor_list_it(contact_world, client_for, job_of_a):
    manager_c = client_for(contact_world.net.users["manager_c"])
    assert manager_c.post(url("contacts_import_start", job_of_a)).status_code == 404
    assert manager_c.post(url("contacts_import_mapping", job_of_a), {}).status_code == 404
    listing = manager_c.get(url("contacts_imports"))
    assert listing.status_code == 200 and "customers.csv" not in listing.content.decode()
    job_of_a.refresh_from_db()
    assert job_of_a.status != ImportJob.Status.DONE
    assert not Contact.objects.filter(email="nina@example.org").exists()


def test_own_job_is_reached_and_hq_sees_it(contact_world, client_for, manager_a, job_of_a):
    assert manager_a.get(url("contacts_import_dry_run", job_of_a)).status_code == 200
    hq = client_for(contact_world.net.users["hq"])
    assert "customers.csv" in hq.get(url("contacts_imports")).content.decode()


def test_a_unit_out_of_scope_is_a_form_error(contact_world, manager_a):
    response = upload(manager_a, contact_world.net.units["c"])
    assert response.status_code == 200
    assert any("valid choice" in text for text in described_by(response.content.decode(), "unit"))
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("unit", ["garbage", "99999999999999999999", ""])
def test_garbage_unit_is_a_form_error(contact_world, manager_a, unit):
    data = {"file": SimpleUploadedFile("x.csv", CSV.encode()), "unit": unit}
    response = manager_a.post(url("contacts_import"), data)
    assert response.status_code == 200 and response.context["form"].errors["unit"]
    assert ImportJob.objects.count() == 0


def test_consent_needs_its_evidence(contact_world, manager_a):
    newsletter = contact_world.newsletter.pk
    response = upload(manager_a, contact_world.net.units["a"],
                      communication_type=newsletter, consent_evidence="  ")  # fmt: skip
    assert response.status_code == 200
    assert any("consent" in text for text in described_by(response.content.decode(),
                                                             "consent_evidence"))  # fmt: skip
    assert ImportJob.objects.count() == 0


def test_an_unreadable_file_is_refused_on_its_field_and_nothing_else_lost(contact_world, manager_a):
    response = upload(manager_a, contact_world.net.units["a"], b"PK\x03\x04 not a workbook",
                      name="customers.xlsx", communication_type=contact_world.newsletter.pk,
                      consent_evidence="Signed forms, October")  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert described_by(page, "file")  # the refusal, linked to the file input
    assert "Signed forms, October" in page  # the other answers are kept
    assert ImportJob.objects.count() == 0


def test_a_file_too_large_is_refused_before_it_is_read(contact_world, manager_a, settings):
    settings.WAGTAIL_DISTMARK_IMPORT_MAX_BYTES = 10
    response = upload(manager_a, contact_world.net.units["a"])
    assert "too large" in " ".join(described_by(response.content.decode(), "file"))
    assert ImportJob.objects.count() == 0


def test_a_file_too_large_is_never_stored(contact_world, manager_a, settings):
    """Refused on the upload's own size, before the job (and its file) is saved."""
    settings.WAGTAIL_DISTMARK_IMPORT_MAX_BYTES = 10
    saved = []

    def record(sender, instance, **kwargs):
        saved.append(instance)

    pre_save.connect(record, sender=ImportJob, dispatch_uid="test-import-save")
    try:
        response = upload(manager_a, contact_world.net.units["a"])
    finally:
        pre_save.disconnect(sender=ImportJob, dispatch_uid="test-import-save")
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert saved == [] and ImportJob.objects.count() == 0


def test_a_wrong_extension_is_refused(contact_world, manager_a):
    response = upload(manager_a, contact_world.net.units["a"], name="customers.exe")
    assert response.status_code == 200 and response.context["form"].errors["file"]


def test_a_hidden_field_cannot_be_a_mapping_target(contact_world, manager_a, job_of_a):
    ContactFieldPolicy.objects.create(role="unit_manager", fields=["email", "first_name"])
    response = manager_a.post(url("contacts_import_mapping", job_of_a),
                              mapping_post({"email": "email", "phone": "phone"}))  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["column_3"]  # the phone column
    assert any("valid choice" in text for text in described_by(response.content.decode(),
                                                                "column_3"))  # fmt: skip
    assert 'value="phone"' not in response.content.decode()  # not even offered


@pytest.mark.parametrize("value", ["<script>", "unit__path", "x" * 5000])
def test_garbage_mapping_values_are_form_errors(contact_world, manager_a, job_of_a, value):
    response = manager_a.post(url("contacts_import_mapping", job_of_a),
                              mapping_post({"email": value}))  # fmt: skip
    assert response.status_code == 200 and response.context["form"].errors["column_0"]


def test_a_mapping_without_email_is_refused(contact_world, manager_a, job_of_a):
    response = manager_a.post(url("contacts_import_mapping", job_of_a),
                              mapping_post({"first_name": "first_name"}))  # fmt: skip
    assert response.status_code == 200 and response.context["form"].errors
    assert manager_a.get(url("contacts_import_dry_run", job_of_a)).status_code == 200


def test_start_is_post_only_and_a_started_job_cannot_be_remapped(
    contact_world, manager_a, job_of_a, django_capture_on_commit_callbacks
):
    assert manager_a.get(url("contacts_import_start", job_of_a)).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        manager_a.post(url("contacts_import_start", job_of_a))
    response = manager_a.post(url("contacts_import_mapping", job_of_a), mapping_post({}))
    assert response["Location"] == url("contacts_import_status", job_of_a)
    job_of_a.refresh_from_db()
    assert job_of_a.mapping == MAPPING


def test_a_queued_job_shows_a_progress_bar_and_a_refresh_link(contact_world, manager_a, job_of_a):
    ImportJob.objects.filter(pk=job_of_a.pk).update(
        status=ImportJob.Status.RUNNING, total_rows=4, processed_rows=1
    )
    page = manager_a.get(url("contacts_import_status", job_of_a)).content.decode()
    assert '<progress id="import-progress" max="100" value="25"' in page
    assert 'for="import-progress"' in page and 'aria-live="polite"' in page
    assert "25% (1 of 4 rows)" in page and "data-import-refresh" in page
    assert "contact_import.js" in page
    progress = manager_a.get(url("contacts_import_progress", job_of_a)).json()
    assert progress == {**progress, "finished": False, "percent": 25, "processed_rows": 1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_crashing_import_is_a_failed_job_not_a_500(
    contact_world, manager_a, job_of_a, monkeypatch
):
    """Committed transactions, as in the demo: the eager task runs inside the request.
    ``serialized_rollback``: the migrations' rows (content types …) come back afterwards
    without post_migrate re-creating them under a later serialized test."""

    def crash(job_id):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(importing, "run_import", crash)
    response = manager_a.post(url("contacts_import_start", job_of_a))
    assert response["Location"] == url("contacts_import_status", job_of_a)
    page = manager_a.get(url("contacts_import_status", job_of_a)).content.decode()
    assert "Status: Failed" in page and "could not be started" in page
    assert "Resume the import" in page
    monkeypatch.undo()
    manager_a.post(url("contacts_import_start", job_of_a))  # resumed
    job_of_a.refresh_from_db()
    assert job_of_a.status == ImportJob.Status.DONE and job_of_a.created_count == 2
    assert Contact.objects.filter(email="nina@example.org").count() == 1


def test_another_store_is_not_offered_to_resume(
    contact_world, client_for, job_of_a, django_capture_on_commit_callbacks
):
    ImportJob.objects.filter(pk=job_of_a.pk).update(status=ImportJob.Status.FAILED)
    manager_c = client_for(contact_world.net.users["manager_c"])
    assert manager_c.post(url("contacts_import_start", job_of_a)).status_code == 404
    job_of_a.refresh_from_db()
    assert job_of_a.status == ImportJob.Status.FAILED


def test_a_long_file_name_is_kept_short_enough(contact_world, manager_a):
    response = upload(manager_a, contact_world.net.units["a"], name="c" * 300 + ".csv")
    job = ImportJob.objects.get()
    assert response["Location"] == url("contacts_import_mapping", job)
    assert len(job.file.name) <= 100 and len(job.original_name) <= 255


def test_an_unsubscribed_person_stays_so_and_the_page_says_it(
    contact_world, manager_a, django_capture_on_commit_callbacks
):
    content = "email;first_name\r\nalex@example.org;Alex\r\nzoe@example.org;Zoé\r\n"
    newsletter = contact_world.newsletter.pk
    upload(manager_a, contact_world.net.units["a"], content,
           communication_type=newsletter, consent_evidence="Signed forms")  # fmt: skip
    job = ImportJob.objects.get()
    manager_a.post(url("contacts_import_mapping", job),
                   mapping_post(MAPPING, headers=("email", "first_name")))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        manager_a.post(url("contacts_import_start", job))
    page = manager_a.get(url("contacts_import_status", job)).content.decode()
    assert "1 person stayed unsubscribed" in page and url("contacts_import_report", job) in page
    assert current_status(contact_world.people["a2"], contact_world.newsletter) == UNSUBSCRIBED
    zoe = Contact.objects.get(email="zoe@example.org")
    assert current_status(zoe, contact_world.newsletter) == SUBSCRIBED


def test_a_clean_import_says_there_is_nothing_to_report(
    contact_world, manager_a, django_capture_on_commit_callbacks
):
    upload(manager_a, contact_world.net.units["a"], "email\r\nyann@example.org\r\n")
    job = ImportJob.objects.get()
    manager_a.post(url("contacts_import_mapping", job), mapping_post(MAPPING, headers=("email",)))
    with django_capture_on_commit_callbacks(execute=True):
        manager_a.post(url("contacts_import_start", job))
    page = manager_a.get(url("contacts_import_status", job)).content.decode()
    assert "no error to report" in page and "Download the error report" not in page


def test_a_job_not_started_is_taken_up_where_it_was_left(contact_world, manager_a, job_of_a):
    status = url("contacts_import_status", job_of_a)
    assert manager_a.get(status)["Location"] == url("contacts_import_dry_run", job_of_a)
    ImportJob.objects.filter(pk=job_of_a.pk).update(mapping={})
    assert manager_a.get(status)["Location"] == url("contacts_import_mapping", job_of_a)


def test_the_upload_form_states_the_size_limit(contact_world, manager_a, settings):
    settings.WAGTAIL_DISTMARK_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    page = manager_a.get(url("contacts_import")).content.decode()
    assert "At most 5.0\xa0MB." in page


def test_the_dry_run_runs_once_when_the_mapping_is_saved(
    contact_world, manager_a, job_of_a, monkeypatch
):
    """On Celery (eager here), started by saving the mapping; the page only reads its result."""
    runs, dry_run = [], importing.dry_run

    def counted(job, progress=None):
        runs.append(job.pk)
        return dry_run(job, progress)

    monkeypatch.setattr(importing, "dry_run", counted)
    manager_a.post(url("contacts_import_mapping", job_of_a), mapping_post(MAPPING))
    assert runs == [job_of_a.pk]
    for _reload in range(2):
        page = manager_a.get(url("contacts_import_dry_run", job_of_a)).content.decode()
        assert count_in(page, "Contacts to create") == 2 and count_in(page, "Rows with errors") == 1
        assert (
            "Enter a valid e-mail address." in page
            and url("contacts_import_start", job_of_a) in page
        )
    assert runs == [job_of_a.pk]
    job_of_a.refresh_from_db()
    assert job_of_a.status == ImportJob.Status.CHECKED and job_of_a.total_rows == 4


def test_while_the_file_is_checked_the_page_shows_its_progress(contact_world, manager_a, job_of_a):
    ImportJob.objects.filter(pk=job_of_a.pk).update(status=ImportJob.Status.UPLOADED,
                                                    processed_rows=3)  # fmt: skip
    page = manager_a.get(url("contacts_import_dry_run", job_of_a)).content.decode()
    assert "Checking the file" in page and "3 rows checked" in page
    assert url("contacts_import_progress", job_of_a) in page and "contact_import.js" in page
    assert url("contacts_import_start", job_of_a) not in page  # no "Import" before the check
    progress = manager_a.get(url("contacts_import_progress", job_of_a)).json()
    assert progress == {**progress, "finished": False, "percent": None, "processed_rows": 3}


def test_a_refused_check_says_why_and_offers_the_mapping(
    contact_world, manager_a, job_of_a, monkeypatch
):
    def refuse(job, progress=None):
        raise importing.FileRefused("The file cannot be read after line 7.")

    monkeypatch.setattr(importing, "dry_run", refuse)
    response = manager_a.post(url("contacts_import_mapping", job_of_a), mapping_post(MAPPING))
    assert response["Location"] == url("contacts_import_dry_run", job_of_a)
    page = manager_a.get(url("contacts_import_dry_run", job_of_a)).content.decode()
    assert "could not be checked" in page and "after line 7" in page
    assert url("contacts_import_mapping", job_of_a) in page
    assert url("contacts_import_start", job_of_a) not in page
    assert manager_a.get(url("contacts_import_progress", job_of_a)).json()["finished"]


def test_a_check_that_cannot_be_queued_says_so(contact_world, manager_a, job_of_a, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(importing.tasks.dry_run_contacts, "delay", unreachable)
    manager_a.post(url("contacts_import_mapping", job_of_a), mapping_post(MAPPING))
    page = manager_a.get(url("contacts_import_dry_run", job_of_a)).content.decode()
    assert "could not be checked" in page and "Save the mapping again" in page


def test_the_mapping_screen_reads_what_the_upload_detected(
    contact_world, manager_a, job_of_a, monkeypatch
):
    """No detection again (it reads the whole file to check its encoding): only the head."""

    def detect(*args):
        raise AssertionError("detected again")

    monkeypatch.setattr(importing, "detect_encoding", detect)
    monkeypatch.setattr(importing, "detect_delimiter", detect)
    page = manager_a.get(url("contacts_import_mapping", job_of_a))
    assert page.status_code == 200 and "nina@example.org" in page.content.decode()
    response = manager_a.post(url("contacts_import_mapping", job_of_a), mapping_post(MAPPING))
    assert response["Location"] == url("contacts_import_dry_run", job_of_a)


def test_a_failed_import_says_where_resume_continues(contact_world, manager_a, job_of_a):
    ImportJob.objects.filter(pk=job_of_a.pk).update(status=ImportJob.Status.FAILED,
                                                    processed_line=3, processed_rows=2)  # fmt: skip
    page = manager_a.get(url("contacts_import_status", job_of_a)).content.decode()
    assert "Resume the import" in page and "the rows after line 3, the last one written" in page


def test_a_failed_import_whose_file_was_purged_offers_no_resume(contact_world, manager_a, job_of_a):
    job_of_a.file.delete(save=False)
    ImportJob.objects.filter(pk=job_of_a.pk).update(status=ImportJob.Status.FAILED, file="")
    page = manager_a.get(url("contacts_import_status", job_of_a)).content.decode()
    assert "Status: Failed" in page and "Resume the import" not in page
