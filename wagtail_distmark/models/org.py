"""The org tree (head office > regions > stores, any depth) and who works where."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from wagtail_distmark import conf
from wagtail_distmark.models.scoping import UnitScopedQuerySet, UnitScopedQuerySetMixin


class OrgUnitQuerySet(UnitScopedQuerySetMixin, MP_NodeQuerySet):
    unit_path_lookup = "path"


class OrgUnitManager(MP_NodeManager):
    def get_queryset(self):
        return OrgUnitQuerySet(self.model, using=self._db).order_by("path")

    def for_user(self, user):
        return self.get_queryset().for_user(user)


class OrgUnit(MP_Node):
    """A node of the network: the head office, a region, a store — any depth.

    The profile fields are what e-mail templates show ("signed by your local store").
    """

    class Kind(models.TextChoices):
        HEADQUARTERS = "headquarters", _("Headquarters")
        REGION = "region", _("Region")
        UNIT = "unit", _("Store")

    #: Profile fields a unit manager may edit on their own unit; everything else is HQ's.
    LOCALLY_EDITABLE_FIELDS = (
        "phone",
        "opening_hours",
        "sender_name",
        "sender_email",
        "reply_to",
        "website",
    )

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.UNIT)
    code = models.CharField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("The store number, unique across the network."),
    )

    address_line_1 = models.CharField(_("address line 1"), max_length=255, blank=True)
    address_line_2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)

    sender_name = models.CharField(
        _("sender name"),
        max_length=255,
        blank=True,
        help_text=_("Shown as the sender of this unit's e-mails, e.g. the owner's name."),
    )
    sender_email = models.EmailField(_("sender e-mail"), blank=True)
    reply_to = models.EmailField(_("reply-to"), blank=True)

    locale = models.CharField(
        _("locale"),
        max_length=20,
        default="en",
        validators=[
            RegexValidator(
                r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                _("Enter a language tag such as 'en', 'fr' or 'fr-CA'."),
            )
        ],
        help_text=_("Language of this unit's messages, e.g. 'en' or 'fr-CA'."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        help_text=_("An IANA time zone name, e.g. 'Europe/Paris'."),
    )
    opening_hours = models.TextField(_("opening hours"), blank=True)
    collection = models.OneToOneField(
        "wagtailcore.Collection", null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="distmark_unit",
        verbose_name=_("upload collection"),
        help_text=_("Where this unit's own images and documents go; kept in step with the tree."),
    )  # fmt: skip

    objects = OrgUnitManager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        # Permissions come from the rules and memberships, never from Django groups.
        default_permissions = []

    def __str__(self):
        return self.name

    @property
    def kind_label(self) -> str:
        return conf.get_kind_labels().get(self.kind, self.get_kind_display())

    def clean(self):
        super().clean()
        self.validate_timezone()

    def validate_timezone(self):
        import zoneinfo

        if self.timezone and self.timezone not in zoneinfo.available_timezones():
            raise ValidationError(
                {"timezone": _("'%(tz)s' is not a known time zone.") % {"tz": self.timezone}}
            )

    def move(self, target, pos=None):
        super().move(target, pos)
        from wagtail_distmark.library.collections import sync_unit_collection

        self.refresh_from_db()
        sync_unit_collection(self)

    def ancestor_paths(self) -> list[str]:
        """The paths of this unit and of every unit above it, root first (no query)."""
        return path_and_ancestors(self.path)

    def is_within(self, other: "OrgUnit") -> bool:
        """True if this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)


def path_and_ancestors(path: str) -> list[str]:
    """A tree path and the paths of its ancestors, root first."""
    step = OrgUnit.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


class Membership(models.Model):
    """A user holds a role on a unit; the role applies to the unit's whole subtree."""

    class Role(models.TextChoices):
        HQ_ADMIN = "hq_admin", _("HQ admin")
        REGIONAL_MANAGER = "regional_manager", _("Regional manager")
        UNIT_MANAGER = "unit_manager", _("Unit manager")
        UNIT_EDITOR = "unit_editor", _("Unit editor")

    #: Higher outranks lower; nobody may grant or remove a role at or above their own.
    RANKS = {
        Role.HQ_ADMIN: 40,
        Role.REGIONAL_MANAGER: 30,
        Role.UNIT_MANAGER: 20,
        Role.UNIT_EDITOR: 10,
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="distmark_memberships",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = UnitScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        default_permissions = []
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="distmark_one_role_per_unit"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.unit}"

    @property
    def rank(self) -> int:
        return self.RANKS[self.role]
