"""Contact import (CSV, XLSX): sniffing, mapping, dry run, chunked resumable import, report.

INTERFACE COMMIT: the public names below are fixed for the import wizard; bodies follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from wagtail_distmark.contacts.models import ImportJob

#: The key of :func:`check_mapping`'s errors that belong to no one column (e-mail not mapped).
MAPPING_ERROR_KEY = NON_FIELD_ERRORS


class FileRefused(ValidationError):
    """The file cannot be imported at all (unreadable, too large, empty): a clear message."""


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
    raise NotImplementedError


def mapping_targets(user) -> list[tuple[str, str]]:
    raise NotImplementedError


def suggest_mapping(headers: list[str], user) -> dict[str, str]:
    raise NotImplementedError


def remember_mapping(user, mapping: dict[str, str]) -> None:
    raise NotImplementedError


def check_mapping(mapping: dict, user) -> dict[str, str]:
    raise NotImplementedError


def dry_run(job: ImportJob) -> DryRun:
    raise NotImplementedError


def start_import(job: ImportJob) -> None:
    raise NotImplementedError


def run_import(job_id: int) -> None:
    """Import the job's file, resuming after ``ImportJob.processed_line``."""
    raise NotImplementedError


def write_report(job: ImportJob, out) -> None:
    raise NotImplementedError
