import importlib.util

import celery
import pytest
from django.urls import include, path

from wagtail_distmark import compat
from wagtail_distmark.checks import (
    check_batch_api,
    check_contact_settings,
    check_content_library,
    check_public_base_url,
    check_public_urls,
    check_rate_limits,
    check_rules_backend,
)

#: A site's URLconf without the public e-mail pages (``ROOT_URLCONF = "tests.test_checks"``).
urlpatterns = [path("admin/", include("wagtail.admin.urls"))]


def test_missing_rules_backend_is_a_system_check_error(settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    errors = check_rules_backend(None)
    assert [error.id for error in errors] == ["wagtail_distmark.E001"]
    assert "rules.permissions.ObjectPermissionBackend" in errors[0].hint


def test_configured_rules_backend_passes(settings):
    assert check_rules_backend(None) == []


def test_w002_is_raised_exactly_without_the_policy_registry(monkeypatch):
    """W002 follows compat's feature test: on Wagtail 7.0 (no registry) images and documents
    keep Wagtail's group permissions, and the check says so; on 8.0 it stays quiet."""
    for has_registry in (True, False):
        monkeypatch.setattr(compat, "HAS_POLICY_REGISTRY", has_registry)
        ids = [warning.id for warning in check_content_library(None)]
        assert ("wagtail_distmark.W002" in ids) is not has_registry


def test_a_misspelt_contact_model_is_an_error(settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "list"
    assert [e.id for e in check_contact_settings(None)] == ["wagtail_distmark.E002"]
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    assert check_contact_settings(None) == []


def test_a_private_root_inside_media_root_is_a_warning(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WAGTAIL_DISTMARK_PRIVATE_ROOT = str(tmp_path / "media" / "private")
    assert [e.id for e in check_contact_settings(None)] == ["wagtail_distmark.W006"]
    settings.WAGTAIL_DISTMARK_PRIVATE_ROOT = str(tmp_path / "private")
    assert check_contact_settings(None) == []


# --- Sending ---------------------------------------------------------------------------------


def ids(problems) -> list[str]:
    return [problem.id for problem in problems]


def test_public_urls_left_out_of_the_urlconf_are_an_error(settings):
    """The example site includes them at mail/ (no error); a site without them would send
    broken unsubscribe links."""
    assert check_public_urls(None) == []
    settings.ROOT_URLCONF = "tests.test_checks"
    errors = check_public_urls(None)
    assert ids(errors) == ["wagtail_distmark.E003"]
    assert 'include("wagtail_distmark.sending.urls")' in errors[0].hint


def test_no_public_base_url_is_an_error(settings):
    settings.WAGTAIL_DISTMARK_PUBLIC_BASE_URL = ""
    settings.WAGTAILADMIN_BASE_URL = ""
    assert ids(check_public_base_url(None)) == ["wagtail_distmark.E004"]
    settings.WAGTAILADMIN_BASE_URL = "https://admin.example.com"  # the fallback is enough
    assert check_public_base_url(None) == []


def test_a_public_base_url_without_https_is_a_warning_in_production_only(settings):
    settings.WAGTAILADMIN_BASE_URL = "https://admin.example.com"
    settings.WAGTAIL_DISTMARK_PUBLIC_BASE_URL = "http://www.example.com"
    settings.DEBUG = False
    problems = check_public_base_url(None)
    assert ids(problems) == ["wagtail_distmark.W007"]
    assert "http://www.example.com" in problems[0].msg and "RFC 8058" in problems[0].hint
    settings.DEBUG = True  # the demo, on the development server
    assert check_public_base_url(None) == []
    settings.DEBUG = False
    settings.WAGTAIL_DISTMARK_PUBLIC_BASE_URL = "https://www.example.com"
    assert check_public_base_url(None) == []


@pytest.fixture
def workers(settings):
    """Celery on a real broker: tasks run in worker processes, not in the web process."""
    conf = celery.current_app.conf
    previous = conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = False
    conf.task_always_eager = False
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "memory://"
    yield conf
    conf.task_always_eager = previous


def test_rate_limits_in_memory_with_workers_are_a_warning(settings, workers):
    assert check_rate_limits(None) == []  # no limit set: nothing to share
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = "1000/second"
    problems = check_rate_limits(None)
    assert ids(problems) == ["wagtail_distmark.W008"]
    assert "WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE" in problems[0].hint
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = ""
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMITS_PER_DOMAIN = {"*": "50/second"}
    assert ids(check_rate_limits(None)) == ["wagtail_distmark.W008"]


def test_rate_limits_shared_or_in_one_process_pass(settings, workers):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND = "300/minute"
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "redis://127.0.0.1:6379/1"
    assert check_rate_limits(None) == []
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the demo: every task in the one process
    assert check_rate_limits(None) == []
    settings.CELERY_TASK_ALWAYS_EAGER = False
    workers.task_always_eager = True  # the app's own configuration says eager
    assert check_rate_limits(None) == []


@pytest.mark.parametrize("value", ["fast", "1000", "10 per fortnight", "0/second",
                                   "10/second;100/minute"])  # fmt: skip
def test_a_rate_limit_that_cannot_be_read_is_an_error(settings, value):
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "redis://127.0.0.1:6379/1"
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = value
    errors = check_rate_limits(None)
    assert ids(errors) == ["wagtail_distmark.E005"]
    assert "WAGTAIL_DISTMARK_SEND_RATE_LIMIT" in errors[0].msg and repr(value) in errors[0].msg


@pytest.mark.parametrize("value", ["1000/second", "10 per minute", "5000/hour", "10/2 seconds"])
def test_rate_limits_the_limits_library_reads_pass(settings, value):
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "redis://127.0.0.1:6379/1"
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = value
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND = value
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMITS_PER_DOMAIN = {"mail.example.com": value}
    assert check_rate_limits(None) == []


def test_a_bad_rate_limit_per_domain_names_its_domain(settings):
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "redis://127.0.0.1:6379/1"
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMITS_PER_DOMAIN = {"mail.example.com": "lots"}
    errors = check_rate_limits(None)
    assert ids(errors) == ["wagtail_distmark.E005"]
    assert "mail.example.com" in errors[0].msg


def test_the_batch_api_without_anymail_is_an_error(settings, monkeypatch):
    settings.WAGTAIL_DISTMARK_SEND_BATCH_API = True
    real_find_spec = importlib.util.find_spec

    def without_anymail(name, *args, **kwargs):
        return None if name == "anymail" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_anymail)
    assert ids(check_batch_api(None)) == ["wagtail_distmark.E006"]
    settings.WAGTAIL_DISTMARK_SEND_BATCH_API = False
    assert check_batch_api(None) == []


def test_the_batch_api_with_anymail_passes(settings):
    pytest.importorskip("anymail")
    settings.WAGTAIL_DISTMARK_SEND_BATCH_API = True
    assert check_batch_api(None) == []
