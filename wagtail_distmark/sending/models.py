"""Sends and deliveries: one dispatch of a campaign, and one row per (send, contact).

The guarantee (DESIGN invariants 5 and 10, docs/explanation/sending-guarantee.md): a delivery
is marked *sending* and committed before the backend is called, and *sent* with the backend's
message id after it accepted. A worker that dies in between leaves the row *sending*; once its
lease runs out it becomes *unknown*, which nothing resends automatically. Every row ends in a
final state (sent, failed, skipped, unknown); a resume or a retry only ever claims *pending*
rows, so it never touches a sent one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.campaigns.models import LocalCampaign
from wagtail_distmark.contacts.models import Audience, CommunicationType, Contact
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.scope import get_scope


class SendQuerySet(models.QuerySet):
    def for_user(self, user):
        """Sends of a unit in the user's scope."""
        return self.filter(get_scope(user).q("unit__path"))


class Send(models.Model):
    """One dispatch of a local campaign to its audience."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PREPARING = "preparing", _("Preparing")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    #: States in which the send is over (nothing more is ever sent).
    FINAL_STATES = (State.DONE, State.CANCELLED, State.FAILED)

    campaign = models.ForeignKey(
        LocalCampaign, on_delete=models.PROTECT, related_name="sends", verbose_name=_("campaign")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="sends", verbose_name=_("unit")
    )
    audience = models.ForeignKey(
        Audience, null=True, blank=True, on_delete=models.SET_NULL, related_name="sends",
        verbose_name=_("audience"),
    )  # fmt: skip
    #: Consent to this type is checked again for every batch, at send time.
    communication_type = models.ForeignKey(
        CommunicationType, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("communication type"),
    )  # fmt: skip
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SCHEDULED, db_index=True
    )
    #: Why it failed, was cancelled or paused (shown on the send's page).
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled for"), default=timezone.now, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    #: The last time a worker sent a batch of it (a stalled send is queued again by beat).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    #: Delivery rows created so far, and the last contact id they reached (the fan-out
    #: resumes after it).
    total = models.PositiveIntegerField(_("recipients"), default=0)
    prepared_up_to = models.BigIntegerField(default=0)
    #: Every row is created (batches start after the first chunk: a send is *sending*
    #: while its fan-out goes on, and is only done once this is true).
    prepared = models.BooleanField(default=False)
    #: The last chunk of the fan-out (a fan-out whose worker died is taken over by beat).
    fanout_at = models.DateTimeField(null=True, blank=True)
    #: What is sent, compiled once for the campaign's unit: merge-template parts of the
    #: subject, HTML and text (``{"subject": [...], "html": [...], "text": [...]}``), the
    #: From and Reply-To headers, and the links of the e-mail (click redirects go only there).
    message = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    #: This send's own limit (a ``limits`` string such as ``"300/minute"``), over the
    #: site's (``WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND``).
    rate_limit = models.CharField(_("rate limit"), max_length=40, blank=True)

    objects = SendQuerySet.as_manager()

    class Meta:
        verbose_name = _("send")
        verbose_name_plural = _("sends")
        ordering = ["-scheduled_at", "-pk"]
        constraints = [
            # One live send per campaign: a double click on "Send now" cannot send twice.
            models.UniqueConstraint(
                fields=["campaign"],
                condition=~Q(state__in=["cancelled", "failed"]),
                name="distmark_one_live_send_per_campaign",
            ),
        ]

    def __str__(self):
        return str(_("Send #%(pk)s of “%(campaign)s”") % {"pk": self.pk, "campaign": self.campaign})

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    def counts(self) -> dict[str, int]:
        """The number of deliveries in each state (every state, zeros included): one query."""
        counted = dict(self.deliveries.values_list("state").annotate(n=Count("pk")).order_by())
        return {state: counted.get(state, 0) for state in Delivery.State.values}


class Delivery(models.Model):
    """One message of a send to one contact, and its fate."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        UNKNOWN = "unknown", _("Unknown")

    FINAL_STATES = (State.SENT, State.FAILED, State.SKIPPED, State.UNKNOWN)

    class Reason(models.TextChoices):
        """Why a delivery was skipped or failed."""

        NOT_SUBSCRIBED = "not_subscribed", _("No longer subscribed")
        SUPPRESSED = "suppressed", _("Address on the suppression list")
        ERASED = "erased", _("Contact erased")
        NO_ADDRESS = "no_address", _("No e-mail address")
        OUT_OF_UNIT = "out_of_unit", _("No longer a contact of the unit")
        CAMPAIGN_WITHDRAWN = "withdrawn", _("The campaign may no longer be sent")
        CANCELLED = "cancelled", _("The send was cancelled")
        REJECTED = "rejected", _("Rejected by the mail server")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        TOO_MANY_ATTEMPTS = "attempts", _("Still failing after every retry")
        WORKER_LOST = "worker_lost", _("The worker stopped while sending")
        ERROR = "error", _("The message could not be built")

    send = models.ForeignKey(
        Send, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("send")
    )
    # PROTECT: contacts are erased, never deleted; what was sent to whom stays a record.
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("contact")
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    #: The worker's claim (a random token): which rows one batch holds.
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    #: The backend's message id (ours, the Message-ID header, for SMTP; the provider's for an
    #: ESP): how provider events find the delivery again.
    message_id = models.CharField(_("message id"), max_length=255, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["send", "contact"], name="distmark_delivery_unique"),
        ]
        indexes = [
            # Claiming: a send's pending rows that are due, oldest first.
            models.Index(
                fields=["send", "next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="distmark_delivery_due",
            ),
            models.Index(fields=["send", "state"], name="distmark_delivery_state"),
        ]

    def __str__(self):
        return str(_("Delivery #%(pk)s") % {"pk": self.pk})

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


class DeliveryEvent(models.Model):
    """Something that happened to a delivered message: an open, a click, a bounce, a
    complaint, an unsubscribe, a provider's report. Machines' opens and clicks (privacy
    proxies, link scanners) are kept, marked, and counted apart from people's."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Opened")
        CLICK = "click", _("Clicked")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        DELIVERED = "delivered", _("Delivered")
        DEFERRED = "deferred", _("Deferred")
        BOUNCE = "bounce", _("Bounced")
        COMPLAINT = "complaint", _("Complained")
        REJECTED = "rejected", _("Rejected")
        RECONCILED = "reconciled", _("Reconciled")

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="events", verbose_name=_("delivery")
    )
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    is_machine = models.BooleanField(_("by a machine"), default=False)
    #: Why it was taken for a machine's (a user agent, a HEAD request, too fast …).
    machine_reason = models.CharField(max_length=40, blank=True)
    link_index = models.PositiveSmallIntegerField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["delivery", "kind"], name="distmark_event_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.delivery_id})"
