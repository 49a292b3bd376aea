"""Settings of the Celery workers that ``test_worker_kill.py`` starts (and kills): the test
settings, with what the test passes in the environment (its own PostgreSQL test database in
``DATABASE_URL``, its queue, its SMTP receiver's port) and short timings, so that a killed
worker's task comes back within seconds and its rows become *unknown* soon after.

- ``DISTMARK_TEST_QUEUE``: every task of these workers, and every task they queue, goes there
  (a queue of its own per test run: no other worker takes its tasks);
- ``DISTMARK_TEST_SMTP_PORT``: the receiver (``tests/sending/smtp_server.py``) on 127.0.0.1;
- ``DISTMARK_TEST_MEDIA_ROOT``, ``DISTMARK_TEST_PRIVATE_ROOT``: the test's own folders.
"""

import os

from tests.settings import *  # noqa: F403

WAGTAIL_DISTMARK_PRIVATE_ROOT = os.environ.get("DISTMARK_TEST_PRIVATE_ROOT", "")
#: The test's media (its images: compiling the campaign renders them).
MEDIA_ROOT = os.environ.get("DISTMARK_TEST_MEDIA_ROOT") or MEDIA_ROOT  # noqa: F405

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("DISTMARK_TEST_QUEUE", "distmark-send-test")
#: A killed worker's unacknowledged task is delivered again after this (Redis: 1 hour).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3}
#: A solo worker reserves no task beyond the one it runs (a killed one holds none back).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
WAGTAIL_DISTMARK_EMAIL_BACKEND = EMAIL_BACKEND
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("DISTMARK_TEST_SMTP_PORT", "25"))
EMAIL_HOST_USER = EMAIL_HOST_PASSWORD = ""
EMAIL_USE_TLS = EMAIL_USE_SSL = False
EMAIL_TIMEOUT = 10

WAGTAIL_DISTMARK_PUBLIC_BASE_URL = "https://mail.maison-lumiere.example"
WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 50
#: Rows still *sending* this long after their claim belong to a dead worker (a batch of 50
#: to a local receiver takes a fraction of a second).
WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = 3
WAGTAIL_DISTMARK_SEND_TASK_SECONDS = 3
WAGTAIL_DISTMARK_SEND_PARALLEL_TASKS = 3
WAGTAIL_DISTMARK_SEND_RETRY_DELAY = 0.1
WAGTAIL_DISTMARK_SEND_RETRY_MAX_DELAY = 1
