"""A send's page: its state, counts, live progress, the operator's actions and the deliveries
that went wrong.

Every URL about a send looks it up in ``Send.objects.for_user(user)``: a send outside the
user's scope is a 404 on every one of them, whatever the method. Following a send is
``wagtail_distmark.view_send``; pausing, resuming, cancelling and resending the unknown rows
is ``wagtail_distmark.change_send`` (a 403 page otherwise, and no button).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from wagtail_distmark.contacts import filtering
from wagtail_distmark.rules.contacts import visible_fields
from wagtail_distmark.rules.policies import forbidden
from wagtail_distmark.sending import dispatch, tasks, tracking
from wagtail_distmark.sending.models import Delivery, Send

logger = logging.getLogger(__name__)

VIEW_SEND = "wagtail_distmark.view_send"
CHANGE_SEND = "wagtail_distmark.change_send"
#: How often the send's page asks for its progress, in milliseconds.
POLL_MS = 2000
#: Deliveries that went wrong shown per page.
PROBLEMS_PER_PAGE = 50
#: The delivery states listed as problems on the send's page.
PROBLEM_STATES = (Delivery.State.FAILED, Delivery.State.SKIPPED, Delivery.State.UNKNOWN)
#: Counted as done in the progress bar (the row's fate is known).
DONE_STATES = (
    Delivery.State.SENT,
    Delivery.State.FAILED,
    Delivery.State.SKIPPED,
    Delivery.State.UNKNOWN,
)
State = Send.State
#: The states in which each action applies.
PAUSABLE = (State.SENDING,)
RESUMABLE = (State.PAUSED,)
CANCELLABLE = (State.SCHEDULED, State.PREPARING, State.SENDING, State.PAUSED)
#: A done send goes back to sending to resend them; a paused one sends them once resumed
#: (the states ``dispatch.resend_unknown`` itself accepts).
RESENDABLE = dispatch.RESENDABLE

CHANGE_REFUSAL = gettext_lazy(
    "Only a manager of its unit (or above) may pause, resume or cancel this send."
)
VIEW_REFUSAL = gettext_lazy("Only a member of its unit may follow this send.")


def url(name: str, obj=None) -> str:
    args = [obj.pk] if obj is not None else []
    return reverse(f"wagtail_distmark:{name}", args=args)


def visible_send(request, pk) -> Send:
    """The send, if it is in the user's scope; a 404 otherwise (whether it exists or not)."""
    sends = Send.objects.for_user(request.user).select_related(
        "campaign", "unit", "audience", "created_by"
    )
    return get_object_or_404(sends, pk=pk)


class SendScreen(WagtailAdminTemplateMixin):
    """Wagtail's slim header with "Sends" in the breadcrumbs; :meth:`guard` decides who may
    come in, a refusal being a 403 page (Wagtail would turn ``PermissionDenied`` into a
    redirect home)."""

    header_icon = "mail"
    refusal = VIEW_REFUSAL

    def dispatch(self, request, *args, **kwargs):
        try:
            self.guard(request, kwargs)
        except PermissionDenied:
            return forbidden(request, "send", None, message=self.refusal, back_url=self.back_url())
        return super().dispatch(request, *args, **kwargs)

    def guard(self, request, kwargs):
        """Load the object; raise ``Http404`` or ``PermissionDenied``."""

    def back_url(self) -> str:
        return url("sends")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("sends"), "label": _("Sends")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]


class SendObjectScreen(SendScreen):
    """A screen about one send the user may follow (``permission``: and act on)."""

    permission = VIEW_SEND

    def guard(self, request, kwargs):
        self.send = visible_send(request, kwargs["pk"])
        if not request.user.has_perm(self.permission, self.send):
            raise PermissionDenied

    def back_url(self) -> str:
        send = getattr(self, "send", None)
        if send is not None and self.request.user.has_perm(VIEW_SEND, send):
            return url("send_detail", send)
        return url("sends")

    def get_page_subtitle(self):
        return str(self.send.campaign)


# --- what the page shows ------------------------------------------------------------------


def rate_per_minute(send: Send, now=None) -> int:
    """Messages the send sent over the last minute."""
    now = now or timezone.now()
    recent = Delivery.objects.filter(send=send, state=Delivery.State.SENT)  # its index
    return recent.filter(sent_at__gt=now - timedelta(minutes=1)).count()


def progress_of(send: Send) -> dict:
    """Counts per state, how much is done, the rate and the time left: what the page shows
    and the progress endpoint answers."""
    counts = send.counts()
    total = sum(counts.values())
    done = sum(counts[state] for state in DONE_STATES)
    left = total - done
    rate = rate_per_minute(send) if send.state == State.SENDING else 0
    minutes_left = -(-left // rate) if rate and left else None  # rounded up
    return {
        "state": send.state,
        "state_label": str(send.get_state_display()),
        "final": send.is_final,
        #: Rows are still being created (batches may already go): the total still grows.
        "preparing": not send.prepared and not send.is_final,
        "counts": counts,
        "total": total,
        "done": done,
        "percent": done * 100 // total if total else (100 if send.is_final else 0),
        "rate": rate,
        "minutes_left": minutes_left,
        "reason": send.reason,
    }


def count_rows(progress: dict) -> list[tuple[str, str, int]]:
    """(state, label, count) of every delivery state, in the model's order."""
    return [(value, label, progress["counts"][value]) for value, label in Delivery.State.choices]


def contact_labels(deliveries, user) -> dict[int, str]:
    """How the page names each delivery's contact: by the fields the user sees, and only a
    contact still in the user's scope (else by its number)."""
    ids = {delivery.contact_id for delivery in deliveries}
    visible = filtering.base_queryset(user).filter(pk__in=ids)
    labels = {contact.pk: filtering.contact_label(contact, user) for contact in visible}
    return {pk: labels.get(pk) or _("Contact #%(pk)s") % {"pk": pk} for pk in ids}


#: The first SMTP reply code of an error (``550``) and its enhanced status (``5.1.1``).
SMTP_CODE = re.compile(r"(?<!\d)[245]\d\d(?!\d)")
ENHANCED_STATUS = re.compile(r"(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?![\d.])")
#: How much of an error is searched for its codes.
MAX_ERROR_SCAN = 1000


def error_codes(error: str) -> str:
    """What an error says without naming anyone: its SMTP code and enhanced status
    (``550 5.1.1``), or ``""`` (an SMTP refusal quotes the recipient's address)."""
    text = (error or "")[:MAX_ERROR_SCAN]
    code, status = SMTP_CODE.search(text), ENHANCED_STATUS.search(text)
    return " ".join(found.group() for found in (code, status) if found)


def shown_error(delivery: Delivery, sees_email: bool) -> str:
    """A delivery's last error as the user may see it: whole for who sees contacts'
    addresses, else its codes only."""
    return delivery.last_error if sees_email else error_codes(delivery.last_error)


def problem_page(send: Send, user, page_number):
    """The page of failed, skipped and unknown deliveries: (delivery, contact's label, the
    error the user may see)."""
    problems = Delivery.objects.filter(send=send, state__in=PROBLEM_STATES).order_by("pk")
    page = Paginator(problems, PROBLEMS_PER_PAGE).get_page(page_number)
    labels = contact_labels(page.object_list, user)
    sees_email = "email" in visible_fields(user)
    rows = [
        (delivery, labels[delivery.contact_id], shown_error(delivery, sees_email))
        for delivery in page.object_list
    ]
    return page, rows


def actions_for(send: Send, user) -> dict:
    """Which action buttons the page shows."""
    allowed = user.has_perm(CHANGE_SEND, send)
    unknown = (
        allowed
        and send.state in RESENDABLE
        and Delivery.objects.filter(send=send, state=Delivery.State.UNKNOWN).exists()
    )
    return {
        "can_change": allowed,
        "can_pause": allowed and send.state in PAUSABLE,
        "can_resume": allowed and send.state in RESUMABLE,
        "can_cancel": allowed and send.state in CANCELLABLE,
        "can_resend_unknown": unknown,
    }


class SendDetailView(SendObjectScreen, TemplateView):
    """The send's page (``sends/<id>/``), polled by ``send_progress.js`` while not final."""

    template_name = "wagtail_distmark/sending/admin/send_detail.html"
    page_title = pgettext_lazy("noun", "Send")  # one send ("Verzending")

    def get_context_data(self, **kwargs):
        send, user = self.send, self.request.user
        page, rows = problem_page(send, user, self.request.GET.get("p"))
        shown = progress_of(send)
        return super().get_context_data(
            send=send,
            progress=shown,
            count_rows=count_rows(shown),
            problems=rows,
            page_obj=page,
            events=tracking.event_counts(send),
            progress_url=url("send_progress", send),
            poll_ms=POLL_MS,
            **actions_for(send, user),
            **kwargs,
        )


def progress(request, pk):
    """The send's progress as JSON, for the page's poller (scoped like the page; GET and
    HEAD only, once the send is known to be the user's: others get the page's 404)."""
    send = visible_send(request, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not request.user.has_perm(VIEW_SEND, send):
        return JsonResponse({"error": str(VIEW_REFUSAL)}, status=403)
    return JsonResponse(progress_of(send))


# --- the operator's actions -----------------------------------------------------------------


def queue_batches(send: Send) -> bool:
    """Queue the send's batch chains once the action commits; ``False`` if the broker could
    not be reached (``watch_sends`` picks the send up again)."""
    try:
        transaction.on_commit(lambda: tasks.queue_batches(send.pk))
    except Exception:  # noqa: BLE001 - whatever the task or the broker raised
        logger.exception("Batches of send %s could not be queued", send.pk)
        return False
    return True


class SendActionView(SendObjectScreen, TemplateView):
    """An action on a send (POST). A GET shows a confirmation page (``confirm``) or goes
    back to the send's page."""

    permission = CHANGE_SEND
    refusal = CHANGE_REFUSAL
    template_name = "wagtail_distmark/sending/admin/send_confirm.html"
    #: The states the action applies to (else it is refused with :attr:`not_now`).
    states: tuple = ()
    confirm = False
    not_now = ""

    def get(self, request, *args, **kwargs):
        if not self.confirm:
            return redirect(url("send_detail", self.send))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        send = self.send
        if send.state not in self.states:
            messages.error(request, self.not_now)
        else:
            self.act(send)
        return redirect(url("send_detail", send))

    def act(self, send: Send) -> None:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            send=self.send,
            action_url=self.request.path,
            cancel_url=url("send_detail", self.send),
            **kwargs,
        )


class PauseView(SendActionView):
    states = PAUSABLE
    not_now = gettext_lazy("Only a send that is sending can be paused.")

    def act(self, send):
        if dispatch.pause(send, self.request.user):
            messages.success(self.request, _("The send is paused: no new batch starts."))
        else:
            messages.error(self.request, str(self.not_now))


class ResumeView(SendActionView):
    states = RESUMABLE
    not_now = gettext_lazy("Only a paused send can be resumed.")

    def act(self, send):
        if not dispatch.resume(send, self.request.user):
            messages.error(self.request, str(self.not_now))
            return
        if queue_batches(send):
            messages.success(self.request, _("The send is resumed."))
        else:
            messages.warning(self.request, _("The send is resumed; it restarts within a minute."))


class CancelView(SendActionView):
    """Cancel, after a confirmation: the rows not yet sent are skipped."""

    states = CANCELLABLE
    confirm = True
    page_title = gettext_lazy("Cancel the send")
    not_now = gettext_lazy("This send is over: it cannot be cancelled.")

    def act(self, send):
        if dispatch.cancel(send, self.request.user.get_username()):
            messages.success(self.request, _("The send is cancelled: nothing more is sent."))
        else:
            messages.error(self.request, str(self.not_now))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            question=_(
                "Cancel this send? Nobody who has not received it yet will; this cannot be undone."
            ),  # fmt: skip
            confirm_label=_("Yes, cancel the send"),
            back_label=_("No, keep it"),
            destructive=True,
            **kwargs,
        )


class ResendUnknownView(SendActionView):
    """Send the *unknown* rows again, after a warning: they may have received it already."""

    states = RESENDABLE
    confirm = True
    page_title = gettext_lazy("Resend to the unknown deliveries")
    not_now = gettext_lazy("This send was cancelled or failed: nothing is resent.")

    def act(self, send):
        count = dispatch.resend_unknown(send, self.request.user)
        if not count:
            messages.info(self.request, _("No delivery is unknown: nothing is resent."))
            return
        queue_batches(send)
        messages.success(
            self.request,
            ngettext("%(count)s delivery is sent again.", "%(count)s deliveries are sent again.",
                     count) % {"count": count},
        )  # fmt: skip

    def get_context_data(self, **kwargs):
        unknown = Delivery.objects.filter(send=self.send, state=Delivery.State.UNKNOWN).count()
        return super().get_context_data(
            question=ngettext(
                "%(count)s delivery is unknown: a worker stopped while sending it. This person "
                "may have received the e-mail already: resending may send it to them twice.",
                "%(count)s deliveries are unknown: a worker stopped while sending them. Some of "
                "these people may have received the e-mail already: resending may send it to "
                "them twice.",
                unknown,
            )
            % {"count": unknown},
            confirm_label=_("Resend to the unknown deliveries"),
            back_label=_("Back to the send"),
            destructive=True,
            **kwargs,
        )
