"""System checks: the plugin cannot enforce anything without the rules backend, nor send
e-mails whose links work without its public URLs and their address."""

import importlib.util
import os

import celery
import limits
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.urls import get_resolver
from django.utils.module_loading import import_string
from wagtail.snippets.models import get_snippet_models

from wagtail_distmark import compat, conf
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


# --- Sending (docs/reference/system-checks.md) ------------------------------------------------

PUBLIC_NAMESPACE = "wagtail_distmark_public"


@register(Tags.urls)
def check_public_urls(app_configs, **kwargs):
    """Sent e-mails link to the public pages (one-click unsubscribe, view online, tracking):
    without them in the site's URLconf every such link would be broken."""
    if PUBLIC_NAMESPACE in get_resolver().namespace_dict:
        return []
    return [
        Error(
            "The public e-mail pages of wagtail_distmark are not in the site's URLconf: sent "
            "e-mails would carry broken unsubscribe links.",
            hint='Add path("mail/", include("wagtail_distmark.sending.urls")) to your urls.py.',
            id="wagtail_distmark.E003",
        )
    ]


@register()
def check_public_base_url(app_configs, **kwargs):
    """Unsubscribe and tracking links are absolute: they need the site's public address, on
    HTTPS in production (RFC 8058 mail clients expect an HTTPS one-click URL)."""
    url = conf.get_public_base_url()
    if not url:
        return [
            Error(
                "wagtail_distmark has no public base URL for the links of sent e-mails.",
                hint="Set WAGTAIL_DISTMARK_PUBLIC_BASE_URL (or WAGTAILADMIN_BASE_URL) to the "
                "site's public address, e.g. 'https://www.example.com'.",
                id="wagtail_distmark.E004",
            )
        ]
    if url.startswith("https://") or settings.DEBUG:
        return []
    return [
        Warning(
            f"The public base URL of sent e-mails, {url!r}, is not HTTPS.",
            hint="Mail clients expect an HTTPS one-click unsubscribe URL (RFC 8058): set "
            "WAGTAIL_DISTMARK_PUBLIC_BASE_URL to an https:// address.",
            id="wagtail_distmark.W007",
        )
    ]


@register()
def check_rate_limits(app_configs, **kwargs):
    """Each rate limit must be a ``limits`` string; limits counted in one process's memory
    are not shared by the workers of a real broker."""
    named = rate_limit_settings()
    problems = [
        Error(
            f"{setting} = {value!r} is not a rate limit.",
            hint='Write one limit as the limits library reads it: "100/second", '
            '"5000/hour", "10 per minute".',
            id="wagtail_distmark.E005",
        )
        for setting, value in named
        if not parses(value)
    ]
    if named and conf.get_rate_limit_storage().startswith("memory://") and not celery_is_eager():
        problems.append(
            Warning(
                "Rate limits are counted in memory while Celery runs on workers: each worker "
                "counts alone, so together they send faster than the limit.",
                hint="Set WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE to a storage every worker shares, "
                'e.g. "redis://redis-host:6379/1" (also with RabbitMQ as the broker).',
                id="wagtail_distmark.W008",
            )
        )
    return problems


def rate_limit_settings() -> list[tuple[str, str]]:
    """The rate limits set, as (setting name, value), empty ones left out."""
    named = [
        ("WAGTAIL_DISTMARK_SEND_RATE_LIMIT", conf.get_send_rate_limit()),
        ("WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND", conf.get_send_rate_limit_per_send()),
    ]
    per_domain = conf.get_send_rate_limits_per_domain().items()
    named += [(f"WAGTAIL_DISTMARK_SEND_RATE_LIMITS_PER_DOMAIN[{d!r}]", v) for d, v in per_domain]
    return [(setting, value) for setting, value in named if value]


def parses(value) -> bool:
    """One limit of at least one message (``limits.parse`` would read the first of
    ``"10/second;100/minute"`` and drop the rest; ``0/second`` would stall every send)."""
    try:
        items = limits.parse_many(str(value))
    except ValueError:
        return False
    return len(items) == 1 and items[0].amount >= 1


def celery_is_eager() -> bool:
    """Tasks run in the web process (the demo, tests): one process, one memory."""
    return bool(
        getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
        or celery.current_app.conf.task_always_eager
    )


@register()
def check_batch_api(app_configs, **kwargs):
    if not conf.get_send_batch_api() or importlib.util.find_spec("anymail") is not None:
        return []
    return [
        Error(
            "WAGTAIL_DISTMARK_SEND_BATCH_API is on, but django-anymail is not installed.",
            hint="Install django-anymail and set WAGTAIL_DISTMARK_EMAIL_BACKEND to its ESP "
            "backend, or turn the batch API off.",
            id="wagtail_distmark.E006",
        )
    ]
