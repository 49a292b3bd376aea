"""Contact export: the permission, visible fields only, scope, formula injection, XLSX, Celery,
the expiring owner-only link and the audit log."""

import csv
import io
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from tests.contacts.conftest import make_contact
from tests.contacts.import_helpers import make_job
from wagtail_distmark.contacts import exporting
from wagtail_distmark.contacts.importing import run_import
from wagtail_distmark.models import Contact, ContactFieldPolicy, ExportJob, Membership

pytestmark = pytest.mark.django_db

EXPORT = reverse("wagtail_distmark:contacts_export")
EXPORTS = reverse("wagtail_distmark:contacts_exports")


def export(client, query="", file_format="csv"):
    """Start an export as the client's user; the job (or None) and the response."""
    before = set(ExportJob.objects.values_list("pk", flat=True))
    response = client.post(f"{EXPORT}?{query}", {"file_format": file_format})
    job = ExportJob.objects.exclude(pk__in=before).first()
    return job, response


def download(client, job):
    return client.get(reverse("wagtail_distmark:contacts_export_download", args=[job.pk]))


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(response).decode("utf-8-sig"))))


def exported_emails(client, query="") -> list[str]:
    job, _response = export(client, query)
    rows = csv_rows(download(client, job))
    column = rows[0].index("email")
    return sorted(row[column] for row in rows[1:])


def test_editors_may_not_export(contact_world, client_for):
    client = client_for(contact_world.net.users["editor_a"])
    assert client.get(EXPORT).status_code == 403
    job, response = export(client)
    assert response.status_code == 403
    assert job is None
    assert client.get(EXPORTS).status_code == 403


def test_the_form_tells_what_the_file_holds(contact_world, client_for):
    response = client_for(contact_world.net.users["manager_a"]).get(EXPORT)
    assert response.status_code == 200
    assert "2 contacts match the filter" in response.content.decode()


def test_an_unknown_format_is_a_form_error(contact_world, client_for):
    job, response = export(client_for(contact_world.net.users["manager_a"]), file_format="exe")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert job is None


def test_a_store_manager_exports_their_store_only(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    assert exported_emails(client) == ["alex@example.org", "ann@example.org"]


def test_a_regional_manager_exports_their_region_not_another(contact_world, client_for):
    emails = exported_emails(client_for(contact_world.net.users["regional_north"]))
    assert emails == ["alex@example.org", "ann@example.org", "bea@example.org", "bob@example.org"]


def test_an_editor_role_elsewhere_adds_nothing_to_a_managers_export(contact_world, client_for):
    """Manager of Store A and editor of Store B: the export holds A's contacts, not B's
    (an editor may not export; rules.contacts.exportable_contacts is the rule's twin)."""
    net = contact_world.net
    Membership.objects.create(user=net.users["manager_a"], unit=net.units["b"],
                              role=Membership.Role.UNIT_EDITOR)  # fmt: skip
    emails = exported_emails(client_for(net.fresh("manager_a")))
    assert emails == ["alex@example.org", "ann@example.org"]


def test_the_other_store_exports_none_of_store_a(contact_world, client_for):
    emails = exported_emails(client_for(contact_world.net.users["manager_c"]))
    assert emails == ["carl@example.org", "chloe@example.org"]


def reimport_counts(world, client) -> tuple:
    """Export the client's contacts, import the file back: (status, created, updated,
    unchanged), and whether any contact changed."""
    job, _response = export(client)
    before = list(Contact.objects.order_by("pk").values())
    again = make_job(world, content(download(client, job)), consent=False)
    run_import(again.pk)
    again.refresh_from_db()
    again.file.delete(save=False)
    changed = list(Contact.objects.order_by("pk").values()) != before
    return (again.status, again.created_count, again.updated_count, again.unchanged_count), changed


def test_an_export_reimports_as_unchanged(contact_world, client_for):
    """The "unit" column and the neutralised phones ("'+33…") read back as they were."""
    client = client_for(contact_world.net.users["manager_a"])
    assert reimport_counts(contact_world, client) == (("done", 0, 0, 2), False)


def test_a_neutralised_cell_reimports_as_unchanged(contact_world, client_for):
    Contact.objects.filter(pk=contact_world.people["a1"].pk).update(first_name="=Ann")
    client = client_for(contact_world.net.users["manager_a"])
    assert reimport_counts(contact_world, client) == (("done", 0, 0, 2), False)


def test_the_export_holds_the_listings_filter_and_search(contact_world, client_for):
    net = contact_world.net
    regional = client_for(net.users["regional_north"])
    assert exported_emails(regional, f"unit={net.units['b'].pk}") == [
        "bea@example.org", "bob@example.org"]  # fmt: skip
    assert exported_emails(regional, "q=ann") == ["ann@example.org"]
    assert exported_emails(regional, f"tag={contact_world.vip.pk}") == ["ann@example.org"]


def test_a_filter_cannot_reach_outside_the_scope(contact_world, client_for):
    net = contact_world.net
    manager = client_for(net.users["manager_a"])
    # Store C is not a choice of manager_a's unit filter: nothing, as in the listing.
    assert exported_emails(manager, f"unit={net.units['c'].pk}") == []
    assert exported_emails(manager, "q=chloe") == []


def test_an_export_cannot_search_a_field_the_role_cannot_see(contact_world, client_for):
    ContactFieldPolicy.objects.create(role="unit_manager", fields=["email", "first_name"])
    manager = client_for(contact_world.net.users["manager_a"])
    assert exported_emails(manager, "q=%2B33612345678") == []
    assert exported_emails(manager, "q=ann") == ["ann@example.org"]


def test_a_field_the_role_cannot_see_is_not_exported(contact_world, client_for):
    ContactFieldPolicy.objects.create(role="unit_manager", fields=["email", "first_name", "tags"])
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client)
    rows = csv_rows(download(client, job))
    assert rows[0] == ["email", "first_name", "tags", "unit"]
    assert job.fields == ["email", "first_name", "tags"]
    assert "+33612345678" not in content(download(client, job)).decode()
    ann = next(row for row in rows if row[0] == "ann@example.org")
    assert ann == ["ann@example.org", "Ann", "VIP", "C-A"]


def test_a_manager_sees_phones_when_the_role_may(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client)
    rows = csv_rows(download(client, job))
    phone = rows[0].index("phone")
    # A phone starts with "+": neutralised like any formula prefix.
    assert sorted(row[phone] for row in rows[1:]) == ["'+33612345678", "'+33612345679"]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_prefixes_are_neutralised(contact_world, client_for, prefix):
    evil = f'{prefix}HYPERLINK("http://evil.example")'
    make_contact(contact_world.net.units["a"], "evil@example.org", evil, "Doe")
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client)
    rows = csv_rows(download(client, job))
    first_name = rows[0].index("first_name")
    assert "'" + evil in [row[first_name] for row in rows]
    assert evil not in [row[first_name] for row in rows]


def test_harmless_text_is_left_as_it_is():
    assert exporting.neutralise("Ann") == "Ann"
    assert exporting.neutralise("a=b") == "a=b"
    assert exporting.neutralise(None) == ""


def test_xlsx_is_readable_and_holds_no_formula(contact_world, client_for):
    make_contact(contact_world.net.units["a"], "evil@example.org", "=1+1", "Doe\x07")
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client, file_format="xlsx")
    response = download(client, job)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(content(response)), read_only=True).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["email", "first_name", "last_name"]
    assert len(rows) == 4
    evil = next(row for row in rows if row[0] == "evil@example.org")
    assert evil[1:3] == ["'=1+1", "Doe"]


def test_a_large_export_runs_on_celery_with_a_status_page(
    contact_world, client_for, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_DISTMARK_EXPORT_INLINE_LIMIT = 1
    client = client_for(contact_world.net.users["manager_a"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job, response = export(client)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED and not job.file
    assert "being prepared" in client.get(response["Location"]).content.decode()
    assert download(client, job).status_code == 404
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.row_count == 2
    assert "Download" in client.get(response["Location"]).content.decode()
    assert len(csv_rows(download(client, job))) == 3


def test_the_task_exports_with_the_creators_scope_of_now(
    contact_world, settings, eager_celery, client_for, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_DISTMARK_EXPORT_INLINE_LIMIT = 1
    manager = contact_world.net.users["manager_a"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job, _response = export(client_for(manager))
    Membership.objects.filter(user=manager).delete()  # left the network before the task ran
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert not job.file
    assert "may no longer export" in job.message


def test_the_task_reads_the_creators_scope_and_fields_when_it_runs(
    contact_world, settings, eager_celery, client_for, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_DISTMARK_EXPORT_INLINE_LIMIT = 1
    net = contact_world.net
    regional = net.users["regional_north"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job, _response = export(client_for(regional))
    assert "phone" in job.fields
    # Before the task runs: moved down to Store A, and HQ hid phones from store managers.
    Membership.objects.filter(user=regional).update(unit=net.units["a"], role="unit_manager")
    ContactFieldPolicy.objects.create(role="unit_manager", fields=["email", "first_name"])
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.status, job.row_count, job.fields) == ("done", 2, ["email", "first_name"])
    rows = csv_rows(download(client_for(regional), job))
    assert rows[0] == ["email", "first_name", "unit"]
    assert sorted(row[0] for row in rows[1:]) == ["alex@example.org", "ann@example.org"]


def test_another_user_cannot_download_or_see_the_export(contact_world, client_for):
    users = contact_world.net.users
    job, _response = export(client_for(users["manager_a"]))
    for intruder in ("manager_c", "regional_north"):
        client = client_for(users[intruder])
        response = download(client, job)
        assert response.status_code == 404
        assert "ann@example.org" not in content(response).decode()
        page = reverse("wagtail_distmark:contacts_export_job", args=[job.pk])
        assert client.get(page).status_code == 404
        assert f"Export #{job.pk}" not in client.get(EXPORTS).content.decode()
    hq = client_for(users["hq"])
    assert "ann@example.org" in content(download(hq, job)).decode()
    downloads = ModelLogEntry.objects.filter(action="wagtail_distmark.download_export")
    assert list(downloads.values_list("object_id", "user__username")) == [(str(job.pk), "hq")]
    assert f"Export #{job.pk}" in hq.get(EXPORTS).content.decode()


def test_the_link_only_answers_a_get(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client)
    link = reverse("wagtail_distmark:contacts_export_download", args=[job.pk])
    response = client.post(link)
    assert response.status_code == 405
    assert b"ann@example.org" not in content(response)


def test_the_creator_sees_the_export_in_the_listing(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client, "city=Paris")
    listing = client.get(EXPORTS).content.decode()
    assert f"Export #{job.pk}" in listing
    assert "city=Paris" in listing


def test_an_expired_link_serves_nothing_and_deletes_the_file(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client)
    storage, name = job.file.storage, job.file.name
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = download(client, job)
    assert response.status_code == 410
    assert "ann@example.org" not in content(response).decode()
    assert "expired" in content(response).decode()
    assert not storage.exists(name)


def test_expired_files_are_purged_and_the_jobs_kept(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    old, _response = export(client)
    fresh, _response = export(client)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert exporting.purge_expired_exports() == 1
    assert not old.file.storage.exists(old.file.name)
    assert fresh.file.storage.exists(fresh.file.name)
    old.refresh_from_db()
    assert (old.file.name, old.row_count) == ("", 2)


def test_the_link_expires_after_the_configured_hours(contact_world, client_for, settings):
    settings.WAGTAIL_DISTMARK_EXPORT_LINK_HOURS = 2
    job, _response = export(client_for(contact_world.net.users["manager_a"]))
    job.refresh_from_db()
    left = job.expires_at - timezone.now()
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)


def test_every_export_is_in_the_audit_log(contact_world, client_for):
    manager = contact_world.net.users["manager_a"]
    job, _response = export(client_for(manager), "city=Paris&city=Lille")
    entry = ModelLogEntry.objects.get(action=exporting.LOG_ACTION, object_id=str(job.pk))
    assert entry.user_id == manager.pk
    assert entry.data["row_count"] == 2
    assert entry.data["filters"] == {"city": ["Paris", "Lille"]}
    assert entry.data["filter"] == "city=Paris, Lille"
    assert entry.timestamp <= timezone.now()
    assert "Exported 2 contacts as CSV" in str(entry.formatter.format_message(entry))


def test_the_exports_menu_item_is_for_exporters_only(contact_world, client_for):
    home = reverse("wagtailadmin_home")
    assert EXPORTS in client_for(contact_world.net.users["manager_a"]).get(home).content.decode()
    assert EXPORTS not in client_for(contact_world.net.users["editor_a"]).get(home).content.decode()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_wagtails_own_listing_export_is_not_offered(contact_world, client_for, file_format):
    """Exports go through this module only (fields, neutralising, audit): the viewset's
    built-in spreadsheet export (``?export=``) answers the listing page, not a file."""
    listing = reverse("distmark_contacts:index")
    response = client_for(contact_world.net.users["hq"]).get(f"{listing}?export={file_format}")
    assert "attachment" not in response.get("Content-Disposition", "")
    assert response["Content-Type"].startswith("text/html")


def test_the_kept_filter_is_bounded():
    query = QueryDict(mutable=True)
    for index in range(100):
        query.setlist(f"k{index}", ["x" * 1000] * 100)
    query["p"] = "3"
    filters = exporting.bounded_filters(query)
    assert len(filters) == exporting.MAX_FILTER_KEYS
    assert "p" not in filters
    values = next(iter(filters.values()))
    assert len(values) == exporting.MAX_FILTER_VALUES
    assert len(values[0]) == exporting.MAX_FILTER_LENGTH


def test_a_filter_is_kept_without_nul_or_lone_surrogates(contact_world, client_for):
    client = client_for(contact_world.net.users["manager_a"])
    job, _response = export(client, "q=an%00n")
    assert job.filters == {"q": ["ann"]}
    query = QueryDict(mutable=True)
    query["q"] = "a\ud800b"
    assert exporting.bounded_filters(query) == {"q": ["a?b"]}
