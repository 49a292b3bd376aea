"""Audiences in the admin, and the recipients of a local campaign.

The audiences viewset lists ``Audience.objects.for_user(user)`` without a recipients count
(one COUNT per row took 0.7-1 s each at 1,000,000 contacts); its edit page shows the number
of contacts the audience reaches in the user's scope, live, and a sample of recipients, with
only the fields the user sees. The campaign's "Recipients" screen chooses the campaign's
audience (``campaign_audience.py``) and shows the count before anything is scheduled.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.action_menu import ActionMenuItem

from wagtail_distmark.campaigns.models import LocalCampaign
from wagtail_distmark.contacts import campaign_audience
from wagtail_distmark.contacts.audience_forms import AudienceForm
from wagtail_distmark.contacts.audiences import (
    count_for_user,
    sample_for,
    scheduled_campaigns_using,
)
from wagtail_distmark.contacts.hooks import MENU_HOOK
from wagtail_distmark.contacts.models import Audience, Contact
from wagtail_distmark.contacts.setup_admin import KeptInUseDeleteView
from wagtail_distmark.rules.contacts import visible_fields
from wagtail_distmark.rules.policies import (
    RulesPolicyMixin,
    ScopedModelUrlsMixin,
    forbidden,
    register_policies,
)

register_policies([Audience])

#: Recipients shown as a sample on the audience and campaign screens.
SAMPLE_SIZE = 10

CHANGE_CAMPAIGN = "wagtail_distmark.change_localcampaign"


def sample_table(contacts, user) -> dict:
    """Headers and rows of a sample of contacts: only the fields the user sees."""
    shown = [name for name in Contact.PERSONAL_FIELDS if name in visible_fields(user)]
    headers = [Contact._meta.get_field(name).verbose_name for name in shown]
    if "tags" in shown:
        contacts = contacts.prefetch_related("tags")
    rows = [[cell(contact, name) for name in shown] for contact in contacts]
    return {"headers": headers, "rows": rows}


def cell(contact: Contact, name: str) -> str:
    if name == "tags":
        return ", ".join(tag.name for tag in contact.tags.all())
    value = getattr(contact, name)
    return "" if value is None else str(value)


class AudienceIndexView(IndexView):
    def get_base_queryset(self):
        audiences = Audience.objects.for_user(self.request.user)
        return audiences.select_related("unit", "communication_type", "template")

    def get_delete_url(self, instance):
        """Only on the rows the user may delete (a unit sees HQ's segments, to narrow them)."""
        if self.user_has_permission_for_instance("delete", instance):
            return super().get_delete_url(instance)
        return None


class AudienceEditView(EditView):
    """The form, and who the saved audience reaches now: a count and a sample."""

    template_name = "wagtail_distmark/contacts/audience_edit.html"

    @cached_property
    def read_only(self) -> bool:
        """A unit opening HQ's segment: it may read and narrow it, not change it; and any
        audience a scheduled or sent campaign uses (:attr:`in_use`)."""
        return self.in_use or not self.user_has_permission_for_instance("change", self.object)

    @cached_property
    def in_use(self) -> bool:
        return scheduled_campaigns_using(self.object).exists()

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        for field in form.fields.values() if self.read_only else ():
            field.disabled = True
        if self.in_use:  # the fields keep their values; a POST says why nothing changed
            form.clean = refuse_in_use
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["read_only"] = self.read_only
        context["in_use_message"] = IN_USE_MESSAGE if self.in_use else ""
        context["recipient_count"] = count_for_user(self.object, user)
        context["sample"] = sample_table(sample_for(self.object, user, SAMPLE_SIZE), user)
        return context


IN_USE_MESSAGE = _(
    "A scheduled or sent campaign uses this audience: it stays as it is, so that the send "
    "reaches who was confirmed. Create another audience to reach other people."
)


def refuse_in_use():
    raise ValidationError(IN_USE_MESSAGE, code="in_use")


class AudienceDeleteView(KeptInUseDeleteView):
    """An audience a campaign or another audience uses stays: said, not a 500."""

    in_use_message = _("“%(object)s” is used by a campaign or another audience: it stays.")


class AudienceViewSet(ScopedModelUrlsMixin, RulesPolicyMixin, ModelViewSet):
    """A unit's audiences, for its members; HQ's template segments, to narrow."""

    model = Audience
    name = "distmark_audiences"
    url_prefix = "distmark/contacts/audiences"
    icon = "group"
    menu_label = _("Audiences")
    menu_order = 300
    menu_hook = MENU_HOOK
    index_view_class = AudienceIndexView
    edit_view_class = AudienceEditView
    delete_view_class = AudienceDeleteView
    search_fields = ["name"]
    refusals = {
        "change": _("Only a member of its unit may change this audience (head office, for "
                    "the segment of a brand template)."),
        "delete": _("Only a member of its unit may delete this audience (head office, for "
                    "the segment of a brand template)."),
    }  # fmt: skip

    @property
    def list_display(self):
        return [
            "name",
            "unit",
            "communication_type",
            Column("template", label=_("Segment of")),
        ]

    def get_form_class(self, for_update=False):
        return AudienceForm


@hooks.register("register_admin_viewset")
def register_audience_viewset():
    return AudienceViewSet()


class CampaignAudienceForm(forms.Form):
    """Which audience the campaign goes to: the template's segment as given, or one of the
    campaign's unit's audiences that narrows it."""

    audience = forms.ModelChoiceField(
        queryset=Audience.objects.none(), required=False, label=_("Audience")
    )

    def __init__(self, *args, campaign, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["audience"]
        self.segment = campaign_audience.template_segment(campaign.template)
        field.queryset = campaign_audience.audience_choices(campaign, user)
        if self.segment is not None:
            field.empty_label = _("The template's segment as given: %(segment)s") % {
                "segment": self.segment
            }
        else:
            field.required = True
            field.empty_label = _("Choose an audience")


def campaign_or_404(request, pk) -> LocalCampaign:
    campaigns = LocalCampaign.objects.for_user(request.user).select_related("unit", "template")
    return get_object_or_404(campaigns, pk=pk)


def campaign_recipients(request, pk):
    """Choose the campaign's audience; see how many it reaches and a sample of them."""
    campaign = campaign_or_404(request, pk)
    if not request.user.has_perm(CHANGE_CAMPAIGN, campaign):
        return forbidden(request, "change", campaign, CAMPAIGN_REFUSAL)
    chosen = {"audience": campaign_audience.chosen_audience(campaign)}  # shown as chosen
    form = CampaignAudienceForm(
        request.POST or None, campaign=campaign, user=request.user, initial=chosen
    )
    if request.method == "POST" and is_frozen(campaign):
        form.add_error(None, _("This campaign is scheduled or sent: its audience stays."))
    elif request.method == "POST" and form.is_valid():
        campaign_audience.choose_audience(campaign, form.cleaned_data["audience"])
        messages.success(request, _("The audience of “%(campaign)s” was saved.")
                         % {"campaign": campaign})  # fmt: skip
        return redirect(reverse("wagtail_distmark:campaign_recipients", args=[campaign.pk]))
    return TemplateResponse(
        request, "wagtail_distmark/contacts/audience_campaign.html",
        recipients_context(campaign, request.user, form),
    )  # fmt: skip


CAMPAIGN_REFUSAL = _("Only who may change this campaign may choose its recipients.")


def is_frozen(campaign: LocalCampaign) -> bool:
    return bool(campaign.scheduled_at or campaign.sent_at)


def recipients_context(campaign, user, form) -> dict:
    contacts = campaign_audience.recipients_for_campaign(campaign)
    visible = contacts.filter(pk__in=Contact.objects.for_user(user).values("pk"))
    return {
        "campaign": campaign,
        "form": form,
        "audience": campaign_audience.audience_for(campaign),
        "segment": form.segment,
        "recipient_count": contacts.count(),
        "sample": sample_table(visible.order_by("pk")[:SAMPLE_SIZE], user),
        "edit_url": reverse("wagtailsnippets_wagtail_distmark_localcampaign:edit",
                            args=[campaign.pk]),
        "frozen": is_frozen(campaign),
    }  # fmt: skip


class RecipientsMenuItem(ActionMenuItem):
    """The campaign editor's "Recipients" item, for who may change the campaign."""

    name = "action-distmark-recipients"
    label = _("Recipients")
    icon_name = "group"
    order = 90

    def is_shown(self, context):
        instance = context.get("instance")
        return (
            context.get("view") == "edit"
            and isinstance(instance, LocalCampaign)
            and context["request"].user.has_perm(CHANGE_CAMPAIGN, instance)
        )

    def get_url(self, parent_context):
        return reverse("wagtail_distmark:campaign_recipients", args=[parent_context["instance"].pk])


@hooks.register("register_snippet_action_menu_item")
def register_recipients_menu_item(model):
    return RecipientsMenuItem() if model is LocalCampaign else None


urlpatterns = [
    path("campaigns/<int:pk>/recipients/", campaign_recipients, name="campaign_recipients"),
]
