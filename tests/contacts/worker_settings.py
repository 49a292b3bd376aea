"""Settings of the Celery worker that ``test_import_worker.py`` starts (and kills): the test
settings, with the database URL the test passes (its own test database) and a short broker
visibility timeout, so that the message of a killed worker is delivered again within seconds
(Redis keeps an unacknowledged message for an hour by default)."""

import os

from tests.settings import *  # noqa: F403

#: The test's own private folder (tests/conftest.py gives each test one), passed by the test.
WAGTAIL_DISTMARK_PRIVATE_ROOT = os.environ.get("DISTMARK_TEST_PRIVATE_ROOT", "")

CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3}
WAGTAIL_DISTMARK_IMPORT_CHUNK_SIZE = 100
