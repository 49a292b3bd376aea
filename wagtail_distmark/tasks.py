"""The Celery tasks of the plugin's features, where ``app.autodiscover_tasks()`` looks for them
(``<app>.tasks``): a worker imports this module and so knows every feature's tasks."""

from wagtail_distmark.contacts.tasks import export_contacts, import_contacts, purge_expired_exports

__all__ = ["export_contacts", "import_contacts", "purge_expired_exports"]
