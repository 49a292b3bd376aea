"""The org tree (head office > regions > stores, any depth) and who works where."""

from email.utils import parseaddr

from babel.numbers import list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.dispatch import Signal
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from wagtail_distmark import conf
from wagtail_distmark.formats import country_currency, country_names, format_price
from wagtail_distmark.org.scoping import UnitScopedQuerySet, UnitScopedQuerySetMixin
from wagtail_distmark.rules import roles

#: Sent after ``OrgUnit.move()`` with ``unit`` (reloaded: its new path): features that keep
#: something in step with the tree (the unit's upload collection) listen, the tree does not
#: know them.
unit_moved = Signal()


def validate_sender_domain(address: str) -> None:
    """A sender address must be on a domain the brand authenticates (SPF, DKIM, DMARC):
    mail "from" any other domain is spoofing, and receivers reject or junk it."""
    domain = address.rpartition("@")[2].lower().rstrip(".")
    allowed = conf.get_sender_domains()
    if not any(domain == ok or domain.endswith("." + ok) for ok in allowed):
        raise ValidationError(
            _("Use an address on %(domains)s: the brand's e-mail is authenticated for these "
              "domains only.") % {"domains": ", ".join(allowed)},
            code="sender_domain",
        )  # fmt: skip


def validate_single_line(value: str) -> None:
    """No line breaks or other control characters: the value goes into a mail header."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError(
            _("Line breaks and control characters are not allowed here."), code="single_line"
        )


def validate_country(code: str) -> None:
    if code not in country_names():
        raise ValidationError(_("Choose a country from the list."), code="country")


def validate_currency(code: str) -> None:
    if code not in list_currencies():
        raise ValidationError(
            _("Enter an ISO 4217 currency code such as EUR, GBP or CAD."), code="currency"
        )


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
    #: The sender address is not among them: HQ and the regional manager choose it, so a unit
    #: cannot send as the head office or as another unit.
    LOCALLY_EDITABLE_FIELDS = (
        "phone",
        "opening_hours",
        "sender_name",
        "reply_to",
        "website",
    )
    #: Fields unique across the network whatever their case; one message for every clash,
    #: so that it confirms no more than needed about units outside the user's scope.
    CASE_INSENSITIVE_UNIQUE = {
        "code": _("This code is not available."),
        "sender_email": _("This sender address is not available: each unit has its own."),
    }

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
    country = models.CharField(
        _("country"), max_length=2, blank=True, validators=[validate_country],
        help_text=_("New units take their parent's country."),
    )  # fmt: skip
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)

    sender_name = models.CharField(
        _("sender name"),
        max_length=255,
        blank=True,
        help_text=_("Shown as the sender of this unit's e-mails, e.g. the owner's name."),
        validators=[validate_single_line],
    )
    sender_email = models.EmailField(
        _("sender e-mail"), blank=True, validators=[validate_sender_domain],
        help_text=_("On one of the brand's domains; replies go to the reply-to address."),
    )  # fmt: skip
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
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[validate_currency],
        help_text=_("ISO 4217 code of the prices shown for this unit, e.g. EUR or GBP. "
                    "Empty: the parent's, else the country's."),
    )  # fmt: skip
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
        labels = conf.get_kind_labels()
        # Not .get(kind, default): the default (a lazy choice label) costs more than the rest.
        return labels[self.kind] if self.kind in labels else self.get_kind_display()

    def clean(self):
        super().clean()
        self.validate_timezone()

    def validate_unique(self, exclude=None):
        errors = {}
        try:
            # The case-insensitive check below also covers the exact one: one query each.
            super().validate_unique(exclude={*(exclude or ()), *self.CASE_INSENSITIVE_UNIQUE})
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name, message in self.CASE_INSENSITIVE_UNIQUE.items():
            if name not in (exclude or ()) and name not in errors and self.value_taken(name):
                errors[name] = [ValidationError(message, code="unique")]
        if errors:
            raise ValidationError(errors)

    def value_taken(self, name: str) -> bool:
        """True if another unit has this unit's (non-empty) value of ``name``, in any case."""
        value = getattr(self, name)
        others = OrgUnit.objects.exclude(pk=self.pk) if self.pk else OrgUnit.objects.all()
        return bool(value) and others.filter(**{f"{name}__iexact": value}).exists()

    def validate_timezone(self):
        import zoneinfo

        if self.timezone and self.timezone not in zoneinfo.available_timezones():
            raise ValidationError(
                {"timezone": _("'%(tz)s' is not a known time zone.") % {"tz": self.timezone}}
            )

    def save(self, *args, **kwargs):
        if not self.currency:
            self.currency = self.inherited_currency()
        super().save(*args, **kwargs)

    def inherited_currency(self) -> str:
        """The parent's currency (unless this unit is in another country than its parent),
        else the country's, else the site's default."""
        parent = self.get_parent() if self.path and (self.depth or 0) > 1 else None
        from_parent = parent.currency if parent is not None else ""
        if parent is not None and self.country and self.country != parent.country:
            from_parent = ""
        return from_parent or country_currency(self.country) or conf.get_default_currency()

    #: What a new unit takes from its parent unless told otherwise.
    INHERITED_FIELDS = ("locale", "timezone", "country", "currency")

    def inherited_values(self) -> dict:
        """The values a new child of this unit starts with."""
        return {name: getattr(self, name) for name in self.INHERITED_FIELDS}

    def get_country_display(self) -> str:
        """The country's name in the current language (the code is what is stored)."""
        return country_names(get_language() or "en").get(self.country, self.country)

    def format_price(self, amount, currency: str = "") -> str:
        """A price in this unit's locale (and its currency unless another is given)."""
        return format_price(amount, currency or self.currency, self.locale)

    def from_address(self) -> str:
        """The From: header of this unit's mail: its sender name, on its sender address if
        that is on an authenticated domain (else the site's default address)."""
        from email.headerregistry import Address

        email = self.sender_email
        try:
            validate_sender_domain(email)
        except ValidationError:
            email = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        name = " ".join((self.sender_name or self.name).split())  # never a line break
        return str(Address(display_name=name, addr_spec=email))

    def reply_to_addresses(self) -> list[str]:
        """Where replies to this unit's mail go: its own address."""
        own = self.reply_to or self.email or self.sender_email
        return [own] if own else []

    def move(self, target, pos=None):
        super().move(target, pos)
        self.refresh_from_db()
        unit_moved.send(sender=OrgUnit, unit=self)

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

    #: The four roles (defined in ``rules/roles.py``, which the rules read without a model).
    Role = roles.Role
    #: Higher outranks lower; nobody may grant or remove a role at or above their own.
    RANKS = roles.RANKS

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
