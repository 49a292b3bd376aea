"""HQ's screens for the content library: who sees each brand collection, and which campaigns
use images whose usage rights end soon."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet

from wagtail_distmark.library.expiring import HORIZON_DAYS, expiring_uses
from wagtail_distmark.models import BrandCollection, OrgUnit
from wagtail_distmark.rules.policies import RulesPolicyMixin

REPORT_PERMISSION = "wagtail_distmark.view_library_report"


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit):
        return f"{'— ' * (unit.depth - 1)}{unit.name} ({unit.code})"


class BrandCollectionForm(WagtailAdminModelForm):
    units = UnitChoiceField(
        queryset=OrgUnit.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Visible to"),
        help_text=_("Each unit chosen brings everything below it. None: the whole network."),
    )

    class Meta:
        model = BrandCollection
        fields = ["units"]


def audience(brand: BrandCollection) -> str:
    units = [unit.name for unit in brand.units.all()]
    return ", ".join(units) if units else str(_("Whole network"))


class BrandCollectionViewSet(RulesPolicyMixin, ModelViewSet):
    """The audience of each brand-library collection. Collections themselves are created,
    renamed and deleted in Wagtail's Collections screen; those made inside the brand library
    join it with their parent's audience."""

    model = BrandCollection
    edit_handler = ObjectList([FieldPanel("units")], base_form_class=BrandCollectionForm)
    icon = "folder-open-inverse"
    menu_label = _("Brand library")
    menu_order = 310
    add_to_admin_menu = True
    url_prefix = "distmark/brand-library"
    name = "distmark_brand_library"
    list_display = [
        TitleColumn("collection", label=_("Collection"), url_name="distmark_brand_library:edit"),
        Column("audience", label=_("Visible to"), accessor=audience),
    ]

    def get_queryset(self, request):
        return BrandCollection.objects.select_related("collection").prefetch_related("units")


def expiring_report(request):
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "wagtail_distmark/library/expiring.html",
        {"rows": expiring_uses(), "days": HORIZON_DAYS},
    )


class ExpiringReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(REPORT_PERMISSION)


def expiring_report_menu_item() -> MenuItem:
    return ExpiringReportMenuItem(
        _("Expiring images"),
        reverse("wagtail_distmark:library_expiring"),
        icon_name="warning",
        order=900,
    )
