"""Reading an import file: bounded before parsing, streamed, never loaded whole.

CSV goes through ``csv.reader`` on a decoding text stream (encoding and delimiter detected by
:func:`detect_encoding` and :func:`detect_delimiter`), XLSX through openpyxl's read-only mode.
Both yield ``(line, cells)``: for CSV the physical line where the record starts (newlines inside
quoted fields counted), for XLSX the row number, so the report points at what the user sees.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator

import openpyxl
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.conf import get_import_max_bytes
from wagtail_distmark.contacts.models import ImportJob

DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 64 * 1024
MAX_COLUMNS = 200
MAX_HEADER_LENGTH = 100
MAX_LINE_LENGTH = 1_000_000
#: An XLSX file is a zip: its parts may expand at most this many times the file size limit.
MAX_XLSX_EXPANSION = 10
#: openpyxl reads an XLSX file's shared strings into memory whole, even in read-only mode (about
#: 5 bytes of memory per byte): a small file with a huge table of strings held a worker for
#: minutes and 1 GB (found by the attacker review). Zip sizes cannot lie: a part that unpacks
#: to more than it declares fails its CRC check.
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
#: Days the file of a failed or never-started import is kept (for "Resume"): a module
#: constant, not a setting. A finished import's file is deleted at once.
KEEP_FILES_DAYS = 7
GONE = _("The file of this import is no longer kept: upload it again.")
PURGED = _("Its file was deleted after %(days)d days: upload it again to import it.")


class FileRefused(ValidationError):
    """The file cannot be imported at all (unreadable, too large, empty): a clear message."""


def open_binary(job: ImportJob):
    """The job's file, opened for binary reading (a real file object where the storage has one)."""
    if not job.file:
        raise FileRefused(GONE, code="gone")
    try:
        handle = job.file.storage.open(job.file.name, "rb")
    except OSError as error:
        raise FileRefused(_("The file could not be read."), code="unreadable") from error
    return getattr(handle, "file", handle)


def check_size(job: ImportJob) -> int:
    """Bound the file before any parsing: too large or empty files are refused."""
    if not job.file:
        raise FileRefused(GONE, code="gone")
    try:
        size = job.file.storage.size(job.file.name)
    except OSError as error:
        raise FileRefused(_("The file could not be read."), code="unreadable") from error
    limit = get_import_max_bytes()
    if size > limit:
        raise FileRefused(
            _("This file is too large: at most %(mb)d MB can be imported at once."),
            code="too_large",
            params={"mb": limit // (1024 * 1024)},
        )
    if size == 0:
        raise FileRefused(_("The file is empty."), code="empty")
    return size


def detect_encoding(job: ImportJob, head: bytes) -> str:
    """BOMs first (UTF-8, UTF-16 LE/BE), then UTF-8 if the whole file decodes, else
    Windows-1252 (which decodes anything)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise FileRefused(_("This is not a CSV or XLSX file."), code="binary")
    return "utf-8" if decodes_as_utf8(job) else "cp1252"


def decodes_as_utf8(job: ImportJob) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open_binary(job) as raw:
        try:
            while block := raw.read(1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_delimiter(text: str) -> str:
    """The candidate that splits the header into the most columns (comma on a tie)."""

    def width(delimiter):
        return len(next(csv.reader(io.StringIO(text), delimiter=delimiter), []))

    return max(DELIMITERS, key=width)


def csv_records(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    """``(physical line where the record starts, cells)``; blank records are skipped.

    ``csv.reader.line_num`` counts the physical lines consumed, newlines inside quoted
    fields included, so a record starts one line after the previous one ended."""
    raw = open_binary(job)
    text = io.TextIOWrapper(raw, encoding=job.encoding or "utf-8", errors="replace", newline="")
    reader = csv.reader(bounded_lines(text), delimiter=job.delimiter or ",")
    ended = 0
    try:
        for record in reader:
            start, ended = ended + 1, reader.line_num
            if any(cell.strip() for cell in record):
                yield start, record
    except csv.Error as error:
        raise FileRefused(
            _("The file cannot be read after line %(line)d (an unclosed quote?)."),
            code="csv",
            params={"line": ended},
        ) from error
    finally:
        text.close()


def bounded_lines(text) -> Iterator[str]:
    """The text's physical lines, refusing one longer than :data:`MAX_LINE_LENGTH` before the
    CSV parser splits it (a line of a million delimiters would be a million cells)."""
    for number, line in enumerate(text, start=1):
        if len(line) > MAX_LINE_LENGTH:
            raise FileRefused(
                _("Line %(line)d of the file is too long (over %(max)d characters)."),
                code="line_length",
                params={"line": number, "max": MAX_LINE_LENGTH},
            )
        yield line


def check_xlsx(raw) -> None:
    """A zip bomb is refused before openpyxl expands it."""
    try:
        with zipfile.ZipFile(raw) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            strings = sum(info.file_size for info in archive.infolist()
                          if info.filename.lower().endswith("sharedstrings.xml"))  # fmt: skip
    except zipfile.BadZipFile as error:
        raise FileRefused(_("This XLSX file is damaged."), code="xlsx") from error
    if strings > MAX_SHARED_STRINGS_BYTES or expanded > MAX_XLSX_EXPANSION * get_import_max_bytes():
        raise FileRefused(_("This XLSX file is too large once unpacked."), code="too_large")
    raw.seek(0)


def xlsx_records(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, streamed (openpyxl read-only); the line is the row number."""
    with open_binary(job) as raw:
        check_xlsx(raw)
        try:
            workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on bad files
            raise FileRefused(_("This XLSX file cannot be read."), code="xlsx") from error
        try:
            sheet = workbook.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [cell_text(value) for value in row[: MAX_COLUMNS + 1]]
                if any(cells):
                    yield number, cells
        finally:
            workbook.close()


def cell_text(value) -> str:
    """An XLSX cell as the text a CSV would hold (dates in ISO form, 12.0 as 12)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def records(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    return xlsx_records(job) if job.file_format == "xlsx" else csv_records(job)


def read_headers(rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    """The first record, bounded and made unique enough to map by name."""
    first = next(rows, None)
    if first is None:
        raise FileRefused(_("The file holds no rows."), code="empty")
    cells = list(first[1])
    while cells and not cells[-1].strip():
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise FileRefused(
            _("The file has more than %(max)d columns."),
            code="columns",
            params={"max": MAX_COLUMNS},
        )
    headers = [cell.strip()[:MAX_HEADER_LENGTH] or f"({n})" for n, cell in enumerate(cells, 1)]
    if len(set(headers)) != len(headers):
        raise FileRefused(_("Two columns have the same header: rename one."), code="headers")
    return headers


def decode_head(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)


# --- Retention: the file holds personal data ------------------------------------------------


def discard_file(job: ImportJob) -> None:
    """Delete the job's file from private storage; the job (its counts and report rows) stays."""
    if job.file:
        job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(file="")
    job.file = ""


def purge_import_files() -> int:
    """Delete the files of imports that will not read them again: finished ones still holding
    theirs, and failed or never-started ones untouched for :data:`KEEP_FILES_DAYS` days (7, a
    module constant, not a setting); those end FAILED, saying so. Queued and running imports
    keep theirs (a worker may be reading it). Returns how many files were deleted."""
    Status = ImportJob.Status
    cutoff = timezone.now() - datetime.timedelta(days=KEEP_FILES_DAYS)
    old = Q(created_at__lt=cutoff) & (Q(finished_at__isnull=True) | Q(finished_at__lt=cutoff))
    stale = Q(status=Status.DONE) | (Q(status__in=(Status.FAILED, Status.UPLOADED,
                                                   Status.CHECKED)) & old)  # fmt: skip
    purged = 0
    for job in ImportJob.objects.filter(stale).exclude(file="").iterator():
        discard_file(job)
        if job.status != Status.DONE:
            message = f"{job.message} {PURGED % {'days': KEEP_FILES_DAYS}}".strip()
            ImportJob.objects.filter(pk=job.pk).update(
                status=Status.FAILED, message=message[:2000],
                finished_at=job.finished_at or timezone.now())  # fmt: skip
        purged += 1
    return purged
