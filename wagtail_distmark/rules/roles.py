"""The four roles and their ranks: the core vocabulary every rule, and ``Membership``, reads.

Kept out of any model module so that :mod:`wagtail_distmark.rules.scope` can rank a grant
without importing a model (``org.models.Membership`` re-exports both as ``Membership.Role``
and ``Membership.RANKS``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("HQ admin")
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    UNIT_MANAGER = "unit_manager", _("Unit manager")
    UNIT_EDITOR = "unit_editor", _("Unit editor")


HQ_ADMIN = Role.HQ_ADMIN
REGIONAL_MANAGER = Role.REGIONAL_MANAGER
UNIT_MANAGER = Role.UNIT_MANAGER
UNIT_EDITOR = Role.UNIT_EDITOR

#: Higher outranks lower; nobody may grant or remove a role at or above their own.
RANKS = {
    HQ_ADMIN: 40,
    REGIONAL_MANAGER: 30,
    UNIT_MANAGER: 20,
    UNIT_EDITOR: 10,
}
