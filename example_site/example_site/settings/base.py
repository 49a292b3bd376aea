"""Settings shared by every run of the example site.

SQLite and eager Celery by default; ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL and a real broker.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

INSTALLED_APPS = [
    "home",
    "wagtail_distmark",
    "wagtail_distmark.workflows",
    "wagtail_modeladmin",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rules",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "example_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=0
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "French")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

WAGTAIL_SITE_NAME = "Maison Lumière network"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# E-mails print in the console of `make demo`. To read them as a mail client would, run a
# local SMTP catcher (`python -m aiosmtpd -n -l 127.0.0.1:1025`) and start the demo with
# DISTMARK_SMTP=127.0.0.1:1025: the example site then sends over SMTP to it (README, "Send the
# Lyon newsletter").
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DISTMARK_SMTP = os.environ.get("DISTMARK_SMTP", "")
if DISTMARK_SMTP:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, _, _port = DISTMARK_SMTP.rpartition(":")
    EMAIL_HOST = EMAIL_HOST or "127.0.0.1"
    EMAIL_PORT = int(_port or 1025)
DEFAULT_FROM_EMAIL = "network@maison-lumiere.example"

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (CELERY_BROKER_URL or None)


def redis_db(url: str, db: int) -> str:
    """The same Redis server as ``url``, on database ``db``."""
    return urlsplit(url)._replace(path=f"/{db}").geturl()


# Sending: the rate limits' counters are shared by every worker through Redis (database 1,
# beside the broker's); with no broker (the demo's eager Celery) one process counts alone.
WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = os.environ.get("WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE") or (
    redis_db(CELERY_BROKER_URL, 1)
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else "memory://"
)
# What sent e-mails link to (unsubscribe, view online, tracking): HTTPS in production.
WAGTAIL_DISTMARK_PUBLIC_BASE_URL = os.environ.get(
    "WAGTAIL_DISTMARK_PUBLIC_BASE_URL", WAGTAILADMIN_BASE_URL
)

# Renames the top unit kind (the others keep the plugin's "Region" and "Store"); lazy, so
# each user reads it in their own language.
WAGTAIL_DISTMARK_KIND_LABELS = {"headquarters": gettext_lazy("Head office")}

# The content library: usage-rights dates and per-role upload limits on Wagtail's own forms.
WAGTAILIMAGES_IMAGE_FORM_BASE = "wagtail_distmark.library.forms.LibraryImageForm"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "wagtail_distmark.library.forms.LibraryDocumentForm"
# Documents go through Wagtail's serve view, where the plugin checks who may download them
# (docs/library.md); "direct" would hand out the storage URL instead.
WAGTAILDOCS_SERVE_METHOD = "serve_view"

# Approvals that wait too long move one level up the org tree (run `celery -A example_site
# beat` beside a worker; docs/workflows.md).
CELERY_BEAT_SCHEDULE = {
    "distmark-escalate-overdue-approvals": {
        "task": "wagtail_distmark.workflows.tasks.escalate_overdue_approvals",
        "schedule": 15 * 60,
    },
    # Files of contact exports whose download link expired (docs/how-to/manage-contacts.md).
    "distmark-purge-expired-exports": {
        "task": "wagtail_distmark.contacts.tasks.purge_expired_exports",
        "schedule": 60 * 60,
    },
    # Uploaded contact files: deleted once imported, or after a week unfinished.
    "distmark-purge-import-files": {
        "task": "wagtail_distmark.contacts.tasks.purge_import_files",
        "schedule": 24 * 60 * 60,
    },
    # Sending: starts the scheduled sends that are due and restarts stalled ones (a worker
    # that died); every 30 seconds. Beat runs once, however many workers
    # (docs/how-to/production-layout.md).
    "distmark-watch-sends": {
        "task": "wagtail_distmark.sending.tasks.watch_sends",
        "schedule": 30,
    },
}
