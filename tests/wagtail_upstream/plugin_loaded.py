"""Proof that ``make test-wagtail-upstream`` really runs Wagtail's tests with the plugin.

Not named ``test_*.py``: pytest (the main suite, on the example site's settings) leaves it
alone; the Makefile target names it as a test label.
"""

import rules
from django.apps import apps
from django.conf import settings
from django.test import SimpleTestCase
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.permissions import policy_registry


class PluginLoadedTests(SimpleTestCase):
    def test_app_and_rules_backend(self):
        self.assertTrue(apps.is_installed("wagtail_distmark"))
        self.assertEqual(
            settings.AUTHENTICATION_BACKENDS[0], "rules.permissions.ObjectPermissionBackend"
        )
        self.assertTrue(rules.perm_exists("wagtail_distmark.view_orgunit"))

    def test_image_and_document_policies_are_the_plugins(self):
        for model in (get_image_model(), get_document_model()):
            with self.subTest(model=model._meta.label):
                policy = policy_registry.get_by_type(model)
                self.assertTrue(type(policy).__module__.startswith("wagtail_distmark."), policy)
