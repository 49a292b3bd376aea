"""Every setting of the plugin and its default, read when called (never at import)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULT_KIND_LABELS = {
    "headquarters": _("Headquarters"),
    "region": _("Region"),
    "unit": _("Store"),
}


def get_kind_labels() -> dict:
    """Labels of the org unit kinds; a site may rename them (e.g. "Club" for "unit")."""
    return {**DEFAULT_KIND_LABELS, **getattr(settings, "WAGTAIL_DISTMARK_KIND_LABELS", {})}


def get_network_menu_order() -> int:
    return getattr(settings, "WAGTAIL_DISTMARK_NETWORK_MENU_ORDER", 250)
