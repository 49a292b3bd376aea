"""HQ brand templates and the local campaigns units build from them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin import display as admin_display
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.fields import StreamField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)

from wagtail_distmark.blocks import email_blocks, zone_blocks
from wagtail_distmark.campaigns import freezing, readiness
from wagtail_distmark.campaigns.previews import campaign_preview, template_preview
from wagtail_distmark.campaigns.rendering import compile_campaign
from wagtail_distmark.campaigns.zones import (
    banned_in,
    banned_message,
    check_campaign_body,
    compile_banned,
    compile_pattern,
)
from wagtail_distmark.campaigns.zones import effective_body as effective_zones
from wagtail_distmark.ids import parse_id
from wagtail_distmark.markup.merge_tags import validate_header_tags, validate_merge_tags
from wagtail_distmark.org.models import OrgUnit, path_and_ancestors
from wagtail_distmark.org.scoping import UnitScopedQuerySet
from wagtail_distmark.text import fold, is_blank, visible_length


class BannedWord(models.Model):
    """A word (or ``re:`` pattern) HQ never wants in a local campaign's editable text."""

    text = models.CharField(
        _("word or pattern"),
        max_length=200,
        unique=True,
        help_text=_(
            "A whole word: found in any case, with invisible characters or look-alike letters "
            "of other scripts. Or 're:' followed by a regular expression (RE2 syntax: no "
            "back-references or look-around), matched on the text in lower case."
        ),
    )

    class Meta:
        verbose_name = _("banned word")
        verbose_name_plural = _("banned words")
        ordering = ["text"]

    def __str__(self):
        return self.text

    def clean(self):
        self.text = (self.text or "").strip()
        if len(self.text) > self._meta.get_field("text").max_length:
            return  # the field's own length error says it; nothing is compiled
        if self.text.startswith("re:"):
            try:
                compile_pattern(self.text[3:].strip())
            except ValueError as error:
                raise ValidationError(
                    {"text": _("This pattern cannot be used: %(reason)s. Patterns run on RE2, "
                               "which has no back-references or look-around.")
                     % {"reason": error}}
                ) from error  # fmt: skip
        elif not self.key():
            raise ValidationError({"text": _("A banned word needs visible letters.")})
        self.refuse_duplicate()

    def key(self) -> str:
        """What makes two entries the same: the folded word, or the exact pattern."""
        return self.text if self.text.startswith("re:") else fold(self.text).strip()

    def refuse_duplicate(self):
        others = BannedWord.objects.exclude(pk=self.pk).values_list("text", flat=True)
        twin = next((text for text in others if BannedWord(text=text).key() == self.key()), None)
        if twin is not None:
            raise ValidationError(
                {"text": _("“%(word)s” is already banned.") % {"word": twin}}, code="duplicate"
            )


class BrandTemplateQuerySet(models.QuerySet):
    def available_to(self, *units: OrgUnit, at=None):
        """Live, valid templates that one of ``units`` may start a campaign from."""
        return self.available_under([unit.path for unit in units], at=at)

    def available_under(self, paths, at=None):
        """The same, for units given by their tree paths (e.g. a user's grants)."""
        at = at or timezone.now()
        ancestors = {ancestor for path in paths for ancestor in path_and_ancestors(path)}
        return (
            self.filter(live=True)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=at))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
            .filter(Q(available_to_all=True) | Q(available_units__path__in=ancestors))
            .distinct()
        )


class BrandTemplate(DraftStateMixin, LockableMixin, RevisionMixin, PreviewableMixin, models.Model):
    """An HQ e-mail template made of zones: locked, editable or constrained."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")

    class SenderPolicy(models.TextChoices):
        UNIT = "unit", _("The local unit's sender name and e-mail")
        HQ = "hq", _("The head office's sender name and e-mail")

    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    thumbnail = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("thumbnail"),
    )  # fmt: skip
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default="email"
    )
    subject = models.CharField(_("subject"), max_length=255)
    subject_editable = models.BooleanField(_("units may edit the subject"), default=True)
    subject_max_length = models.PositiveSmallIntegerField(_("subject length limit"), default=90)
    preheader = models.CharField(_("preheader"), max_length=255, blank=True)
    preheader_editable = models.BooleanField(_("units may edit the preheader"), default=True)
    preheader_max_length = models.PositiveSmallIntegerField(
        _("preheader length limit"), default=120
    )
    sender_policy = models.CharField(
        _("sender"), max_length=10, choices=SenderPolicy.choices, default=SenderPolicy.UNIT
    )
    available_to_all = models.BooleanField(_("available to every unit"), default=True)
    available_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="+", verbose_name=_("available to these subtrees"),
    )  # fmt: skip
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    body = StreamField(zone_blocks(), verbose_name=_("zones"))

    class FastLane(models.TextChoices):
        OFF = "off", _("Off: every campaign is approved")
        CONSTRAINED = "constrained", _("Campaigns that only changed constrained zones")
        EDITABLE = "editable", _("Campaigns that only changed editable or constrained zones")

    fast_lane = models.CharField(
        _("fast lane"), max_length=20, choices=FastLane.choices, default=FastLane.OFF,
        help_text=_("Campaigns that pass every check and changed only these zones skip approval."),
    )  # fmt: skip
    needs_extra_approval = models.BooleanField(
        _("needs the extra approval step"), default=False,
        help_text=_("Workflow steps set to run “only when the template asks” (e.g. the regional "
                    "manager's) run for this template's campaigns."),
    )  # fmt: skip

    objects = BrandTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("brand template")
        verbose_name_plural = _("brand templates")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        for field in ("subject", "preheader"):
            try:
                validate_header_tags(getattr(self, field))
            except ValidationError as error:
                errors[field] = error.messages
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = [_("The end of validity must come after its start.")]
        if errors:
            raise ValidationError(errors)

    def fast_lane_policies(self) -> set[str]:
        """The zone policies a campaign may have changed and still take the fast lane."""
        return {
            self.FastLane.OFF: set(),
            self.FastLane.CONSTRAINED: {"constrained"},
            self.FastLane.EDITABLE: {"constrained", "editable"},
        }[self.fast_lane]

    def is_valid_at(self, at=None) -> bool:
        at = at or timezone.now()
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )

    def campaign_body_data(self) -> list[dict]:
        """A new campaign's body: the template's zones, same ids, their current content."""
        return [
            {
                "type": zone.block_type,
                "id": zone.id,
                "value": zone.value.content_data(),
            }
            for zone in self.body
        ]

    #: How many units HQ may pick from in the preview panel's mode menu.
    PREVIEW_UNITS = 50

    @property
    def preview_modes(self):
        units = OrgUnit.objects.filter(kind=OrgUnit.Kind.UNIT).order_by("path")
        return [("", _("As a sample store"))] + [
            (f"unit-{unit.pk}", _("As %(unit)s") % {"unit": unit.name})
            for unit in units[: self.PREVIEW_UNITS]
        ]

    def preview_unit(self, mode_name: str) -> OrgUnit | None:
        units = OrgUnit.objects.order_by("-depth", "path")
        pk = parse_id(mode_name.removeprefix("unit-")) if mode_name.startswith("unit-") else None
        if pk is not None:
            return units.filter(pk=pk).first() or units.first()
        return units.first()

    def serve_preview(self, request, mode_name):
        """Every zone with HQ's content, as the unit of ``mode_name`` would send it."""
        return template_preview(self, self.preview_unit(mode_name), request.build_absolute_uri("/"))


class LocalCampaign(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, PreviewableMixin, models.Model
):
    """A unit's e-mail campaign, built from an HQ brand template."""

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("unit")
    )
    template = models.ForeignKey(
        BrandTemplate, on_delete=models.PROTECT, related_name="campaigns",
        verbose_name=_("brand template"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    preheader = models.CharField(_("preheader"), max_length=255, blank=True)
    body = StreamField(email_blocks(), verbose_name=_("content"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    #: Frozen when sending starts: what was sent, whatever HQ changes afterwards.
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    sent_subject = models.CharField(_("sent subject"), max_length=255, blank=True, editable=False)
    sent_preheader = models.CharField(
        _("sent preheader"), max_length=255, blank=True, editable=False
    )
    sent_body = StreamField(email_blocks(), blank=True, editable=False)

    objects = UnitScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("local campaign")
        verbose_name_plural = _("local campaigns")
        ordering = ["-updated_at"]

    def __str__(self):
        return self.name

    @cached_property
    def banned_patterns(self):
        return compile_banned(BannedWord.objects.values_list("text", flat=True))

    #: The texts besides the body that readers see (customers, or colleagues for the name).
    TEXT_FIELDS = ("name", "subject", "preheader")

    def clean(self):
        super().clean()
        errors = self.header_errors()
        if self.template_id:
            try:
                check_campaign_body(
                    self.template.body, self.body, self.banned_patterns, unit=self.unit
                )
            except ValidationError as error:
                errors["body"] = error
        if errors:
            raise ValidationError(errors)

    def header_errors(self) -> dict:
        """Errors of the name, subject and preheader, by field (judged as readers see them)."""
        errors = {}
        for field in self.TEXT_FIELDS:
            messages = self.text_field_errors(field)
            if messages:
                errors[field] = messages
        return errors

    def text_field_errors(self, field: str) -> list[str]:
        value = getattr(self, field) or ""
        template = self.template if self.template_id else None
        if field != "name" and template is not None:
            if value == getattr(template, field):
                return []  # HQ's own text, judged when HQ saved the template
            if not getattr(template, f"{field}_editable"):
                return [_("HQ has locked this field.")]
            limit = getattr(template, f"{field}_max_length")
            if visible_length(value) > limit:
                return [_("At most %(limit)d characters.") % {"limit": limit}]
        if field != "preheader" and value and is_blank(value):
            return [_("This field is required.")]
        try:
            if field in ("subject", "preheader"):
                validate_header_tags(value)
            elif field != "name":  # the name is never sent: no merge tags in it
                validate_merge_tags(value)
        except ValidationError as error:
            return error.messages
        found = banned_in([value], self.banned_patterns)
        return [banned_message(found)] if found else []

    @property
    def template_expired(self) -> bool:
        """The template is no longer valid: this unsent campaign needs attention."""
        return not self.template.is_valid_at()

    @admin_display(description=_("template state"))
    def template_state(self) -> str:
        return _("Expired") if self.template_expired else _("Valid")

    def effective_body(self):
        """What gets rendered: the sent snapshot, or locked zones from the live template."""
        if self.sent_at:
            return self.sent_body
        return effective_zones(self.template.body, self.body)

    def effective_subject(self) -> str:
        if self.sent_at:
            return self.sent_subject
        return self.subject if self.template.subject_editable else self.template.subject

    def effective_preheader(self) -> str:
        if self.sent_at:
            return self.sent_preheader
        return self.preheader if self.template.preheader_editable else self.template.preheader

    # Sending, rendering and previews live in services of this package; these methods are
    # the public API documented in docs/ (and Wagtail's preview hook).

    def sending_readiness(self) -> readiness.Readiness:
        """Whether the campaign may be scheduled or sent now, and if not, why
        (:func:`~wagtail_distmark.campaigns.readiness.sending_readiness`)."""
        return readiness.sending_readiness(self)

    def schedule(self, at) -> None:
        """Schedule the campaign, or raise
        :class:`~wagtail_distmark.campaigns.readiness.NotReadyToSend` with the reason."""
        readiness.schedule(self, at)

    def freeze_for_sending(self, at=None) -> None:
        """Keep what is sent: later HQ changes to the template no longer reach it
        (:func:`~wagtail_distmark.campaigns.freezing.freeze_for_sending`)."""
        freezing.freeze_for_sending(self, at)

    def compile(self, base_url: str = ""):
        """The e-mail compiled for this campaign's unit, cached by content
        (:func:`~wagtail_distmark.campaigns.rendering.compile_campaign`)."""
        return compile_campaign(self, base_url=base_url)

    def serve_preview(self, request, mode_name):
        return campaign_preview(self, request.build_absolute_uri("/"))
