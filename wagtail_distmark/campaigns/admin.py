"""Admin screens for brand templates (HQ) and local campaigns (units), as snippets."""

from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.admin.ui.tables import StatusTagColumn
from wagtail.admin.views.generic.mixins import CreateEditViewOptionalFeaturesMixin
from wagtail.snippets.views.snippets import (
    EditView,
    RevisionsUnscheduleView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from wagtail_distmark.blocks.zones import collection_choices_read_once
from wagtail_distmark.campaigns.copying import copy_view
from wagtail_distmark.campaigns.editing import latest_revision_as_object, read_workflow_once
from wagtail_distmark.campaigns.forms import BrandTemplateForm, LocalCampaignForm
from wagtail_distmark.campaigns.models import BannedWord, BrandTemplate, LocalCampaign
from wagtail_distmark.campaigns.panels import CampaignEditHandler, ZonesPanel
from wagtail_distmark.campaigns.status import (
    campaign_status,
    change_request,
    with_campaign_status,
    with_workflow_status,
)
from wagtail_distmark.rules.policies import OFF, URL_RULES, RulesPolicyMixin, ScopedUrlsMixin
from wagtail_distmark.rules.scope import get_scope


class UnscheduleView(RevisionsUnscheduleView):
    """Wagtail redirects to the posted ``next`` as given, and Django's ``redirect`` reads a
    word with no slash or dot as a URL name: ``next={{`` was a NoReverseMatch, a 500. A next
    that is not a path goes back to the history page instead."""

    def get_next_url(self):
        next_url = super().get_next_url()
        if next_url.startswith("/"):
            return next_url
        return reverse(self.history_url_name, args=(quote(self.object.pk),))


class BrandTemplateViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    """HQ's; a unit's choosers offer only the templates available to one of its units."""

    model = BrandTemplate
    revisions_unschedule_view_class = UnscheduleView
    icon = "doc-full"
    menu_label = _("Brand templates")
    list_display = ["name", "channel", "valid_until", "live"]
    search_fields = ["name", "description"]
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("name"),
                    FieldPanel("description"),
                    FieldPanel("thumbnail"),
                    MultiFieldPanel(
                        [
                            FieldPanel("subject"),
                            FieldPanel("subject_editable"),
                            FieldPanel("subject_max_length"),
                            FieldPanel("preheader"),
                            FieldPanel("preheader_editable"),
                            FieldPanel("preheader_max_length"),
                        ],
                        heading=_("Subject and preheader"),
                    ),
                    FieldPanel("body"),
                ],
                heading=_("Content"),
            ),
            ObjectList(
                [
                    FieldPanel("sender_policy"),
                    FieldPanel("available_to_all"),
                    FieldPanel("available_units"),
                    FieldPanel("valid_from"),
                    FieldPanel("valid_until"),
                ],
                heading=_("Availability"),
            ),
            ObjectList(
                [FieldPanel("fast_lane"), FieldPanel("needs_extra_approval")],
                heading=_("Approval"),
            ),
        ],
        base_form_class=BrandTemplateForm,
    )

    refusals = {action: _("Brand templates are managed by head office.") for action in
                ("view", "change", "delete", "unpublish")}  # fmt: skip

    def scoped_queryset(self, request):
        """All for HQ; for a unit, the templates it may use (their other URLs answer a 403
        page, "managed by head office"); any other template is a 404."""
        if request.user.has_perm("wagtail_distmark.change_brandtemplate"):
            return BrandTemplate.objects.all()
        paths = [grant.path for grant in get_scope(request.user).grants]
        return BrandTemplate.objects.available_under(paths)

    get_chooser_queryset = scoped_queryset


class BannedWordViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    """HQ's list, HQ's alone, in its chooser too: a unit learns that a word is banned when
    it uses it (the error names the word), never the whole list."""

    model = BannedWord
    icon = "warning"
    menu_label = _("Banned words")


def status_of(campaign):
    """The campaign's status, worked out once per listed row."""
    if not hasattr(campaign, "_distmark_status"):
        campaign._distmark_status = campaign_status(campaign)
    return campaign._distmark_status


class CampaignEditView(EditView):
    """Wagtail's snippet editor, saying what the campaign's state means and, when the
    approver asked for changes, what they asked.

    It also reads what it shows once per request: Wagtail loaded the campaign and its latest
    revision twice, and asked its workflow state a dozen times (``editing.py``).
    """

    def get_queryset(self):
        return with_workflow_status(
            LocalCampaign.objects.select_related("unit", "template", "latest_revision")
        )

    def get_object(self, queryset=None):
        if getattr(self, "object", None) is not None:
            return self.object  # setup() loaded it; Django's BaseUpdateView.get() asks again
        # Wagtail's CreateEditViewOptionalFeaturesMixin.get_object(), reading less (editing.py)
        live = super(CreateEditViewOptionalFeaturesMixin, self).get_object(queryset)
        self.live_object = live
        obj = latest_revision_as_object(live)
        if self.request.method == "GET":  # a GET changes nothing: read once what it shows
            read_workflow_once(obj, live)
        return obj

    def dispatch(self, request, *args, **kwargs):
        with collection_choices_read_once():  # asked once per zone per read of a body
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # the zone editor reads the bodies as it renders
        return response

    def get_side_panels(self):
        return with_campaign_status(super().get_side_panels())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["change_request"] = change_request(self.live_object)  # annotated row
        return context


class LocalCampaignViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    """Every URL with a campaign id answers 404 outside the user's scope (``URL_RULES``)."""

    model = LocalCampaign
    icon = "mail"
    menu_label = _("Local campaigns")
    edit_view_class = CampaignEditView
    revisions_unschedule_view_class = UnscheduleView
    edit_template_name = "wagtail_distmark/campaigns/edit.html"
    #: Our own copy view: a new draft of the same unit (``campaigns/copying.py``).
    copy_view_enabled = True
    #: A campaign starts in the gallery, never from Wagtail's empty create form.
    url_rules = {**URL_RULES, "preview_on_add": OFF}
    refusals = {
        "unpublish": _("Only head office may withdraw an approved campaign, and never once it "
                       "was sent."),
        "copy": _("You may copy only the campaigns of your own units."),
        "change": _("You may not change this campaign (a sent campaign stays as it was sent)."),
        "delete": _("Only a manager of its unit may delete this campaign."),
    }  # fmt: skip
    list_display = [
        "name", "unit", "template", "template_state",
        StatusTagColumn(
            "status", label=_("Status"), accessor=lambda c: status_of(c).label,
            primary=lambda c: status_of(c).primary,
        ),
        "updated_at",
    ]  # fmt: skip
    search_fields = ["name", "subject"]
    edit_handler = CampaignEditHandler(
        [FieldPanel("name"), FieldPanel("subject"), FieldPanel("preheader"), ZonesPanel()],
        base_form_class=LocalCampaignForm,
    )

    def get_queryset(self, request):
        campaigns = LocalCampaign.objects.for_user(request.user).select_related("unit", "template")
        return with_workflow_status(campaigns)

    def scoped_queryset(self, request):
        """The URL guard's (see ``ScopedUrlsMixin``), with the unit its rules ask."""
        return super().scoped_queryset(request).select_related("unit")

    @property
    def copy_view(self):
        return copy_view

    @property
    def add_view(self):
        """Campaigns start from a brand template: the gallery."""

        def view(request):
            return redirect(reverse("wagtail_distmark:campaign_gallery"))

        return view


class CampaignsGroup(SnippetViewSetGroup):
    items = (LocalCampaignViewSet, BrandTemplateViewSet, BannedWordViewSet)
    menu_icon = "mail"
    menu_label = _("Campaigns")
    menu_name = "distmark_campaigns"
