"""The campaign's "Send" screen: send now or schedule, with the recipient count and, when the
gate refuses, its reason (and no button).

Who may send is ``wagtail_distmark.send_localcampaign`` on the campaign (unit managers and
above); a campaign outside the user's scope is a 404. The gate is asked again on POST and
once more by ``dispatch.create_send``: a crafted POST gets the reason as an error, never a
send and never a 500.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import FormView
from wagtail.snippets.action_menu import ActionMenuItem

from wagtail_distmark.campaigns.models import LocalCampaign
from wagtail_distmark.contacts.campaign_audience import audience_for, recipients_for_campaign
from wagtail_distmark.sending import dispatch, tasks
from wagtail_distmark.sending.admin_progress import SendScreen, url
from wagtail_distmark.sending.forms import SendForm
from wagtail_distmark.sending.models import Send

logger = logging.getLogger(__name__)

SEND_CAMPAIGN = "wagtail_distmark.send_localcampaign"
SEND_REFUSAL = gettext_lazy("Only a manager of its unit (or above) may send this campaign.")


def live_send(campaign: LocalCampaign) -> Send | None:
    """The campaign's send that is scheduled, running or done (one at most)."""
    live = Send.objects.filter(campaign=campaign).exclude(
        state__in=[Send.State.CANCELLED, Send.State.FAILED]
    )
    return live.order_by("-pk").first()


def refusal(campaign: LocalCampaign, live: Send | None) -> str:
    """Why the campaign may not be sent now ("" if it may): the same gate as
    ``dispatch.create_send``, said before the user tries."""
    if live is not None:
        return _("This campaign is already scheduled or being sent.")
    readiness = campaign.sending_readiness()
    if not readiness.ready:
        return str(readiness.reason)
    if audience_for(campaign) is None:
        return _("Choose its recipients first (Recipients, in the editor's menu).")
    return ""


class CampaignSendView(SendScreen, FormView):
    """``campaigns/<id>/send/``: "Send now" or "Schedule"."""

    template_name = "wagtail_distmark/sending/admin/campaign_send.html"
    form_class = SendForm
    page_title = pgettext_lazy("verb", "Send")  # the action ("Verzenden"), not a send
    refusal = SEND_REFUSAL

    def guard(self, request, kwargs):
        campaigns = LocalCampaign.objects.for_user(request.user).select_related("unit", "template")
        self.campaign = get_object_or_404(campaigns, pk=kwargs["pk"])
        if not request.user.has_perm(SEND_CAMPAIGN, self.campaign):
            raise PermissionDenied

    def back_url(self):
        campaign = getattr(self, "campaign", None)
        if campaign is None:
            return reverse("wagtailadmin_home")
        return reverse("wagtailsnippets_wagtail_distmark_localcampaign:edit", args=[campaign.pk])

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailsnippets_wagtail_distmark_localcampaign:list"),
                "label": _("Local campaigns"),
            },
            {"url": self.back_url(), "label": str(self.campaign)},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_page_subtitle(self):
        return str(self.campaign)

    @cached_property
    def live(self) -> Send | None:
        return live_send(self.campaign)

    @cached_property
    def refused(self) -> str:
        return refusal(self.campaign, self.live)

    def form_valid(self, form):
        if self.refused:
            form.add_error(None, self.refused)
            return self.form_invalid(form)
        try:
            send = dispatch.create_send(self.campaign, self.request.user, at=form.when)
        except dispatch.SendRefused as refused:
            form.add_error(None, str(refused))
            return self.form_invalid(form)
        self.queue(send)
        return redirect(url("send_detail", send))

    def queue(self, send: Send) -> None:
        """Queue its start (at its time); the message says when it goes. If the broker
        cannot be reached, ``watch_sends`` (beat) starts it once due."""
        try:
            tasks.schedule_start(send)
        except Exception:  # noqa: BLE001 - whatever the broker raised
            logger.exception("Start of send %s could not be queued", send.pk)
        if send.scheduled_at > self.now:
            when = date_format(localtime(send.scheduled_at), "DATETIME_FORMAT")
            message = _("“%(campaign)s” is scheduled for %(when)s.")
            messages.success(self.request, message % {"campaign": self.campaign, "when": when})
        elif Send.objects.filter(pk=send.pk, state=Send.State.DONE).exists():
            # Celery eager (the demo): the send ran in this request.
            messages.success(
                self.request, _("“%(campaign)s” was sent.") % {"campaign": self.campaign}
            )
        else:
            messages.success(
                self.request, _("“%(campaign)s” is being sent.") % {"campaign": self.campaign}
            )

    @cached_property
    def now(self):
        return timezone.now()

    def get_context_data(self, **kwargs):
        campaign = self.campaign
        audience = audience_for(campaign)
        return super().get_context_data(
            campaign=campaign,
            audience=audience,
            recipient_count=recipients_for_campaign(campaign).count() if audience else 0,
            refusal=self.refused,
            live_send=self.live,
            live_send_url=url("send_detail", self.live) if self.live else "",
            edit_url=self.back_url(),
            action_url=self.request.path,
            media=SendForm().media,
            **kwargs,
        )


class SendMenuItem(ActionMenuItem):
    """The campaign editor's "Send" item, for who may send the campaign."""

    name = "action-distmark-send"
    label = pgettext_lazy("verb", "Send")
    icon_name = "mail"
    order = 95

    def is_shown(self, context):
        instance = context.get("instance")
        return (
            context.get("view") == "edit"
            and isinstance(instance, LocalCampaign)
            and context["request"].user.has_perm(SEND_CAMPAIGN, instance)
        )

    def get_url(self, parent_context):
        return url("campaign_send", parent_context["instance"])
