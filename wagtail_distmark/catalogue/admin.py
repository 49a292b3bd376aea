"""HQ's product catalogue in the admin, and its CSV imports."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import Button
from wagtail.snippets.views import chooser as chooser_views
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from wagtail_distmark.catalogue.importers import import_availability, import_products
from wagtail_distmark.models import Product, ProductAvailability
from wagtail_distmark.rules.policies import RulesPolicyMixin, ScopedUrlsMixin

#: The largest CSV file accepted by the import form.
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class ProductIndexView(SnippetIndexView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if self.request.user.has_perm("wagtail_distmark.add_product"):
            url = reverse("wagtail_distmark:catalogue_import")
            buttons.append(Button(_("Import CSV"), url=url, icon_name="upload"))
        return buttons


class ScopedProductsMixin:
    """A chooser view listing only the products the user may choose."""

    def get_object_list(self):
        return Product.objects.for_user(self.request.user)


class ProductChooseView(ScopedProductsMixin, chooser_views.ChooseView):
    pass


class ProductChooseResultsView(ScopedProductsMixin, chooser_views.ChooseResultsView):
    pass


class ProductChosenView(chooser_views.SnippetChosenView):
    def get_object(self, pk):
        return Product.objects.for_user(self.request.user).get(pk=pk)  # missing: 404


class ProductChosenMultipleView(chooser_views.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return Product.objects.for_user(self.request.user).filter(pk__in=pks)


class ProductChooserViewSet(chooser_views.SnippetChooserViewSet):
    choose_view_class = ProductChooseView
    choose_results_view_class = ProductChooseResultsView
    chosen_view_class = ProductChosenView
    chosen_multiple_view_class = ProductChosenMultipleView


class ProductViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    """Units see (and choose) only the products sold in their scope; HQ sees them all."""

    index_view_class = ProductIndexView
    chooser_viewset_class = ProductChooserViewSet
    model = Product
    icon = "tag"
    menu_label = _("Products")
    list_display = ["name", "sku", "price", "currency", "category", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "sku", "category"]

    def get_queryset(self, request):
        return Product.objects.for_user(request.user)


class ProductAvailabilityViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    model = ProductAvailability
    icon = "site"
    menu_label = _("Availability")
    list_display = ["product", "unit", "available", "local_price"]
    search_fields = ["product__name", "product__sku", "unit__name", "unit__code"]

    def get_queryset(self, request):
        return ProductAvailability.objects.for_user(request.user).select_related("product", "unit")


class CatalogueGroup(SnippetViewSetGroup):
    items = (ProductViewSet, ProductAvailabilityViewSet)
    menu_icon = "tag"
    menu_label = _("Catalogue")
    menu_name = "distmark_catalogue"


class ImportForm(forms.Form):
    KINDS = [("products", _("Products")), ("availability", _("Availability per unit"))]
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KINDS)
    file = forms.FileField(
        label=_("CSV file (UTF-8)"),
        help_text=_(
            "Products: sku, name, price, and optionally currency, category, active, description. "
            "Availability: sku, unit_code, and optionally available, local_price."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


def import_view(request):
    if not request.user.has_perm("wagtail_distmark.add_product"):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        importer = (
            import_products if form.cleaned_data["kind"] == "products" else import_availability
        )
        report = importer(form.cleaned_data["file"].read())
    return TemplateResponse(
        request, "wagtail_distmark/catalogue/import.html", {"form": form, "report": report}
    )
