"""Admin screens for brand templates (HQ) and local campaigns (units), as snippets."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.admin.ui.tables import LiveStatusTagColumn
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from wagtail_distmark.campaigns.forms import LocalCampaignForm
from wagtail_distmark.campaigns.panels import CampaignEditHandler, ZonesPanel
from wagtail_distmark.models import BannedWord, BrandTemplate, LocalCampaign
from wagtail_distmark.rules.policies import RulesPolicyMixin, ScopedUrlsMixin


class BrandTemplateViewSet(RulesPolicyMixin, SnippetViewSet):
    model = BrandTemplate
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
        ]
    )


class BannedWordViewSet(RulesPolicyMixin, SnippetViewSet):
    model = BannedWord
    icon = "warning"
    menu_label = _("Banned words")


class LocalCampaignViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    """Every URL with a campaign id answers 404 outside the user's scope."""

    model = LocalCampaign
    icon = "mail"
    menu_label = _("Local campaigns")
    list_display = [
        "name", "unit", "template", "template_state", LiveStatusTagColumn(), "updated_at",
    ]  # fmt: skip
    search_fields = ["name", "subject"]
    edit_handler = CampaignEditHandler(
        [FieldPanel("name"), FieldPanel("subject"), FieldPanel("preheader"), ZonesPanel()],
        base_form_class=LocalCampaignForm,
    )

    def get_queryset(self, request):
        return LocalCampaign.objects.for_user(request.user).select_related("unit", "template")

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
