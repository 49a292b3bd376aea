"""Test settings: the example site's, so tests exercise the plugin as a site installs it."""

from example_site.settings.test import *  # noqa: F403
