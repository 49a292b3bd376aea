"""Public block classes. Their import paths here are frozen into migrations: keep them."""

from wagtail_distmark.blocks.email import *  # noqa: F403
from wagtail_distmark.blocks.email import __all__ as _email_all
from wagtail_distmark.blocks.zones import *  # noqa: F403
from wagtail_distmark.blocks.zones import __all__ as _zones_all

__all__ = [*_email_all, *_zones_all]
