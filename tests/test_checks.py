from wagtail_distmark.checks import check_rules_backend


def test_missing_rules_backend_is_a_system_check_error(settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    errors = check_rules_backend(None)
    assert [error.id for error in errors] == ["wagtail_distmark.E001"]
    assert "rules.permissions.ObjectPermissionBackend" in errors[0].hint


def test_configured_rules_backend_passes(settings):
    assert check_rules_backend(None) == []
