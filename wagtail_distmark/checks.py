"""System checks: the plugin cannot enforce anything without the rules backend."""

import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string
from wagtail.snippets.models import get_snippet_models

from wagtail_distmark import compat
from wagtail_distmark.library.forms import LibraryFormMixin
from wagtail_distmark.rules.policies import ScopedUrlsMixin, unmapped_url_names

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


FORM_BASES = {
    "WAGTAILIMAGES_IMAGE_FORM_BASE": "wagtail_distmark.library.forms.LibraryImageForm",
    "WAGTAILDOCS_DOCUMENT_FORM_BASE": "wagtail_distmark.library.forms.LibraryDocumentForm",
}


@register(Tags.security)
def check_content_library(app_configs, **kwargs):
    warnings = []
    if not compat.HAS_POLICY_REGISTRY:
        warnings.append(
            Warning(
                "Org-aware image and document permissions need Wagtail 8.0 or later.",
                hint="On this Wagtail, images and documents use Wagtail's group collection "
                "permissions only: give units access through groups, or upgrade.",
                id="wagtail_distmark.W002",
            )
        )
    for setting, form in FORM_BASES.items():
        path = getattr(settings, setting, "")
        base = import_string(path) if path else None
        if base is None or not issubclass(base, LibraryFormMixin):
            warnings.append(
                Warning(
                    f"{setting} does not use wagtail_distmark's library form.",
                    hint=f"Set {setting} = '{form}' (or mix LibraryFormMixin into your "
                    "form) to get usage-rights dates and per-role upload limits.",
                    id="wagtail_distmark.W003",
                )
            )
    return warnings


@register(Tags.security)
def check_document_serving(app_configs, **kwargs):
    """Documents must go through Wagtail's serve view, where the plugin checks who may
    download them; "direct" links to the storage URL and skips every check."""
    if getattr(settings, "WAGTAILDOCS_SERVE_METHOD", None) != "direct":
        return []
    return [
        Warning(
            "WAGTAILDOCS_SERVE_METHOD = 'direct' serves the units' documents to anyone "
            "holding the link.",
            hint="Use 'serve_view' (or 'redirect' to a private storage with expiring URLs); "
            "see the content library docs, 'Who may download what'.",
            id="wagtail_distmark.W004",
        )
    ]


@register(Tags.security)
def check_snippet_url_rules(app_configs, **kwargs):
    """Every URL of our snippet viewsets must be mapped to a rule (``URL_RULES``); an
    unmapped one (e.g. a view a new Wagtail release adds) answers 404 until it is."""
    warnings = []
    for model in get_snippet_models():
        viewset = getattr(model, "snippet_viewset", None)
        if not isinstance(viewset, ScopedUrlsMixin):
            continue
        for name in sorted(unmapped_url_names(viewset, viewset.url_rules)):
            warnings.append(
                Warning(
                    f"{type(viewset).__name__} registers the URL '{name}', which no rule "
                    "answers: it is switched off (404).",
                    hint="Map it in wagtail_distmark.rules.policies.URL_RULES (or the "
                    "viewset's url_rules) to the rule it needs, or to OFF.",
                    id="wagtail_distmark.W005",
                )
            )
    return warnings


@register()
def check_contact_settings(app_configs, **kwargs):
    """A misspelt contact model would silently fall back to home units; a private storage
    inside MEDIA_ROOT would let the site serve contact imports and exports."""
    errors = []
    mode = getattr(settings, "WAGTAIL_DISTMARK_CONTACT_UNITS", "home")
    if mode not in ("home", "lists"):
        errors.append(
            Error(
                f"WAGTAIL_DISTMARK_CONTACT_UNITS is {mode!r}.",
                hint='Use "home" (each contact has one home unit) or "lists" (units keep '
                "lists that roll up).",
                id="wagtail_distmark.E002",
            )
        )
    if is_under_media_root(getattr(settings, "WAGTAIL_DISTMARK_PRIVATE_ROOT", None)):
        errors.append(
            Warning(
                "WAGTAIL_DISTMARK_PRIVATE_ROOT lies inside MEDIA_ROOT: contact imports and "
                "exports could be served to anyone holding their URL.",
                hint="Point it at a folder no URL serves (the default is beside MEDIA_ROOT).",
                id="wagtail_distmark.W006",
            )
        )
    return errors


def is_under_media_root(path) -> bool:
    media = getattr(settings, "MEDIA_ROOT", "")
    if not path or not media:
        return False
    private, media = os.path.realpath(path), os.path.realpath(media)
    return os.path.commonpath([private, media]) == media
