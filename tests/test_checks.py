from wagtail_distmark import compat
from wagtail_distmark.checks import (
    check_contact_settings,
    check_content_library,
    check_rules_backend,
)


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
