import contextlib

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "django-insecure-example-site-dev-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

with contextlib.suppress(ImportError):
    from .local import *  # noqa: F403
