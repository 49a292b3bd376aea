"""Celery tasks of the contacts feature: thin wrappers over plain functions (testable without
a broker). ``acks_late`` with ``reject_on_worker_lost``: a worker killed mid-task leaves the
message on the broker, another worker takes it and the function resumes where the last
committed chunk ended (``ImportJob.processed_line``)."""

from celery import shared_task

from wagtail_distmark.contacts import exporting, import_files, importing


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_contacts(job_id: int) -> None:
    importing.run_import(job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dry_run_contacts(job_id: int) -> None:
    """Checks a mapped import (nothing written but the job's counts and first errors); run
    again from the start if its worker is lost."""
    importing.run_dry_run(job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_contacts(job_id: int) -> None:
    exporting.run_export(job_id)


@shared_task
def purge_expired_exports() -> int:
    """For Celery beat, e.g. hourly (``CELERY_BEAT_SCHEDULE``): deletes the files of exports
    whose link expired (an expired link is refused anyway; this frees the storage)."""
    return exporting.purge_expired_exports()


@shared_task
def purge_import_files() -> int:
    """For Celery beat, e.g. daily: deletes the uploaded files (personal data) of imports
    finished, or failed or abandoned for 7 days (``import_files.KEEP_FILES_DAYS``)."""
    return import_files.purge_import_files()
