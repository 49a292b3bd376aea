"""HQ's product catalogue in the admin, and its CSV imports."""

from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import Button
from wagtail.snippets.models import SnippetAdminURLFinder
from wagtail.snippets.views import chooser as chooser_views
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from wagtail_distmark.catalogue.importers import import_availability, import_products
from wagtail_distmark.catalogue.models import Product, ProductAvailability
from wagtail_distmark.formats import format_price
from wagtail_distmark.org.forms import tolerate_unreadable_ids
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.policies import RulesPolicyMixin, ScopedUrlsMixin
from wagtail_distmark.rules.scope import get_scope

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


#: Products per page of the chooser: the whole of a typical catalogue on one or two pages.
CHOOSER_PAGE_SIZE = 50


class ProductFilterForm(BaseFilterForm):
    """The chooser's search (name, SKU or category) and category filter, on the database."""

    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Name, SKU or category")}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        widget=forms.Select(attrs={"data-chooser-modal-search-filter": True}),
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [
            (category, category) for category in categories
        ]

    def filter(self, objects):
        query = self.cleaned_data.get("q", "").strip()
        if query:
            objects = objects.filter(
                Q(name__icontains=query) | Q(sku__icontains=query) | Q(category__icontains=query)
            )
            self.is_searching, self.search_query = True, query
        if self.cleaned_data.get("category"):
            objects = objects.filter(category=self.cleaned_data["category"])
        return objects


def price_unit(user) -> OrgUnit | None:
    """The unit whose prices the chooser shows: the user's unit, when they have only one."""
    unit_ids = {grant.unit_id for grant in get_scope(user).grants}
    if len(unit_ids) != 1:
        return None
    return OrgUnit.objects.filter(pk__in=unit_ids).first()


class ProductThumbnailColumn(Column):
    cell_template_name = "wagtail_distmark/catalogue/thumbnail_cell.html"


class ScopedProductsMixin:
    """A chooser view listing only the products the user may choose: searchable, filtered by
    category, with a thumbnail, the category and the price at the user's unit."""

    filter_form_class = ProductFilterForm

    def get_object_list(self):
        return Product.objects.for_user(self.request.user).select_related("image")

    def get_filter_form(self):
        categories = (
            self.get_object_list()
            .exclude(category="")
            .order_by("category")
            .values_list("category", flat=True)
            .distinct()
        )
        return self.filter_form_class(self.request.GET, categories=categories)

    @cached_property
    def unit(self):
        return price_unit(self.request.user)

    @cached_property
    def unit_prices(self) -> dict:
        if self.unit is None:
            return {}
        rows = Product.objects.available_at(self.unit).values_list(
            "pk", "unit_price", "price_currency"
        )
        return {pk: (price, currency) for pk, price, currency in rows}

    def price(self, product) -> str:
        """In the unit's locale (HQ: the user's language), e.g. '£34.00' or '34,00 €'."""
        amount, currency = self.unit_prices.get(product.pk, (product.price, product.currency))
        locale = self.unit.locale if self.unit is not None else get_language()
        return format_price(Decimal(amount), currency, locale)

    @property
    def columns(self):
        if self.unit is None:
            price_label = _("Price")
        else:
            price_label = _("Price at %(unit)s") % {"unit": self.unit.name}
        return [
            ProductThumbnailColumn("image", label=_("Image"), width="1%"),
            *super().columns,
            Column("category", label=_("Category")),
            Column("price", label=price_label, accessor=self.price),
        ]


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


class ProductURLFinder(SnippetAdminURLFinder):
    """ "Edit this product" only for users who may change it. The block's widget is rendered
    without a user (Wagtail asks without one): no link then; choosing a product in the modal
    asks with the user, and HQ gets the link."""

    def __init__(self, user=None):
        super().__init__(user)
        self.user = user  # Wagtail 7's finder does not keep it

    def get_edit_url(self, instance):
        if self.user is None:
            return None
        return super().get_edit_url(instance)


class ProductViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    """Units see (and choose) only the products sold in their scope; HQ sees them all."""

    index_view_class = ProductIndexView
    chooser_viewset_class = ProductChooserViewSet
    chooser_per_page = CHOOSER_PAGE_SIZE
    model = Product
    icon = "tag"
    menu_label = _("Products")
    list_display = ["name", "sku", "price", "currency", "category", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "sku", "category"]

    def get_queryset(self, request):
        return Product.objects.for_user(request.user)

    @property
    def url_finder_class(self):
        return type(
            "ProductURLFinder",
            (ProductURLFinder,),
            {"model": self.model, "edit_url_name": self.get_url_name("edit")},
        )


class ProductAvailabilityForm(WagtailAdminModelForm):
    """A product id that is not a number is the field's error, not a 500 from its chooser."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tolerate_unreadable_ids(self)


class ProductAvailabilityViewSet(ScopedUrlsMixin, RulesPolicyMixin, SnippetViewSet):
    model = ProductAvailability
    edit_handler = ObjectList(
        [FieldPanel("product"), FieldPanel("unit"), FieldPanel("available"),
         FieldPanel("local_price")],
        base_form_class=ProductAvailabilityForm,
    )  # fmt: skip
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
