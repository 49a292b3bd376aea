"""Public block classes. Their import paths here are frozen into migrations: keep them."""

from wagtail_distmark.blocks.email import *  # noqa: F403
from wagtail_distmark.blocks.email import __all__ as _email_all

__all__ = list(_email_all)
