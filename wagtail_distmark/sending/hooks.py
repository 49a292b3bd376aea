"""The sending feature's Wagtail hooks: the "Sends" menu, the campaign editor's "Send" item,
and the person's deliveries and events on the contact's detail page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from wagtail_distmark.campaigns.models import LocalCampaign
from wagtail_distmark.contacts.admin import DETAIL_PANELS_HOOK
from wagtail_distmark.sending.admin_progress import VIEW_SEND, url
from wagtail_distmark.sending.admin_send import SendMenuItem
from wagtail_distmark.sending.models import Delivery, DeliveryEvent, Send

#: How many deliveries, and events, the contact's page shows (newest first).
CONTACT_DELIVERIES = 50
CONTACT_EVENTS = 100


class SendsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(VIEW_SEND)  # a role somewhere (model-level)


@hooks.register("register_admin_menu_item")
def register_sends_menu_item():
    """Beside Campaigns (its group is a snippet viewset group: a menu of its own)."""
    return SendsMenuItem(_("Sends"), url("sends"), name="distmark-sends", icon_name="mail",
                         order=255)  # fmt: skip


@hooks.register("register_snippet_action_menu_item")
def register_send_menu_item(model):
    return SendMenuItem() if model is LocalCampaign else None


@hooks.register(DETAIL_PANELS_HOOK)
def contact_deliveries_panel(request, contact) -> str:
    """The person's deliveries and their events, of the sends in the viewer's scope only."""
    sends = Send.objects.for_user(request.user)
    deliveries = (
        Delivery.objects.filter(contact=contact, send__in=sends)
        .select_related("send__campaign", "send__unit")
        .order_by("-created_at", "-pk")[:CONTACT_DELIVERIES]
    )
    deliveries = list(deliveries)
    events = (
        DeliveryEvent.objects.filter(delivery__in=[d.pk for d in deliveries])
        .select_related("delivery__send__campaign")
        .order_by("-at", "-pk")[:CONTACT_EVENTS]
    )
    rows = [(delivery, url("send_detail", delivery.send)) for delivery in deliveries]
    return render_to_string(
        "wagtail_distmark/sending/admin/contact_deliveries.html",
        {"deliveries": rows, "events": list(events)},
        request=request,
    )
