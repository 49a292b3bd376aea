"""Settings of ``bench/send.py``'s driver and of the Celery workers it starts: the example
site's test settings, sending over SMTP to the benchmark's receiver on 127.0.0.1, on the
database and broker the script passes in the environment (``DATABASE_URL``,
``CELERY_BROKER_URL``; no broker: Celery runs eagerly in the driver)."""

import os

from example_site.settings.test import *  # noqa: F403

#: Campaigns go over SMTP to the receiver; other mail (the approval's) stays in memory.
WAGTAIL_DISTMARK_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SMTP_PORT", "2525"))
EMAIL_TIMEOUT = 30
MEDIA_ROOT = os.environ.get("BENCH_MEDIA_ROOT", MEDIA_ROOT)  # noqa: F405
WAGTAIL_DISTMARK_PUBLIC_BASE_URL = "https://news.maison-lumiere.example"

WAGTAIL_DISTMARK_SEND_BATCH_SIZE = int(os.environ.get("BENCH_BATCH_SIZE", "200"))
WAGTAIL_DISTMARK_SEND_PARALLEL_TASKS = int(os.environ.get("BENCH_PARALLEL_TASKS", "4"))
WAGTAIL_DISTMARK_SEND_TASK_SECONDS = float(os.environ.get("BENCH_TASK_SECONDS", "20"))
#: A killed worker's rows become *unknown* after this long (the default, 10 minutes, would
#: make ``--kill`` wait that long); a batch of 200 takes well under a second.
WAGTAIL_DISTMARK_SEND_LEASE_SECONDS = float(os.environ.get("BENCH_LEASE_SECONDS", "600"))
WAGTAIL_DISTMARK_SEND_RATE_LIMIT = os.environ.get("BENCH_RATE_LIMIT", "")
WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = os.environ.get("BENCH_RATE_LIMIT_STORAGE", "memory://")

#: Each benchmark run has its own queue: a worker of another run (or of a test) on the same
#: Redis never takes its tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "celery")
#: A long batch task per worker, acknowledged late: reserve no other task meanwhile.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
#: A killed worker's unacknowledged task comes back after this long (Redis' default is an
#: hour); longer than a batch task runs (WAGTAIL_DISTMARK_SEND_TASK_SECONDS).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("BENCH_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
