"""The sending screens in the admin (under /admin/distmark/): the list of sends, a send's page
and its actions (``admin_progress.py``), the campaign's "Send" screen (``admin_send.py``).

Plain views, no viewset: no generic view (inspect, delete, copy, history …) exists to be
switched off. Each looks its send up in ``Send.objects.for_user(user)`` (404 outside it) and
asks the rules (``view_send``, ``change_send``, ``send_localcampaign``) per object.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count
from django.urls import path
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView

from wagtail_distmark.compat import NumberColumn
from wagtail_distmark.sending import admin_progress, admin_send
from wagtail_distmark.sending.admin_progress import SendScreen, url
from wagtail_distmark.sending.models import Delivery, Send


class SendFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=Send.State.choices, empty_label=_("Any state")
    )

    class Meta:
        model = Send
        fields = ["state"]


def count_column(state: str, label) -> Column:
    return NumberColumn(f"count_{state}", label=label, accessor=lambda send: send.counted[state])


def scheduled_for(send) -> str:
    return date_format(localtime(send.scheduled_at), "DATETIME_FORMAT")


class SendIndexView(SendScreen, BaseListingView):
    """``sends/``: the sends of the user's scope, newest first, filtered by state."""

    page_title = _("Sends")
    header_icon = "mail"
    model = Send
    paginate_by = 20
    index_url_name = "wagtail_distmark:sends"
    index_results_url_name = "wagtail_distmark:sends_results"
    verbose_name_plural = _("sends")
    filterset_class = SendFilterSet
    columns = [
        TitleColumn("campaign", label=_("Campaign"), get_url=lambda s: url("send_detail", s)),
        Column("unit", label=_("Unit")),
        Column("state", label=_("State"), accessor="get_state_display"),
        # The date itself: Wagtail's DateColumn says "Just now" of a time still to come.
        Column("scheduled_at", label=_("Scheduled for"), accessor=scheduled_for),
        NumberColumn("total", label=_("Recipients")),
        count_column(Delivery.State.SENT, _("Sent")),
        count_column(Delivery.State.FAILED, _("Failed")),
        count_column(Delivery.State.SKIPPED, _("Skipped")),
        count_column(Delivery.State.UNKNOWN, _("Unknown")),
    ]

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_base_queryset(self):
        sends = Send.objects.for_user(self.request.user).select_related("campaign", "unit")
        return sends.order_by("-scheduled_at", "-pk")

    def paginate_queryset(self, queryset, page_size):
        """The page's sends, each with its counts per delivery state (one query a page)."""
        paginator, page, sends, paginated = super().paginate_queryset(queryset, page_size)
        sends = list(sends)
        counted = (
            Delivery.objects.filter(send__in=[send.pk for send in sends])
            .values_list("send", "state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        by_send = {}
        for send_id, state, n in counted:
            by_send.setdefault(send_id, {})[state] = n
        for send in sends:
            found = by_send.get(send.pk, {})
            send.counted = {state: found.get(state, 0) for state in Delivery.State.values}
        return paginator, page, sends, paginated


urlpatterns = [
    path("sends/", SendIndexView.as_view(), name="sends"),
    path("sends/results/", SendIndexView.as_view(results_only=True), name="sends_results"),
    path("sends/<int:pk>/", admin_progress.SendDetailView.as_view(), name="send_detail"),
    path("sends/<int:pk>/progress/", admin_progress.progress, name="send_progress"),
    path("sends/<int:pk>/pause/", admin_progress.PauseView.as_view(), name="send_pause"),
    path("sends/<int:pk>/resume/", admin_progress.ResumeView.as_view(), name="send_resume"),
    path("sends/<int:pk>/cancel/", admin_progress.CancelView.as_view(), name="send_cancel"),
    path(
        "sends/<int:pk>/resend-unknown/",
        admin_progress.ResendUnknownView.as_view(),
        name="send_resend_unknown",
    ),
    path("campaigns/<int:pk>/send/", admin_send.CampaignSendView.as_view(), name="campaign_send"),
]
