"""System checks: the plugin cannot enforce anything without the rules backend."""

from django.conf import settings
from django.core.checks import Error, Tags, register

RULES_BACKEND = "rules.permissions.ObjectPermissionBackend"


@register(Tags.security)
def check_rules_backend(app_configs, **kwargs):
    if RULES_BACKEND in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        return []
    return [
        Error(
            "wagtail_distmark needs the django-rules object permission backend.",
            hint=f"Add '{RULES_BACKEND}' to AUTHENTICATION_BACKENDS.",
            id="wagtail_distmark.E001",
        )
    ]
