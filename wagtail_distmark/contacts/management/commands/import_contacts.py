"""``manage.py import_contacts <file> --unit CODE --user USERNAME``: the admin's import from a
shell, with the same checks (the user's scope and visible fields, the mapping, every row).

Columns are mapped as the admin would suggest to that user (their remembered choices, else by
header name); ``--mapping header=field`` overrides one column (``header=`` ignores it). The
counts and every error row (line, column, reason) are printed; a refused file, unit or mapping
ends the command with an error (non-zero exit status).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from wagtail_distmark.contacts import importing
from wagtail_distmark.contacts.models import CommunicationType, ImportJob
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.contacts import can_import_for_unit


class Command(BaseCommand):
    help = "Import contacts from a CSV or XLSX file into a unit, as a given user."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A CSV or XLSX file; the first row holds the headers.")
        parser.add_argument("--unit", required=True, help="Code of the default unit.")
        parser.add_argument("--user", required=True, help="Username of the importer.")
        parser.add_argument("--type", default="", help="Slug of the communication type.")
        parser.add_argument("--evidence", default="", help="How the consent was collected.")
        parser.add_argument("--mapping", nargs="*", default=[], metavar="HEADER=FIELD")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args, **options):
        job = self.create_job(options)
        try:
            self.map_columns(job, options["mapping"])
            if options["dry_run"]:
                self.report_dry_run(importing.dry_run(job))
            else:
                importing.run_import(job.pk)
                self.report_import(job)
        except importing.FileRefused as refusal:
            raise CommandError(refusal.messages[0]) from refusal
        finally:
            if options["dry_run"]:
                job.file.delete(save=False)
                job.delete()

    def create_job(self, options) -> ImportJob:
        user = get_user_model().objects.filter(username=options["user"]).first()
        unit = OrgUnit.objects.filter(code__iexact=options["unit"]).first()
        if user is None or unit is None or not can_import_for_unit(user, unit):
            raise CommandError(
                "This user may not import contacts into this unit (or neither exists)."
            )
        evidence = options["evidence"].strip()
        if options["type"] and not evidence:
            raise CommandError(
                "--type records a consent: say how these people gave it with --evidence."
            )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        job = ImportJob(unit=unit, created_by=user, original_name=path.name[:255],
                        communication_type=self.communication_type(options["type"]),
                        consent_evidence=evidence[:2000])  # fmt: skip
        with path.open("rb") as handle:
            job.file.save(path.name, File(handle), save=False)
        job.save()
        return job

    def communication_type(self, slug: str):
        if not slug:
            return None
        found = CommunicationType.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"No communication type {slug!r}.")
        return found

    def map_columns(self, job: ImportJob, overrides: list[str]) -> None:
        sniffed = importing.sniff(job)
        mapping = importing.suggest_mapping(sniffed.headers, job.created_by)
        for item in overrides:
            header, equals, target = item.partition("=")
            if not equals or header not in mapping:
                raise CommandError(f"--mapping {item!r}: not a HEADER=FIELD of this file.")
            mapping[header] = target
        errors = importing.check_mapping(mapping, job.created_by)
        if errors:
            lines = "\n".join(f"  {header}: {message}" for header, message in errors.items())
            raise CommandError(f"The column mapping is not valid:\n{lines}")
        job.mapping = mapping
        job.save(update_fields=["mapping"])
        self.stdout.write(
            "Columns: " + ", ".join(f"{h} -> {t or '(ignored)'}" for h, t in mapping.items())
        )

    def report_dry_run(self, result: importing.DryRun) -> None:
        self.stdout.write(
            f"rows: {result.total_rows}, to create: {result.to_create}, to update: "
            f"{result.to_update}, unchanged: {result.unchanged}, errors: {result.error_rows}"
        )
        for line, column, reason in result.first_errors:
            self.stdout.write(f"{line}\t{column}\t{reason}")

    def report_import(self, job: ImportJob) -> None:
        job.refresh_from_db()
        self.stdout.write(
            f"{job.get_status_display()}: rows: {job.total_rows}, created: {job.created_count}, "
            f"updated: {job.updated_count}, unchanged: {job.unchanged_count}, "
            f"errors: {job.error_count}, kept unsubscribed: {importing.kept_unsubscribed(job)}"
        )
        rows = job.row_errors.order_by("line", "pk").values_list("line", "column", "reason")
        for line, column, reason in rows.iterator():
            self.stdout.write(f"{line}\t{column}\t{reason}")
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.message)
