"""The suite runs where CI says it runs: a silent fallback to SQLite would hide bugs."""

import os

from django.conf import settings
from django.db import connection


def test_database_is_the_one_asked_for():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_celery_is_eager_only_without_a_broker():
    has_broker = bool(os.environ.get("CELERY_BROKER_URL"))
    assert settings.CELERY_TASK_ALWAYS_EAGER is not has_broker
