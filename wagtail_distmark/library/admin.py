"""HQ's screens for the content library: who sees each brand collection."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Collection

from wagtail_distmark.library.models import BrandCollection
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.policies import RulesPolicyMixin


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit):
        return f"{'— ' * (unit.depth - 1)}{unit.name} ({unit.code})"


class BrandCollectionForm(WagtailAdminModelForm):
    """The audience of a brand collection, and its name (renaming the collection itself)."""

    name = forms.CharField(label=_("Name"), max_length=255)
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("name", self.instance.collection.name)

    def save(self, commit=True):
        collection = self.instance.collection
        if collection.name != self.cleaned_data["name"]:
            collection.name = self.cleaned_data["name"]
            collection.save(update_fields=["name"])
        return super().save(commit)


class BrandCollectionCreateForm(BrandCollectionForm):
    """A new collection inside the brand library."""

    parent = forms.ModelChoiceField(
        label=_("Inside"),
        queryset=Collection.objects.filter(distmark_brand__isnull=False).order_by("path"),
        empty_label=None,
    )

    def save(self, commit=True):
        collection = self.cleaned_data["parent"].add_child(name=self.cleaned_data["name"])
        self.instance = BrandCollection.objects.get(collection=collection)  # made by the signal
        self.instance.units.set(self.cleaned_data["units"])
        return self.instance


def audience(brand: BrandCollection) -> str:
    units = [unit.name for unit in brand.units.all()]
    return ", ".join(units) if units else str(_("Whole network"))


class BrandCollectionIndexView(IndexView):
    def get_base_queryset(self):
        return (
            BrandCollection.objects.select_related("collection")
            .prefetch_related("units")
            .order_by("collection__path")  # the tree's order: parents before children
        )


class BrandCollectionViewSet(RulesPolicyMixin, ModelViewSet):
    """HQ adds brand-library collections, renames them and sets who sees each. Deleting one
    (with its files) is done in Wagtail's Collections screen; collections made there inside
    the brand library join it with their parent's audience."""

    model = BrandCollection
    index_view_class = BrandCollectionIndexView
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("units")], base_form_class=BrandCollectionForm
    )
    create_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("parent"), FieldPanel("units")],
        base_form_class=BrandCollectionCreateForm,
    )
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

    def get_add_view_kwargs(self, **kwargs):
        panel = self.create_handler.bind_to_model(self.model)
        return super().get_add_view_kwargs(panel=panel, form_class=panel.get_form_class(), **kwargs)
