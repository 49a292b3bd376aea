"""Contact export: visible fields only, formula injection neutralised, audited, expiring link.

An export is an :class:`~wagtail_distmark.contacts.models.ExportJob`: the filter and the fields
are frozen when the user asks, the file is built (at once or on Celery) with the *creator's*
scope and field visibility at that moment (they may have shrunk since), stored in private
storage and served only through the job's expiring link (``export_admin``). Every finished
export is an entry of Wagtail's audit log (:data:`LOG_ACTION`): who, when, filter, row count.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from wagtail.log_actions import log

from wagtail_distmark.conf import get_export_link_hours
from wagtail_distmark.contacts import filtering
from wagtail_distmark.contacts.models import Contact, ExportJob, Tag
from wagtail_distmark.contacts.spreadsheet import neutralise
from wagtail_distmark.ids import clean_search
from wagtail_distmark.rules.contacts import all_field_names, exportable_contacts, visible_fields

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = "wagtail_distmark.export_contact"
#: The audit log action of a finished export (registered in ``export_admin``).
LOG_ACTION = "wagtail_distmark.export_contacts"
FORMATS = {"csv": _("CSV (comma-separated)"), "xlsx": _("Excel workbook (XLSX)")}
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
#: The column after the personal fields: the code of the contact's unit, as an import reads
#: it back ("lists" mode: the codes of each of the user's units the contact is on); a unit
#: outside the user's scope is never named.
UNIT_COLUMN = "unit"
CHUNK = 1000
#: Bounds on the listing's query string an export keeps (user text is bounded before use).
MAX_FILTER_KEYS = 30
MAX_FILTER_VALUES = 50
MAX_FILTER_LENGTH = 200
#: Query-string keys that are not a filter.
NOT_FILTERS = frozenset({"p", "csrfmiddlewaretoken", "_w_filter_fragment"})


class ExportRefused(Exception):
    """The job's creator may no longer export (left the network, lost the role)."""


def bounded_filters(query) -> dict[str, list[str]]:
    """The listing's query string (a ``QueryDict``) as the job keeps it: at most
    :data:`MAX_FILTER_KEYS` keys of at most :data:`MAX_FILTER_VALUES` values, each cut to
    :data:`MAX_FILTER_LENGTH` characters."""
    keys = [key for key in query if key not in NOT_FILTERS][:MAX_FILTER_KEYS]
    return {
        storable(key): [storable(value) for value in query.getlist(key)[:MAX_FILTER_VALUES]]
        for key in keys
    }


def storable(text: str) -> str:
    """Bounded text a JSON column of every database keeps (PostgreSQL refuses NUL and lone
    surrogates)."""
    text = clean_search(str(text)[:MAX_FILTER_LENGTH])
    return text.encode("utf-8", "replace").decode("utf-8")


def describe_filters(filters: dict) -> str:
    """One line for screens and the audit log: ``city=Paris; tag=VIP`` (or "no filter")."""
    parts = [f"{key}={', '.join(values)}" for key, values in filters.items() if any(values)]
    return "; ".join(parts) or str(_("no filter"))


def export_fields(user, wanted: Iterable[str] | None = None) -> list[str]:
    """The fields a file holds, in the screens' order: those the user sees now (and, for a
    job, that were asked for when it was created)."""
    seen = visible_fields(user)
    wanted = set(seen if wanted is None else wanted)
    return [name for name in all_field_names() if name in seen and name in wanted]


def export_queryset(user, filters: dict) -> QuerySet:
    """The contacts an export of ``filters`` holds: the listing's rows in its order, always
    within the contacts the user may export (on a unit they manage), erased ones left out
    (they hold no personal data)."""
    listed = filtering.filtered_contacts(user, filters)
    reachable = exportable_contacts(user).live()
    return listed.filter(pk__in=reachable.values("pk"))


def with_columns(queryset: QuerySet, user, fields: list[str]) -> QuerySet:
    """Prefetch what the rows read: tags (if shown) and the links in the user's scope."""
    lookups = [filtering.scoped_links_prefetch(user)]
    if "tags" in fields:
        lookups.append(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    return queryset.prefetch_related(*lookups)


def cell(contact: Contact, name: str) -> str:
    """A field's value as text: a standard field, the tags, or an attribute by key."""
    if name == "tags":
        return "; ".join(tag.name for tag in contact.tags.all())
    if name in Contact.PERSONAL_FIELDS:
        value = getattr(contact, name)
    else:
        value = (contact.attributes or {}).get(name)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else str(value)


def rows(queryset: QuerySet, user, fields: list[str]) -> Iterator[list[str]]:
    """The header, then one neutralised row per contact."""
    yield [*fields, UNIT_COLUMN]
    for contact in with_columns(queryset, user, fields).iterator(chunk_size=CHUNK):
        units = "; ".join(link.unit.code for link in contact.scoped_links)
        yield [neutralise(cell(contact, name)) for name in fields] + [neutralise(units)]


def write_csv(lines: Iterable[list[str]], out) -> int:
    """UTF-8 with a byte-order mark, so that spreadsheets read the accents right."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    count = -1
    for count, line in enumerate(lines):  # noqa: B007 -- the count is the result
        writer.writerow(line)
    text.flush()
    text.detach()
    return max(count, 0)


def write_xlsx(lines: Iterable[list[str]], out) -> int:
    """openpyxl's write-only mode streams the rows; every cell is text (no formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Contacts")))
    count = -1
    for count, line in enumerate(lines):  # noqa: B007 -- the count is the result
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in line])
    workbook.save(out)
    return max(count, 0)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


def file_name(job: ExportJob) -> str:
    return f"contacts-{job.pk}-{job.created_at:%Y%m%d-%H%M}.{job.file_format}"


def creator_of(job: ExportJob):
    """The job's creator, if they may still export: the file follows their scope now."""
    user = job.created_by
    if user is None or not user.is_active or not user.has_perm(EXPORT_PERMISSION):
        raise ExportRefused(_("The person who asked for this export may no longer export."))
    return user


def build_file(job: ExportJob, user) -> None:
    """Write the job's file to private storage with the fields the creator sees now."""
    fields = export_fields(user, job.fields)
    queryset = export_queryset(user, job.filters)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        job.row_count = WRITERS[job.file_format](rows(queryset, user, fields), out)
        out.seek(0)
        job.file.save(file_name(job), File(out), save=False)
    job.fields = fields


def run_export(job_id: int) -> None:
    """Build the job's file (the user's visible fields, the job's filter) and log it.

    Idempotent: a job already done or failed is left as it is (a redelivered task).
    """
    job = ExportJob.objects.filter(pk=job_id, subject__isnull=True).first()
    if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        return
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)
    try:
        build_file(job, creator_of(job))
    except ExportRefused as refusal:
        fail(job, str(refusal))
        return
    except Exception:
        logger.exception("Contact export %s failed", job.pk)
        fail(job, str(_("The export failed; please try again or contact HQ.")))
        raise
    finish(job)


def fail(job: ExportJob, message: str) -> None:
    job.status, job.message = ExportJob.Status.FAILED, message
    job.save(update_fields=["status", "message"])


@transaction.atomic
def finish(job: ExportJob) -> None:
    job.status = ExportJob.Status.DONE
    job.expires_at = timezone.now() + timedelta(hours=get_export_link_hours())
    job.save()
    log_export(job)


def log_export(job: ExportJob) -> None:
    """The audit log entry: who (the log's user), when (its timestamp), filter, rows."""
    data = {
        "filters": job.filters,
        "filter": describe_filters(job.filters),
        "row_count": job.row_count,
        "format": job.file_format,
        "fields": job.fields,
    }
    log(instance=job, action=LOG_ACTION, user=job.created_by, data=data)


def is_expired(job: ExportJob, now=None) -> bool:
    return job.expires_at is None or job.expires_at <= (now or timezone.now())


def forget_file(job: ExportJob) -> None:
    """Delete an expired job's file (the job stays: it is the audit record)."""
    if job.file:
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")


def purge_expired_exports() -> int:
    """Delete the files of every expired export (for a periodic task); returns how many."""
    expired = ExportJob.objects.filter(expires_at__lte=timezone.now()).exclude(file="")
    count = 0
    for job in expired.iterator():
        forget_file(job)
        count += 1
    return count
