"""Every setting of the plugin and its default, read when called (never at import)."""

import os
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULT_KIND_LABELS = {
    "headquarters": _("Headquarters"),
    "region": _("Region"),
    "unit": _("Store"),
}


def get_kind_labels() -> dict:
    """Labels of the org unit kinds; a site may rename them (e.g. "Club" for "unit")."""
    return {**DEFAULT_KIND_LABELS, **getattr(settings, "WAGTAIL_DISTMARK_KIND_LABELS", {})}


def get_network_menu_order() -> int:
    return getattr(settings, "WAGTAIL_DISTMARK_NETWORK_MENU_ORDER", 250)


MB = 1024 * 1024
IMAGE_TYPES = ["jpg", "jpeg", "png", "gif", "webp"]
#: Per role: the largest file (bytes) and the file extensions allowed. ``None``: no limit
#: beyond Wagtail's own (``WAGTAILIMAGES_MAX_UPLOAD_SIZE``, ``WAGTAILDOCS_EXTENSIONS`` …).
DEFAULT_UPLOAD_LIMITS = {
    "hq_admin": {"max_size": None, "image_types": None, "document_types": None},
    "regional_manager": {"max_size": 20 * MB, "image_types": IMAGE_TYPES,
                         "document_types": ["pdf", "docx", "xlsx", "pptx"]},
    "unit_manager": {"max_size": 10 * MB, "image_types": IMAGE_TYPES, "document_types": ["pdf"]},
    "unit_editor": {"max_size": 5 * MB, "image_types": IMAGE_TYPES, "document_types": ["pdf"]},
}  # fmt: skip


def get_upload_limits(role: str) -> dict:
    """The upload limits of a role; ``WAGTAIL_DISTMARK_UPLOAD_LIMITS`` overrides them per role,
    e.g. ``{"unit_editor": {"max_size": 2 * 1024 * 1024}}``."""
    overrides = getattr(settings, "WAGTAIL_DISTMARK_UPLOAD_LIMITS", {}).get(role, {})
    return {**DEFAULT_UPLOAD_LIMITS.get(role, {}), **overrides}


def get_max_text_length() -> int:
    """The longest text (in characters) any user field may hold: checked before any pattern
    or parser runs on it (DESIGN invariant 8). Fields have their own, smaller limits."""
    return getattr(settings, "WAGTAIL_DISTMARK_MAX_TEXT_LENGTH", 100_000)


def get_allowed_link_domains() -> list[str]:
    """Domains (and their sub-domains) that e-mail links may point to. Empty: any."""
    return list(getattr(settings, "WAGTAIL_DISTMARK_ALLOWED_LINK_DOMAINS", []))


def get_link_domains_for_contact_data() -> list[str]:
    """Domains (and their sub-domains) whose links may carry a recipient's merge tags
    (``{{ contact.* }}``). Empty by default: personal data never leaves in a link."""
    return list(getattr(settings, "WAGTAIL_DISTMARK_LINK_DOMAINS_FOR_CONTACT_DATA", []))


def get_sender_domains() -> list[str]:
    """The domains a unit's sender address may use: the ones the brand authenticates
    (SPF, DKIM, DMARC). Empty or unset: the domain of ``DEFAULT_FROM_EMAIL``."""
    domains = getattr(settings, "WAGTAIL_DISTMARK_SENDER_DOMAINS", None) or [
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    ]
    return [domain.strip().lower().rstrip(".") for domain in domains if domain.strip()]


def get_compiled_cache_timeout() -> int | None:
    """Seconds a compiled campaign stays in Django's cache (``None``: until evicted). The key
    is a digest of everything the e-mail shows, so this bounds memory, never staleness."""
    return getattr(settings, "WAGTAIL_DISTMARK_COMPILED_CACHE_TIMEOUT", 3600)


def get_default_currency() -> str:
    """The currency of a unit with none of its own, no parent's and no known country's."""
    return getattr(settings, "WAGTAIL_DISTMARK_DEFAULT_CURRENCY", "EUR")


def get_base_url() -> str:
    """The address of the admin, for every absolute link the plugin writes (approval mails,
    test e-mails): Wagtail's own ``WAGTAILADMIN_BASE_URL``, which its notifications use too."""
    return (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "").rstrip("/")


#: How contacts belong to units (``WAGTAIL_DISTMARK_CONTACT_UNITS``).
CONTACT_UNITS_HOME = "home"  # one shared base, each contact has exactly one (home) unit
CONTACT_UNITS_LISTS = "lists"  # units keep lists that roll up: a person may be on several


def get_contact_units_mode() -> str:
    """``"home"`` (default): each contact has exactly one unit, its store ID. ``"lists"``:
    each unit keeps its own list, a person may be on several, and a region or HQ sees the
    union below it without duplicates (the "single customer view")."""
    mode = getattr(settings, "WAGTAIL_DISTMARK_CONTACT_UNITS", CONTACT_UNITS_HOME)
    return CONTACT_UNITS_LISTS if mode == CONTACT_UNITS_LISTS else CONTACT_UNITS_HOME


#: The contact fields each role sees when HQ declared nothing for it (custom attributes are
#: named by their key; ``"*"`` is every field and attribute).
DEFAULT_CONTACT_FIELD_VISIBILITY = {
    "hq_admin": ["*"],
    "regional_manager": ["*"],
    "unit_manager": ["*"],
    "unit_editor": ["email", "first_name", "last_name"],
}


def get_contact_field_visibility(role: str) -> list[str]:
    """The default visible fields of ``role``; ``WAGTAIL_DISTMARK_CONTACT_FIELD_VISIBILITY``
    overrides them per role. HQ's choices in the admin (``ContactFieldPolicy``) win over both."""
    overrides = getattr(settings, "WAGTAIL_DISTMARK_CONTACT_FIELD_VISIBILITY", {})
    return list(overrides.get(role, DEFAULT_CONTACT_FIELD_VISIBILITY.get(role, [])))


def get_import_chunk_size() -> int:
    """Rows an import reads, checks and commits at a time (its progress and resume step)."""
    return getattr(settings, "WAGTAIL_DISTMARK_IMPORT_CHUNK_SIZE", 2000)


def get_import_max_bytes() -> int:
    """The largest contact import file accepted (``WAGTAIL_DISTMARK_IMPORT_MAX_BYTES``,
    256 MB by default): checked before the file is read."""
    return getattr(settings, "WAGTAIL_DISTMARK_IMPORT_MAX_BYTES", 256 * 1024 * 1024)


def get_export_link_hours() -> int:
    """Hours an export's download link stays valid."""
    return getattr(settings, "WAGTAIL_DISTMARK_EXPORT_LINK_HOURS", 24)


def get_export_inline_limit() -> int:
    """Exports of at most this many rows are built at once; larger ones on Celery."""
    return getattr(settings, "WAGTAIL_DISTMARK_EXPORT_INLINE_LIMIT", 5000)


def get_private_root() -> str:
    """The folder of contact imports and exports when the site defines no
    ``STORAGES["distmark_private"]``: ``WAGTAIL_DISTMARK_PRIVATE_ROOT``, by default
    ``distmark-private`` beside ``MEDIA_ROOT`` (inside it, a site would serve the files)."""
    media = str(getattr(settings, "MEDIA_ROOT", "") or ".")
    default = os.path.join(os.path.dirname(os.path.abspath(media)), "distmark-private")
    return str(getattr(settings, "WAGTAIL_DISTMARK_PRIVATE_ROOT", None) or default)


# Sending (wagtail_distmark/sending/, docs/sending.md). Read when called, like every setting.


def get_public_base_url() -> str:
    """The address of the site's public pages that e-mails link to (unsubscribe, view online,
    tracking): ``WAGTAIL_DISTMARK_PUBLIC_BASE_URL``, else the admin's base URL. HTTPS in
    production: mail clients and RFC 8058 expect it (system check W007)."""
    url = getattr(settings, "WAGTAIL_DISTMARK_PUBLIC_BASE_URL", "") or get_base_url()
    return url.rstrip("/")


def get_send_batch_size() -> int:
    """Deliveries one worker claims and sends over one backend connection."""
    return max(1, int(getattr(settings, "WAGTAIL_DISTMARK_SEND_BATCH_SIZE", 100)))


def get_send_parallel_tasks() -> int:
    """How many batch tasks one send keeps queued at once: the most workers that share it."""
    return max(1, int(getattr(settings, "WAGTAIL_DISTMARK_SEND_PARALLEL_TASKS", 4)))


def get_send_task_seconds() -> float:
    """How long one batch task keeps claiming batches before it queues its successor (short
    tasks let a pause, a cancel or a new worker take effect quickly)."""
    return float(getattr(settings, "WAGTAIL_DISTMARK_SEND_TASK_SECONDS", 20))


def get_send_timeout() -> float:
    """Seconds the e-mail backend may wait on the server for any one step (connecting,
    each message): a batch then ends well inside its lease."""
    return float(getattr(settings, "WAGTAIL_DISTMARK_SEND_TIMEOUT", 30))


def get_send_max_attempts() -> int:
    """Attempts of a delivery that fails transiently (SMTP 4xx, a dropped connection, a
    provider's 429 or 5xx) before it is marked failed."""
    return max(1, int(getattr(settings, "WAGTAIL_DISTMARK_SEND_MAX_ATTEMPTS", 5)))


def get_send_retry_delay() -> float:
    """Seconds before the first retry; each later one waits twice as long (with jitter)."""
    return float(getattr(settings, "WAGTAIL_DISTMARK_SEND_RETRY_DELAY", 60))


def get_send_retry_max_delay() -> float:
    return float(getattr(settings, "WAGTAIL_DISTMARK_SEND_RETRY_MAX_DELAY", 3600))


def get_send_lease_seconds() -> float:
    """After this long in *sending*, a delivery's worker is taken for dead: the row becomes
    *unknown* (never resent automatically). Longer than any batch can take."""
    return float(getattr(settings, "WAGTAIL_DISTMARK_SEND_LEASE_SECONDS", 600))


def get_send_rate_limit() -> str:
    """Every send together, shared by all workers: a ``limits`` string such as
    ``"1000/second"``; empty for none."""
    return getattr(settings, "WAGTAIL_DISTMARK_SEND_RATE_LIMIT", "")


def get_send_rate_limit_per_send() -> str:
    """Each send on its own (e.g. ``"300/minute"``); empty for none."""
    return getattr(settings, "WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND", "")


def get_send_rate_limits_per_domain() -> dict[str, str]:
    """Per sender domain, e.g. ``{"mail.example.com": "100/second"}``; ``"*"`` for any other."""
    return dict(getattr(settings, "WAGTAIL_DISTMARK_SEND_RATE_LIMITS_PER_DOMAIN", {}))


def get_rate_limit_storage() -> str:
    """Where the rate limits' counters live, as a ``limits`` storage URI: ``"memory://"``
    (one process: the demo) or ``"redis://host:6379/1"`` (shared by every worker on every
    machine; system check W008 warns when workers run with memory storage)."""
    return getattr(settings, "WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE", "memory://")


def get_send_email_backend() -> str | None:
    """The Django e-mail backend campaigns are sent with (``None``: ``EMAIL_BACKEND``)."""
    return getattr(settings, "WAGTAIL_DISTMARK_EMAIL_BACKEND", None)


def get_send_batch_api() -> bool:
    """Send a whole batch in one call with per-recipient merge data (django-anymail's
    ``merge_data`` / ``merge_headers``), for an ESP backend with a batch API."""
    return bool(getattr(settings, "WAGTAIL_DISTMARK_SEND_BATCH_API", False))


def get_machine_click_seconds() -> float:
    """A click this soon after the delivery is a machine's (a link scanner), not a person's."""
    return float(getattr(settings, "WAGTAIL_DISTMARK_MACHINE_CLICK_SECONDS", 2))
