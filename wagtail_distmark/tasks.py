"""The Celery tasks of the plugin's features, where ``app.autodiscover_tasks()`` looks for them
(``<app>.tasks``): a worker imports this module and so knows every feature's tasks."""

from wagtail_distmark.contacts.tasks import (
    dry_run_contacts,
    export_contacts,
    import_contacts,
    purge_expired_exports,
    purge_import_files,
)
from wagtail_distmark.sending.tasks import send_batches, start_send, watch_sends

__all__ = [
    "dry_run_contacts",
    "export_contacts",
    "import_contacts",
    "purge_expired_exports",
    "purge_import_files",
    "send_batches",
    "start_send",
    "watch_sends",
]
