from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsAppConfig(AppConfig):
    name = "wagtail_distmark.workflows"
    label = "wagtail_distmark_workflows"
    verbose_name = _("Distributed marketing workflows")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Django: modules that import models load once the app registry is ready.
        from wagtail_distmark.workflows.signal_handlers import register_signal_handlers

        register_signal_handlers()
