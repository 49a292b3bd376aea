"""Production settings: the base settings, with secrets from the environment and persistent
database connections.

Each request used to open a new PostgreSQL connection (``CONN_MAX_AGE = 0``, Django's default):
a TCP and authentication round trip before the first query of every page. A connection now
lives for ``DJANGO_CONN_MAX_AGE`` seconds (default 60) and is reused by the requests its
worker serves; ``CONN_HEALTH_CHECKS`` checks a reused connection before a request uses it, so a
database restart costs one reconnect instead of a 500. Keep the number of connections under
PostgreSQL's ``max_connections``: one per worker thread (e.g. gunicorn's ``workers *
threads``) per application server, plus Celery's workers.
"""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")

DATABASES = {  # a new dict: the base module's stays as it was
    "default": {
        **DATABASES["default"],  # noqa: F405
        "CONN_MAX_AGE": int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
    }
}
