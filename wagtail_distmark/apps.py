from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailDistmarkAppConfig(AppConfig):
    name = "wagtail_distmark"
    label = "wagtail_distmark"
    verbose_name = _("Distributed marketing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Django: modules that import models load once the app registry is ready.
        from wagtail_distmark import checks  # noqa: F401  (registers the system checks)
        from wagtail_distmark.compat import (
            patch_api_views,
            patch_bulk_actions,
            patch_chosen_multiple_views,
            patch_link_choosers,
            patch_multiple_choice_filters,
        )
        from wagtail_distmark.library.policies import register_library_policies
        from wagtail_distmark.rules import permissions
        from wagtail_distmark.signal_handlers import register_signal_handlers

        patch_link_choosers()
        patch_chosen_multiple_views()
        patch_bulk_actions()
        patch_api_views()
        patch_multiple_choice_filters()
        permissions.register_rules()
        register_library_policies()
        register_signal_handlers()
