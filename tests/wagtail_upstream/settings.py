"""Settings to run Wagtail's own permission test suites with wagtail_distmark installed.

Why this exists: the plugin hooks into Wagtail's permission machinery (django-rules'
object permission backend in front of ModelBackend, a ``wagtailadmin.access_admin`` rule,
and its own policies registered with ``wagtail.permissions.register_permission_policy``).
Wagtail's tests for group- and collection-based permissions, run against Wagtail's test
project plus this plugin, check that none of that changes Wagtail's behaviour for sites
and models the plugin does not own. Run with ``make test-wagtail-upstream``.

Everything else (test apps, URLs, the in-memory SQLite database) is Wagtail's own.
"""

import atexit
import importlib.util
import shutil
import tempfile

from wagtail.test.settings import *  # noqa: F403
from wagtail.test.settings import INSTALLED_APPS, TEMPLATES

# What the plugin needs (setup.cfg install_requires; README "Installation").
for app in ("rules", "wagtail_modeladmin", "wagtail_distmark"):
    if app not in INSTALLED_APPS:
        INSTALLED_APPS.append(app)

# The plugin's system check (wagtail_distmark.E001) requires the rules backend; it goes
# first, as in the example site, so every permission question passes through it.
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Wagtail's test project also configures a Jinja2 engine, which every request's system
# checks instantiate; Jinja2 is in Wagtail's test extras, not ours. None of the permission
# tests render Jinja2, so the engine is dropped when Jinja2 is not installed.
if importlib.util.find_spec("jinja2") is None:
    TEMPLATES = [t for t in TEMPLATES if not t["BACKEND"].endswith(".Jinja2")]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Wagtail's settings put MEDIA_ROOT inside the installed wagtail package; uploads made by
# the image/document tests go to a throwaway directory instead.
MEDIA_ROOT = tempfile.mkdtemp(prefix="wagtail-upstream-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)

# Wagtail's test URLconf has no place for the plugin's public e-mail pages, and these tests
# send no campaign: the check that asks for them (wagtail_distmark.E003) is silenced here only.
SILENCED_SYSTEM_CHECKS = ["wagtail_distmark.E003"]
