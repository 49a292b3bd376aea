"""Contact import (CSV, XLSX): sniffing, mapping, dry run, chunked resumable import, report.

The file is streamed, never loaded whole: CSV through ``csv.reader`` on a decoding text
stream, XLSX through openpyxl's read-only mode. Rows are read, checked and written in chunks
(``conf.get_import_chunk_size``); each chunk is one transaction that also advances the job's
``processed_line``, so a worker killed mid-file leaves the job at the end of its last committed
chunk and the next run resumes there. Re-running a finished or half-finished import is
harmless anyway: contacts are matched by address hash, links, tags and consents are only ever
added once, and a row that changes nothing is counted *unchanged*.

Decisions the wizard and the documentation rely on:

* An **empty cell leaves the field as it is**: an import never blanks out a field. Tags are
  added, never removed.
* A contact is matched by its address (case-insensitively, through ``Contact.email_hash``).
* **Consent**: without a consent column, every good row is recorded subscribed to
  ``job.communication_type`` (if the job names one); with one, "yes" rows are, "no" or empty
  rows record nothing. A person who unsubscribed, or whose address is suppressed, **stays
  unsubscribed** whatever the file says: the row is imported and a note (column
  :data:`NOTE_COLUMN`) says so in the report; notes are not counted as errors.
* A row whose person cannot be imported (out-of-scope or unknown unit, bad value, home unit
  elsewhere, address already earlier in the file) is an error row: nothing of it is written.
  Its reasons never quote a value of a field the importer cannot see.
* An existing person the importer could not see before (lists mode: on another unit's list)
  gets the importer's unit link and only their empty fields filled; they count as created
  (new on the importer's list), so the counts do not reveal other units' lists either.
* Dates are ISO (2026-11-30) or day first (30/11/2026); a row is too wide only if a cell
  beyond the last header holds something (trailing empty cells, as Excel writes, are fine).

For the wizard: :func:`sniff` (at upload) and :func:`dry_run` raise :class:`FileRefused`
(show its message); the wizard's dry run and the import run on Celery (:func:`run_dry_run`,
:func:`run_import`) and record it on the job instead (``message``). A finished import's file is
deleted (personal data), a failed one's kept for "Resume" until
``import_files.purge_import_files``. Reading and bounding the file lives in ``import_files.py``,
checking a row in ``import_rows.py``, the bulk SQL in ``import_sql.py``; on PostgreSQL outside
a transaction a thread writes chunk n while chunk n + 1 is read and checked
(:func:`write_pipelined`).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.conf import (
    CONTACT_UNITS_HOME,
    get_contact_units_mode,
    get_import_chunk_size,
)
from wagtail_distmark.contacts import tasks
from wagtail_distmark.contacts.consent import SUBSCRIBED, UNSUBSCRIBED, consent_unit_id
from wagtail_distmark.contacts.import_files import (
    MAX_HEADER_LENGTH,
    SNIFF_BYTES,
    FileRefused,
    check_size,
    decode_head,
    detect_delimiter,
    detect_encoding,
    discard_file,
    open_binary,
    read_headers,
    records,
)
from wagtail_distmark.contacts.import_rows import (
    CONSENT,
    EMAIL,
    FIELD_NAMES,
    TAGS,
    UNIT,
    Context,
    Row,
    check_row,
    fast_email,
    importable_units,
    visible_prefixes,
)
from wagtail_distmark.contacts.import_sql import any_of, insert_rows, on_postgresql, update_rows
from wagtail_distmark.contacts.models import (
    Consent,
    ConsentEvent,
    Contact,
    ContactAttribute,
    ContactTag,
    ContactUnit,
    ImportJob,
    ImportMappingMemory,
    ImportRowError,
    Source,
    Suppression,
    Tag,
)
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.contacts.spreadsheet import neutralise
from wagtail_distmark.formats import country_names
from wagtail_distmark.rules.contacts import can_import_for_unit, visible_fields

logger = logging.getLogger(__name__)

#: The key of :func:`check_mapping`'s errors that belong to no one column (e-mail not mapped).
MAPPING_ERROR_KEY = NON_FIELD_ERRORS
#: The column of the report's notes (a person kept unsubscribed): not an error.
NOTE_COLUMN = "(consent)"

IGNORE = ""
SAMPLE_ROWS = 5
MAX_REMEMBERED_HEADERS = 300
FIRST_ERRORS = 20
NOT_CHECKED = _("The file could not be checked. Save the mapping again to retry.")
#: Header spellings recognised besides each target's own name and label (simplified).
SYNONYMS = {
    EMAIL: ("mail", "emailaddress", "courriel", "adressemail", "adresseemail"),
    "first_name": ("firstname", "first", "givenname", "prenom", "vorname", "voornaam"),
    "last_name": ("lastname", "surname", "familyname", "nom", "nachname", "achternaam"),
    "phone": ("telephone", "tel", "mobile", "phonenumber", "telefon", "telefoon"),
    "postal_code": ("zip", "zipcode", "postcode", "codepostal", "plz", "postleitzahl"),
    "birth_date": ("birthdate", "dateofbirth", "dob", "birthday", "datedenaissance"),
    "city": ("town", "ville", "stadt", "stad"),
    "country": ("pays", "land"),
    "locale": ("language", "lang", "langue", "sprache", "taal"),
    TAGS: ("tag", "labels"),
    UNIT: ("unitcode", "store", "storecode", "shop", "magasin", "filiale"),
    CONSENT: ("optin", "subscribed", "newsletter", "consentement"),
}


@dataclass
class Sniffed:
    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]
    sample: list[list[str]] = field(default_factory=list)


@dataclass
class DryRun:
    total_rows: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    error_rows: int = 0
    first_errors: list[tuple[int, str, str]] = field(default_factory=list)


def sniff(job: ImportJob) -> Sniffed:
    """Detect the format, encoding and delimiter (once, at upload: the encoding check reads
    the whole file), store them on the job, and return its :func:`preview`."""
    check_size(job)
    with open_binary(job) as raw:
        head = raw.read(SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        job.file_format, job.encoding, job.delimiter = "xlsx", "", ""
    else:
        job.file_format, job.encoding = "csv", detect_encoding(job, head)
        job.delimiter = detect_delimiter(decode_head(head, job.encoding))
    sniffed = preview(job)
    if job.pk:
        job.save(update_fields=["file_format", "encoding", "delimiter"])
    return sniffed


def preview(job: ImportJob) -> Sniffed:
    """The headers and first rows (for the mapping screen), read with the format, encoding
    and delimiter :func:`sniff` stored: nothing is detected again and only the head of the
    file is read."""
    rows = records(job)
    try:
        headers = read_headers(rows)
        sample = [cells for _line, cells in islice(rows, SAMPLE_ROWS)]
    finally:
        rows.close()
    return Sniffed(job.file_format, job.encoding, job.delimiter, headers, sample)


# --- Mapping --------------------------------------------------------------------------------


def mapping_targets(user) -> list[tuple[str, str]]:
    """What a column may be mapped to, for this user: ignore, unit, consent, the personal
    fields and HQ attributes the user sees (``rules.contacts.visible_fields``), and tags."""
    seen = visible_fields(user)
    targets = [
        (IGNORE, str(_("Ignore this column"))),
        (UNIT, str(_("Unit (its code)"))),
        (CONSENT, str(_("Consent (yes or no)"))),
    ]
    for name in Contact.PERSONAL_FIELDS:
        if name in seen:
            targets.append((name, str(capfirst(Contact._meta.get_field(name).verbose_name))))
    taken = {value for value, _label in targets}
    for attribute in ContactAttribute.objects.order_by("label"):
        if attribute.key in seen and attribute.key not in taken:
            targets.append((attribute.key, attribute.label))
    return targets


def simplify(text: str) -> str:
    """Header text compared loosely: no accents, case, spaces or punctuation."""
    text = unicodedata.normalize("NFKD", str(text)).casefold()
    return "".join(char for char in text if char.isalnum())


def names_to_targets(targets: list[tuple[str, str]]) -> dict[str, str]:
    known = {}
    for value, label in targets:
        if value:
            for name in (value, label, *SYNONYMS.get(value, ())):
                known.setdefault(simplify(name), value)
    return known


def remembered(user) -> dict[str, str]:
    memory = ImportMappingMemory.objects.filter(user=user).values_list("mapping", flat=True)
    return next(iter(memory), None) or {}


def suggest_mapping(headers: list[str], user) -> dict[str, str]:
    """The user's last choice for each header, else a target of that name or label (each
    target offered once), else "ignore"."""
    targets = mapping_targets(user)
    allowed = {value for value, _label in targets}
    by_name, memory = names_to_targets(targets), remembered(user)
    suggestion, used = {}, set()
    for header in headers:
        choice = memory.get(header)
        if choice not in allowed or choice in used:
            choice = by_name.get(simplify(header), IGNORE)
        if choice in used:
            choice = IGNORE
        suggestion[header] = choice
        used.add(choice or None)
    return suggestion


def remember_mapping(user, mapping: dict[str, str]) -> None:
    """Keep the user's choices by header (bounded), newest last."""
    memory, _created = ImportMappingMemory.objects.get_or_create(user=user)
    merged = dict(memory.mapping or {})
    for header, target in mapping.items():
        merged.pop(str(header)[:MAX_HEADER_LENGTH], None)
        merged[str(header)[:MAX_HEADER_LENGTH]] = str(target or "")[:50]
    memory.mapping = dict(list(merged.items())[-MAX_REMEMBERED_HEADERS:])
    memory.save(update_fields=["mapping"])


def check_mapping(mapping: dict, user) -> dict[str, str]:
    """Errors by header (:data:`MAPPING_ERROR_KEY` for the missing e-mail column): a column
    left unmapped (``None``: neither a field nor explicitly ignored), a target the user may not
    import, a target chosen twice."""
    allowed = {value for value, _label in mapping_targets(user)}
    errors, chosen = {}, set()
    for header, target in mapping.items():
        if target is None:
            errors[header] = _("Choose a field for this column, or ignore it.")
        elif target not in allowed:
            errors[header] = _("This is not a field you may import.")
        elif target and target in chosen:
            errors[header] = _("Another column is already imported into this field.")
        chosen.add(target)
    if EMAIL not in chosen:
        errors[MAPPING_ERROR_KEY] = _(
            "Choose the column holding the e-mail address: it identifies each person."
        )
    return {header: str(message) for header, message in errors.items()}


def build_context(job: ImportJob, headers: list[str]) -> Context:
    """Re-check the importer's rights and the mapping; load units, tags and attributes."""
    user = job.created_by
    if user is None or not can_import_for_unit(user, job.unit):
        raise FileRefused(
            _("The person who started this import may no longer import contacts for this unit."),
            code="scope",
        )
    mapping = {header: (job.mapping or {}).get(header) for header in headers}
    errors = check_mapping(mapping, user)
    if errors:
        raise FileRefused(
            _("The column mapping is not valid: %(errors)s"),
            code="mapping",
            params={"errors": "; ".join(f"{h}: {m}" for h, m in errors.items())},
        )
    return Context(
        job=job, headers=headers,
        columns=[(i, h, mapping[h]) for i, h in enumerate(headers) if mapping[h]],
        units=importable_units(user), tags={t.name.casefold(): t.pk for t in Tag.objects.all()},
        attributes=dict(ContactAttribute.objects.values_list("key", "kind")),
        countries=frozenset(country_names()), prefixes=visible_prefixes(user),
        home_mode=get_contact_units_mode() == CONTACT_UNITS_HOME,
    )  # fmt: skip


# --- Planning and writing a chunk -----------------------------------------------------------


@dataclass
class Plan:
    """What one chunk changes, computed with a constant number of queries."""

    new: list = field(default_factory=list)  # Row
    updates: list = field(default_factory=list)  # (Contact, changed field names)
    links: list = field(default_factory=list)  # (contact or Row, unit id)
    tags: list = field(default_factory=list)  # (contact or Row, tag id)
    consents: list = field(default_factory=list)  # (contact or Row, unit id)
    errors: list = field(default_factory=list)  # (line, column, reason)
    notes: list = field(default_factory=list)  # lines kept unsubscribed
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_rows: int = 0
    rows: int = 0


@dataclass
class Known:
    """The chunk's existing contacts and what hangs on them, read in one query each."""

    contacts: dict
    links: dict
    tags: set
    consents: dict
    suppressed: set


def load_known(ctx: Context, rows: list[Row]) -> Known:
    contacts = {}
    mapped = {target for _i, _h, target in ctx.columns if target in FIELD_NAMES}
    live = Contact.objects.filter(erased_at__isnull=True).only("email_hash", "attributes", *mapped)
    for contact in any_of(live, "email_hash", [row.hash for row in rows]).order_by("-pk"):
        contacts[contact.email_hash] = contact
    ids = [contact.pk for contact in contacts.values()]
    links = {}
    for contact_id, unit_id, path in any_of(ContactUnit.objects, "contact_id", ids).values_list(
        "contact_id", "unit_id", "unit__path"
    ):
        links.setdefault(contact_id, {})[unit_id] = path
    # Filtered by contact only (then in Python): a filter on the tag or the type too could
    # lead the planner to scan every contact with that tag, as it did with stale statistics.
    tags = set(any_of(ContactTag.objects, "contact_id", ids).values_list("contact_id", "tag_id"))
    return Known(contacts, links, tags, load_consents(ctx, ids), load_suppressed(ctx, rows))


def load_consents(ctx: Context, ids: list[int]) -> dict:
    if ctx.job.communication_type_id is None or not ids:
        return {}
    wanted = ctx.job.communication_type_id
    rows = any_of(Consent.objects, "contact_id", ids).values_list(
        "contact_id", "unit_id", "status", "communication_type_id"
    )
    return {(contact, unit): status for contact, unit, status, kind in rows if kind == wanted}


def load_suppressed(ctx: Context, rows: list[Row]) -> set:
    hashes = [row.hash for row in rows if row.subscribe]
    found = any_of(Suppression.objects, "email_hash", hashes)
    return set(found.values_list("email_hash", flat=True))


def plan_chunk(ctx: Context, checked: list) -> Plan:
    """Sort the chunk's checked rows into creations, updates, links, tags and consents."""
    plan = Plan(rows=len(checked))
    rows = []
    for line, result in checked:
        if isinstance(result, Row):
            rows.append(result)
        else:
            add_errors(plan, line, result)
    known = load_known(ctx, rows)
    for row in rows:
        contact = known.contacts.get(row.hash)
        if contact is None:
            plan_new(ctx, plan, row, known)
        else:
            plan_existing(ctx, plan, row, contact, known)
    return plan


def add_errors(plan: Plan, line: int, errors: list) -> None:
    plan.error_rows += 1
    columns = set()
    for column, reason in errors:
        if column not in columns:  # one reason per cell (the report's key)
            columns.add(column)
            plan.errors.append((line, column, str(reason)))


def plan_new(ctx: Context, plan: Plan, row: Row, known: Known) -> None:
    plan.new.append(row)
    plan.links.append((row, row.unit.pk))
    plan.tags.extend((row, tag_id) for tag_id in row.tag_ids)
    plan_consent(ctx, plan, row, row, known)
    plan.created += 1


def plan_existing(ctx: Context, plan: Plan, row: Row, contact: Contact, known: Known) -> None:
    links = known.links.get(contact.pk, {})
    if (ctx.home_mode and any(unit_id != row.unit.pk for unit_id in links)) or not covers_all(
        ctx, links
    ):
        # Lists mode too: knowing an address must not put a person another unit collected on
        # the importer's list, with everything that unit holds (found by the attacker review).
        plan.error_rows += 1
        reason = str(_("This person is already a contact of another unit."))
        plan.errors.append((row.line, column_of(ctx, EMAIL), reason))
        return
    visible = ctx.prefixes is None or any(
        path.startswith(prefix) for path in links.values() for prefix in ctx.prefixes
    )
    changed = apply_values(contact, row, fill_only=not visible)
    if changed:
        plan.updates.append((contact, changed))
    new_link = row.unit.pk not in links
    if new_link:
        plan.links.append((contact, row.unit.pk))
    new_tags = [(contact, t) for t in row.tag_ids if (contact.pk, t) not in known.tags]
    plan.tags.extend(new_tags)
    consented = plan_consent(ctx, plan, row, contact, known)
    if not visible:
        plan.created += 1
    elif changed or new_link or new_tags or consented:
        plan.updated += 1
    else:
        plan.unchanged += 1


def covers_all(ctx: Context, links: dict) -> bool:
    """Every unit the person is on lies in the importer's scope."""
    if ctx.prefixes is None:
        return True
    return all(any(path.startswith(p) for p in ctx.prefixes) for path in links.values())


def column_of(ctx: Context, target: str) -> str:
    return next((header for _i, header, t in ctx.columns if t == target), "")


def apply_values(contact: Contact, row: Row, fill_only: bool) -> list[str]:
    """Set the row's values that differ (only the empty ones when ``fill_only``); returns the
    names of the fields changed."""
    changed = []
    for name, value in row.values.items():
        current = getattr(contact, name)
        if current != value and not (fill_only and current not in ("", None)):
            setattr(contact, name, value)
            changed.append(name)
    attributes = dict(contact.attributes or {})
    for key, value in row.attributes.items():
        if attributes.get(key) != value and not (fill_only and key in attributes):
            attributes[key] = value
    if attributes != (contact.attributes or {}):
        contact.attributes = attributes
        changed.append("attributes")
    return changed


def plan_consent(ctx: Context, plan: Plan, row: Row, owner, known: Known) -> bool:
    """Subscribe the row's person unless they unsubscribed or are suppressed (then a note)."""
    if not row.subscribe:
        return False
    communication_type = ctx.job.communication_type
    unit_id = consent_unit_id(communication_type, row.unit.pk)
    status = known.consents.get((getattr(owner, "pk", None), unit_id))
    if status == SUBSCRIBED:
        return False
    if status == UNSUBSCRIBED or row.hash in known.suppressed:
        plan.notes.append(row.line)
        return False
    plan.consents.append((owner, unit_id))
    return True


@transaction.atomic
def write_chunk(ctx: Context, plan: Plan, last_line: int, expected_line: int) -> bool:
    """Write the plan and advance the job in one transaction. Returns ``False`` (writing
    nothing) when another run already moved the job past ``expected_line``."""
    job = ImportJob.objects.select_for_update().get(pk=ctx.job.pk)
    if job.processed_line != expected_line or job.status != ImportJob.Status.RUNNING:
        return False
    now = timezone.now()
    created = create_contacts(plan.new, now)
    update_contacts(plan.updates, now)
    create_relations(ctx, plan, created, now)
    create_report_rows(ctx, plan)
    ImportJob.objects.filter(pk=job.pk).update(
        processed_line=last_line, processed_rows=F("processed_rows") + plan.rows,
        created_count=F("created_count") + plan.created,
        updated_count=F("updated_count") + plan.updated,
        unchanged_count=F("unchanged_count") + plan.unchanged,
        error_count=F("error_count") + plan.error_rows,
    )  # fmt: skip
    return True


def create_contacts(rows: list[Row], now) -> dict[int, int]:
    """Bulk-create the new contacts (``save()`` is skipped, so the hash is set here); returns
    their primary keys by line."""
    values = [{**row.values, "email": row.email, "email_hash": row.hash,
               "attributes": row.attributes, "created_at": now, "updated_at": now}
              for row in rows]  # fmt: skip
    pks = insert_rows(Contact, values, returning="email_hash")
    return {row.line: pks[row.hash] for row in rows}


def update_contacts(updates: list, now) -> None:
    """One bulk update per set of changed fields: unchanged fields are never written."""
    groups = {}
    for contact, changed in updates:
        contact.updated_at = now
        groups.setdefault(tuple(sorted(changed)), []).append(contact)
    for fields, contacts in groups.items():
        update_rows(Contact, contacts, [*fields, "updated_at"])


def create_relations(ctx: Context, plan: Plan, created: dict, now) -> None:
    """Links, tags, consents and their history entries of the chunk: one statement each."""

    def pk(owner):
        return created[owner.line] if isinstance(owner, Row) else owner.pk

    job, source = ctx.job, Source.IMPORT.value
    links = [{"contact_id": pk(o), "unit_id": u, "source": source, "since": now}
             for o, u in plan.links]  # fmt: skip
    insert_rows(ContactUnit, links, ignore_conflicts=True)
    tags = [{"contact_id": pk(o), "tag_id": t} for o, t in plan.tags]
    insert_rows(ContactTag, tags, ignore_conflicts=True)
    consent = {"communication_type_id": job.communication_type_id, "status": SUBSCRIBED.value}
    insert_rows(Consent, [{**consent, "contact_id": pk(o), "unit_id": u, "updated_at": now}
                          for o, u in plan.consents])  # fmt: skip
    event = {**consent, "source": source, "evidence": job.consent_evidence[:2000],
             "set_by_id": job.created_by_id, "import_job_id": job.pk,
             "created_at": now}  # fmt: skip
    insert_rows(ConsentEvent, [{**event, "contact_id": pk(o), "unit_id": u}
                               for o, u in plan.consents])  # fmt: skip


def create_report_rows(ctx: Context, plan: Plan) -> None:
    kept = str(_("Kept unsubscribed: this person unsubscribed or their address is suppressed."))
    rows = [{"job_id": ctx.job.pk, "line": line, "column": column[:100], "reason": reason[:255]}
            for line, column, reason in plan.errors]  # fmt: skip
    rows += [{"job_id": ctx.job.pk, "line": line, "column": NOTE_COLUMN, "reason": kept}
             for line in plan.notes]  # fmt: skip
    insert_rows(ImportRowError, rows, ignore_conflicts=True)


# --- Running --------------------------------------------------------------------------------


def chunks(ctx: Context, rows: Iterable, after_line: int) -> Iterator[tuple[int, list]]:
    """``(last line, [(line, Row or errors)])`` per chunk of rows after ``after_line``; the
    rows before it are only read for their address (duplicates across the resume point)."""
    size, chunk, last = max(1, get_import_chunk_size()), [], after_line
    for line, cells in rows:
        if line <= after_line:
            remember_address(ctx, cells)
            continue
        chunk.append((line, check_row(ctx, line, cells)))
        last = line
        if len(chunk) >= size:
            yield last, chunk
            chunk = []
    if chunk:
        yield last, chunk


def remember_address(ctx: Context, cells: list[str]) -> None:
    index = next(i for i, _h, target in ctx.columns if target == EMAIL)
    with contextlib.suppress(ValidationError, IndexError):
        ctx.seen.add(int(email_hash(fast_email(cells[index].strip()))[:16], 16))


def start_dry_run(job: ImportJob, mapping: dict) -> None:
    """Save the mapping, forget any earlier dry run and check the file on Celery (the
    ``dry_run_contacts`` task): the wizard's dry-run page only reads what it stores.

    Queued once the mapping is committed, so the worker reads it; eager Celery (the demo, the
    tests) runs it here, inside the request."""
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            mapping=mapping, status=ImportJob.Status.UPLOADED, message="", total_rows=0,
            processed_rows=0, created_count=0, updated_count=0, unchanged_count=0,
            error_count=0)  # fmt: skip
        ImportRowError.objects.filter(job=job).delete()
    job.refresh_from_db()
    task = tasks.dry_run_contacts
    if task.app.conf.task_always_eager:
        task.delay(job.pk)
    else:
        task.delay_on_commit(job.pk)


def is_checking(job: ImportJob) -> bool:
    """Its dry run is queued or running: the mapping is saved, no result nor refusal yet."""
    return job.status == ImportJob.Status.UPLOADED and bool(job.mapping) and not job.message


def run_dry_run(job_id: int) -> None:
    """The Celery dry run of a job being checked (:func:`is_checking`); a job remapped or
    started meanwhile is left to its own run. A refused file or mapping is stored in the
    job's ``message`` (it stays UPLOADED); any other error too, and is raised again."""
    job = ImportJob.objects.select_related("unit", "communication_type", "created_by")
    job = job.filter(pk=job_id).first()
    if job is None or not is_checking(job):
        return
    try:
        dry_run(job, progress=lambda rows: checked_rows(job, rows))
    except FileRefused as refusal:
        refuse_dry_run(job, refusal.messages[0])
    except Exception:
        logger.exception("Dry run of contact import %s stopped", job.pk)
        refuse_dry_run(job, str(NOT_CHECKED))
        raise


def checked_rows(job: ImportJob, rows: int) -> None:
    """The dry run's progress (only while the job is still being checked)."""
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED, message="").update(
        processed_rows=rows
    )


def refuse_dry_run(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED, message="").update(
        message=message[:2000]
    )


def dry_run(job: ImportJob, progress=None) -> DryRun:
    """Read and check the whole file, write no contact; the counts and the first errors are
    stored on the job (:func:`store_dry_run`) and returned. ``progress(rows)`` is called
    after each chunk."""
    rows = records(job)
    result = DryRun()
    try:
        ctx = build_context(job, read_headers(rows))
        for _last, chunk in chunks(ctx, rows, 0):
            add_to_dry_run(result, plan_chunk(ctx, chunk))
            if progress is not None:
                progress(result.total_rows)
    finally:
        rows.close()
    store_dry_run(job, result)
    return result


@transaction.atomic
def store_dry_run(job: ImportJob, result: DryRun) -> bool:
    """CHECKED, with the counts and the first errors (as report rows), unless the job was
    remapped or started since the dry run read it (then ``False``, nothing stored)."""
    current = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
    if current is None or current.status not in (ImportJob.Status.UPLOADED,
                                                  ImportJob.Status.CHECKED):  # fmt: skip
        return False
    if current.mapping != job.mapping:
        return False
    ImportRowError.objects.filter(job=job).delete()
    insert_rows(ImportRowError, [
        {"job_id": job.pk, "line": line, "column": column[:100], "reason": reason[:255]}
        for line, column, reason in result.first_errors], ignore_conflicts=True)  # fmt: skip
    fields = {"status": ImportJob.Status.CHECKED, "message": "", "total_rows": result.total_rows,
              "processed_rows": 0, "created_count": result.to_create,
              "updated_count": result.to_update, "unchanged_count": result.unchanged,
              "error_count": result.error_rows}  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)
    return True


def stored_dry_run(job: ImportJob) -> DryRun:
    """The dry run :func:`store_dry_run` kept on a CHECKED job (nothing is read again)."""
    errors = job.row_errors.order_by("line", "pk").values_list("line", "column", "reason")
    return DryRun(total_rows=job.total_rows, to_create=job.created_count,
                  to_update=job.updated_count, unchanged=job.unchanged_count,
                  error_rows=job.error_count, first_errors=list(errors[:FIRST_ERRORS]))  # fmt: skip


def add_to_dry_run(result: DryRun, plan: Plan) -> None:
    result.total_rows += plan.rows
    result.to_create += plan.created
    result.to_update += plan.updated
    result.unchanged += plan.unchanged
    result.error_rows += plan.error_rows
    room = FIRST_ERRORS - len(result.first_errors)
    result.first_errors.extend(sorted(plan.errors)[: max(room, 0)])


def start_import(job: ImportJob) -> None:
    """Queue the import on Celery once the current transaction commits."""
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status"])
    tasks.import_contacts.delay_on_commit(job.pk)


def run_import(job_id: int) -> None:
    """Import the job's file, resuming after ``ImportJob.processed_line`` (a finished job is
    left alone). A refused file or mapping ends the job FAILED with its reason; any other
    error too, and is raised again (run it again to resume). A finished import's file is
    deleted; a failed one's is kept for "Resume" (see ``import_files.purge_import_files``)."""
    jobs = ImportJob.objects.select_related("unit", "communication_type", "created_by")
    job = jobs.filter(pk=job_id).first()
    if job is None or job.status == ImportJob.Status.DONE:
        return  # deleted since it was queued, or finished (a message delivered twice)
    begin(job)
    try:
        completed = import_rows(job)
    except FileRefused as refusal:
        finish(job, ImportJob.Status.FAILED, refused_partway(job, refusal.messages[0]))
        return
    except Exception:
        logger.exception("Contact import %s stopped", job.pk)
        job.refresh_from_db(fields=["processed_line"])
        finish(job, ImportJob.Status.FAILED, str(_(
            "The import stopped after line %(line)d. Rows up to it are imported; run it again "
            "to resume.") % {"line": job.processed_line}))  # fmt: skip
        raise
    if completed:  # else another run (a message delivered twice) owns the job: it finishes it
        finish(job, ImportJob.Status.DONE, "")
        discard_file(job)  # personal data: the report lives in ImportRowError rows


def refused_partway(job: ImportJob, reason: str) -> str:
    """The refusal, and when chunks were committed before it (a bad quote or line further
    down the file), how many rows up to which line are imported and what "Resume" does."""
    job.refresh_from_db(fields=["processed_line", "processed_rows"])
    if not job.processed_line:
        return reason
    done = _(
        "%(rows)d rows up to line %(line)d were imported; the rest of the file was not. "
        "“Resume the import” continues after line %(line)d."
    ) % {"rows": job.processed_rows, "line": job.processed_line}
    return f"{reason} {done}"


def begin(job: ImportJob) -> None:
    """RUNNING; a job starting from its first line forgets any earlier (dry-run) counts but
    the number of rows, which the progress bar divides by until the run sets it again."""
    fields = {"status": ImportJob.Status.RUNNING, "message": ""}
    if job.processed_line == 0:
        fields.update(processed_rows=0, created_count=0, updated_count=0, unchanged_count=0,
                      error_count=0)  # fmt: skip
        ImportRowError.objects.filter(job=job).delete()
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def import_rows(job: ImportJob) -> bool:
    """Write every chunk after the job's last committed line; ``False`` when another run
    committed a chunk first (it carries on, this one stops)."""
    check_size(job)
    rows = records(job)
    try:
        ctx = build_context(job, read_headers(rows))
        batches = chunks(ctx, rows, job.processed_line)
        write = write_pipelined if pipelined() else write_in_turn
        return write(ctx, batches, job.processed_line)
    finally:
        rows.close()


def pipelined() -> bool:
    """Overlap reading with writing where it pays and is safe: on PostgreSQL (whose work runs
    in the server, not under Python's lock) and outside any transaction (a Celery task, the
    command, a script), since the writing thread has its own connection."""
    return on_postgresql() and not connection.in_atomic_block


def write_in_turn(ctx: Context, batches: Iterator, line: int) -> bool:
    for last, chunk in batches:
        if not write_chunk(ctx, plan_chunk(ctx, chunk), last, line):
            return False
        line = last
    return True


def write_pipelined(ctx: Context, batches: Iterator, line: int) -> bool:
    """Read and check chunk n + 1 here while one thread plans and writes chunk n (one chunk
    in flight: memory stays bounded, and a failed chunk stops the run before the next)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="distmark-import") as writer:
        try:
            pending = None
            for last, chunk in batches:
                if pending is not None and not pending.result():
                    return False
                pending = writer.submit(write_planned, ctx, chunk, last, line)
                line = last
            return pending is None or pending.result()
        finally:
            writer.submit(close_connection)


def close_connection() -> None:
    """Close the calling thread's connection (``connection`` is looked up per thread, so this
    must run in the writing thread, not be bound in the reading one)."""
    connection.close()


def write_planned(ctx: Context, chunk: list, last: int, line: int) -> bool:
    return write_chunk(ctx, plan_chunk(ctx, chunk), last, line)


def finish(job: ImportJob, status: str, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, message=message[:2000], finished_at=timezone.now(),
        total_rows=F("processed_rows"))  # fmt: skip
    job.refresh_from_db()


def kept_unsubscribed(job: ImportJob) -> int:
    """How many imported rows stayed unsubscribed (the report's notes)."""
    return job.row_errors.filter(column=NOTE_COLUMN).count()


def write_report(job: ImportJob, out) -> None:
    """The job's bad rows (and notes) as CSV: line, column, reason. Cells that a spreadsheet
    would run as a formula are quoted with a leading apostrophe."""
    writer = csv.writer(out)
    writer.writerow([str(_("line")), str(_("column")), str(_("reason"))])
    for line, column, reason in (
        job.row_errors.order_by("line", "pk")
        .values_list("line", "column", "reason")
        .iterator(chunk_size=2000)
    ):
        writer.writerow([line, neutralise(column), neutralise(reason)])
