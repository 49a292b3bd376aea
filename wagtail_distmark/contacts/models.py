"""The customer base: contacts, their units, consent, suppression, audiences, imports, exports.

A contact is one person. It belongs to units through :class:`ContactUnit` links, and a user sees
a contact only through a link inside their scope (one path-prefix filter, as everywhere). Whether
a person has one home unit or may be on several units' lists is a setting
(``WAGTAIL_DISTMARK_CONTACT_UNITS``, see :func:`wagtail_distmark.conf.get_contact_units_mode`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.campaigns.models import BrandTemplate, LocalCampaign
from wagtail_distmark.contacts import storage
from wagtail_distmark.contacts.normalise import email_hash
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.roles import Role
from wagtail_distmark.rules.scope import get_scope


class Source(models.TextChoices):
    """Where a link, a consent or a change came from."""

    ADMIN = "admin", _("Entered in the admin")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    FORM = "form", _("Sign-up form")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    RECONSENT = "reconsent", _("Explicit re-consent")
    DEMO = "demo", _("Demo data")
    SYSTEM = "system", _("System")


class CommunicationType(models.Model):
    """A kind of message people consent to (newsletter, promotions, events), defined by HQ."""

    class Scope(models.TextChoices):
        BRAND = "brand", _("Brand-wide: one consent for the whole network")
        UNIT = "unit", _("Per unit: each unit asks for its own consent")

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    scope = models.CharField(
        _("consent given"), max_length=5, choices=Scope.choices, default=Scope.BRAND
    )

    class Meta:
        verbose_name = _("communication type")
        verbose_name_plural = _("communication types")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_per_unit(self) -> bool:
        return self.scope == self.Scope.UNIT


class Tag(models.Model):
    """A label HQ declares for contacts; imports may only use declared tags."""

    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("contact tag")
        verbose_name_plural = _("contact tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="distmark_tag_name_ci_unique"),
        ]

    def __str__(self):
        return self.name


class ContactAttribute(models.Model):
    """A custom field HQ declares for contacts, stored in ``Contact.attributes[key]``."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes / no")

    key = models.SlugField(
        _("key"),
        max_length=40,
        unique=True,
        help_text=_(
            "Used in imports (as a column name) and merge tags: {{ contact.attributes.key }}."
        ),
    )
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)

    class Meta:
        verbose_name = _("contact attribute")
        verbose_name_plural = _("contact attributes")
        ordering = ["label"]

    def __str__(self):
        return self.label


class ContactFieldPolicy(models.Model):
    """Which contact fields one role sees; without a row, the defaults of
    :func:`wagtail_distmark.conf.get_contact_field_visibility` apply."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, unique=True)
    fields = models.JSONField(_("visible fields"), default=list, blank=True)

    class Meta:
        verbose_name = _("contact field visibility")
        verbose_name_plural = _("contact field visibility")
        ordering = ["role"]

    def __str__(self):
        return str(self.get_role_display())


class ContactQuerySet(models.QuerySet):
    def for_user(self, user):
        """The contacts with a link to a unit in the user's scope, each once.

        One subquery on the links, filtered by the scope's path prefixes: a constant number of
        queries whatever the number of contacts or units. A user whose scope holds every root
        of the tree (HQ) gets no filter at all, so HQ also sees contacts that lost their last
        link (a deleted unit).
        """
        scope = get_scope(user)
        if scope.is_superuser or covers_every_root(scope):
            return self.all()
        if not scope.grants:
            return self.none()
        return self.filter(
            Exists(ContactUnit.objects.filter(scope.q("unit__path"), contact=OuterRef("pk")))
        )

    def under(self, path: str):
        """The contacts with a link to the unit at ``path`` or below it."""
        links = ContactUnit.objects.filter(contact=OuterRef("pk"), unit__path__startswith=path)
        return self.filter(Exists(links))

    def live(self):
        """Not erased."""
        return self.filter(erased_at__isnull=True)


def covers_every_root(scope) -> bool:
    roots = OrgUnit.get_root_nodes().values_list("path", flat=True)
    prefixes = scope.prefixes()
    return bool(prefixes) and all(any(path.startswith(p) for p in prefixes) for path in roots)


class Contact(models.Model):
    """One person of the customer base."""

    email = models.EmailField(_("e-mail"), max_length=254, unique=True, null=True, blank=True)
    #: ``normalise.email_hash(email)``: how sends match the suppression list (kept by save()).
    email_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    locale = models.CharField(_("locale"), max_length=12, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    tags = models.ManyToManyField(
        Tag, through="ContactTag", blank=True, related_name="contacts", verbose_name=_("tags")
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    units = models.ManyToManyField(
        OrgUnit, through="ContactUnit", related_name="contacts", verbose_name=_("units")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    #: The fields a role may be allowed to see, in the order screens show them.
    PERSONAL_FIELDS = (
        "email",
        "first_name",
        "last_name",
        "locale",
        "phone",
        "birth_date",
        "postal_code",
        "city",
        "country",
        "tags",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The listing counts the live contacts (HQ: all of them, Wagtail's paginator) and
            # joins them to the links by id: this narrow index answers without the table.
            models.Index(
                fields=["id"], condition=Q(erased_at__isnull=True), name="distmark_contact_live"
            ),
        ]
        # Exporting personal data is its own right (Meta.permissions: see STYLE.md rule 8).
        permissions = [
            ("export_contact", _("Can export contacts")),
            ("import_contact", _("Can import contacts")),
            ("erase_contact", _("Can erase contacts")),
        ]

    def __str__(self):
        # No personal field: titles, breadcrumbs and Wagtail's audit log show this to every
        # role, including those a field is hidden from (screens show the visible fields).
        return str(_("Contact #%(pk)s") % {"pk": self.pk})

    def save(self, *args, **kwargs):
        self.email_hash = email_hash(self.email) if self.email else ""
        super().save(*args, **kwargs)


class ContactUnit(models.Model):
    """A contact's place on a unit's list (its home unit, or one of its lists)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="links", verbose_name=_("contact")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="contact_links", verbose_name=_("unit")
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.ADMIN
    )
    since = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("contact's unit")
        verbose_name_plural = _("contacts' units")
        indexes = [
            # Scoping and audiences go from a subtree's units to their contacts: read from
            # the index alone (the unique constraint's index starts with the contact).
            models.Index(fields=["unit", "contact"], name="distmark_link_unit_contact"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "unit"], name="distmark_contact_unit_unique"
            ),
        ]

    def __str__(self):
        return f"{self.contact_id} @ {self.unit}"


class ContactTag(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("contact tag")
        constraints = [
            models.UniqueConstraint(fields=["contact", "tag"], name="distmark_contact_tag_unique"),
        ]

    def __str__(self):
        return f"{self.contact_id}: {self.tag_id}"


class ConsentStatus(models.TextChoices):
    SUBSCRIBED = "subscribed", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Consent(models.Model):
    """The current consent of a contact for a communication type (and unit, for a per-unit
    type): what audiences read. Every change also appends a :class:`ConsentEvent`."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    # PROTECT: a type people consented to is kept (its consents are a legal record).
    communication_type = models.ForeignKey(
        CommunicationType, on_delete=models.PROTECT, related_name="consents"
    )
    unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=ConsentStatus.choices)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            # NULLs are distinct in a unique index: one partial constraint for each shape.
            models.UniqueConstraint(
                fields=["contact", "communication_type"],
                condition=Q(unit__isnull=True),
                name="distmark_consent_brand_unique",
            ),
            models.UniqueConstraint(
                fields=["contact", "communication_type", "unit"],
                condition=Q(unit__isnull=False),
                name="distmark_consent_unit_unique",
            ),
        ]

    def __str__(self):
        return f"{self.communication_type}: {self.get_status_display()}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The consent history is append-only.")

    def delete(self):
        raise TypeError("The consent history is append-only.")


class ConsentEvent(models.Model):
    """One change of consent, kept for ever (append-only): who, when, how, on what evidence."""

    # PROTECT, here and on the type: the history is append-only, and a deletion would take it
    # through Django's collector, past AppendOnlyQuerySet.delete. Contacts are erased instead.
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="consent_events")
    communication_type = models.ForeignKey(
        CommunicationType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("communication"),
    )
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("unit"),
    )
    status = models.CharField(_("status"), max_length=12, choices=ConsentStatus.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    evidence = models.TextField(_("evidence"), max_length=2000, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("set by"),
    )
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("import"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent history")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.communication_type_id}: {self.status} ({self.source})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The consent history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The consent history is append-only.")


class Suppression(models.Model):
    """An address never to write to again, kept by hash so that it outlives the contact."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        UNSUBSCRIBE_ALL = "unsubscribe_all", _("Unsubscribed from everything")
        ERASURE = "erasure", _("Erased on request")
        MANUAL = "manual", _("Added by HQ")

    email_hash = models.CharField(_("address hash"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.email_hash[:12]}…)"


class AudienceQuerySet(models.QuerySet):
    def for_user(self, user):
        """Audiences of a unit in the user's scope, and HQ's segments of the brand templates
        available to one of the user's units (to use as given, or narrow)."""
        scope = get_scope(user)
        paths = [grant.path for grant in scope.grants]
        templates = BrandTemplate.objects.available_under(paths).values("pk")
        return self.filter(scope.q("unit__path") | Q(template__in=templates))


class Audience(models.Model):
    """A saved segment: a unit's subtree and filters. Consent for its communication type is
    always required. Built on a ``base`` (HQ's segment for a template), it can only narrow it:
    every filter of the base applies too."""

    name = models.CharField(_("name"), max_length=255)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="audiences",
        verbose_name=_("unit"),
        help_text=_("Contacts of this unit and the units below it."),
    )
    communication_type = models.ForeignKey(
        CommunicationType,
        on_delete=models.PROTECT,
        related_name="audiences",
        verbose_name=_("communication type"),
        help_text=_("Only contacts who consented to it are ever counted or sent to."),
    )
    base = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="narrowed",
        verbose_name=_("narrows"),
    )
    template = models.ForeignKey(
        BrandTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audiences",
        verbose_name=_("segment of brand template"),
        help_text=_("Units using this template start from this segment and can only narrow it."),
    )
    tags = models.ManyToManyField(
        Tag,
        blank=True,
        related_name="+",
        verbose_name=_("tags"),
        help_text=_("Contacts with at least one of these tags."),
    )
    locales = models.JSONField(_("locales"), default=list, blank=True)
    postal_prefixes = models.JSONField(_("postal code prefixes"), default=list, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    birthday_month = models.PositiveSmallIntegerField(_("birthday month"), null=True, blank=True)
    created_after = models.DateField(_("created on or after"), null=True, blank=True)
    created_before = models.DateField(_("created before"), null=True, blank=True)
    active_after = models.DateField(_("last activity on or after"), null=True, blank=True)
    active_before = models.DateField(_("last activity before"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AudienceQuerySet.as_manager()

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CampaignAudience(models.Model):
    """The audience a local campaign is meant for (chosen before it is scheduled)."""

    campaign = models.OneToOneField(
        LocalCampaign, on_delete=models.CASCADE, related_name="audience_choice"
    )
    audience = models.ForeignKey(Audience, on_delete=models.PROTECT, related_name="campaigns")

    class Meta:
        verbose_name = _("campaign audience")

    def __str__(self):
        return f"{self.campaign_id} → {self.audience_id}"


def private_storage():
    """Where uploaded and exported contact files live: never under ``MEDIA_ROOT`` (which a site
    serves); see :mod:`wagtail_distmark.contacts.storage`."""
    return storage.private_storage()


class JobQuerySet(models.QuerySet):
    def for_user(self, user):
        """Imports or exports the user may see: their own; HQ sees every one. Wagtail's audit
        log reads this too (``rules.reports``), so nobody sees another's export in history."""
        scope = get_scope(user)
        if scope.is_head_office:
            return self.all()
        return self.filter(created_by=user) if scope.grants else self.none()


class ImportJob(models.Model):
    """One contact import: the file, its mapping, its progress and its report."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKED = "checked", _("Dry run done")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="contact_imports",
        verbose_name=_("unit"),
        help_text=_("Rows without a unit column go to this unit."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    file = models.FileField(_("file"), upload_to="contact-imports/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4, default="csv")
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    communication_type = models.ForeignKey(
        CommunicationType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("consent to record"),
    )
    consent_evidence = models.TextField(_("consent evidence"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    #: The last line of the file whose row is committed: an interrupted import resumes after it.
    processed_line = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name


class ImportRowError(models.Model):
    """A bad row of an import: its line in the file, the column at fault and why."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=255)

    class Meta:
        verbose_name = _("import error")
        ordering = ["line", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "line", "column"], name="distmark_row_error_unique"
            ),
        ]

    def __str__(self):
        return f"{self.line}: {self.reason}"


class ImportMappingMemory(models.Model):
    """The column mapping a user chose last, by column header: offered again next time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="distmark_import_mapping"
    )
    mapping = models.JSONField(default=dict)

    def __str__(self):
        return str(self.user_id)


class ExportJob(models.Model):
    """One contact export, and the audit record of it: who, when, which filter, how many rows."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Exporting")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("exported by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    file_format = models.CharField(_("format"), max_length=4, default="csv")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(
        _("file"), upload_to="contact-exports/", storage=private_storage, blank=True
    )
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    #: A request for everything held about one person (not a listing's export).
    subject = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("access request for"),
    )
    message = models.TextField(_("message"), blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact export")
        verbose_name_plural = _("contact exports")
        ordering = ["-created_at"]

    def __str__(self):
        return str(_("Export #%(pk)s") % {"pk": self.pk})
