"""The Contacts screens: listing, detail, create and edit, bulk actions and the chooser.

A ``ModelViewSet`` whose every URL (Wagtail's own included: edit, history, usage, inspect,
and the chooser's) answers through the rules (``rules.policies.GuardedUrls``): 404 for a
contact outside ``Contact.objects.for_user`` (or erased), a 403 page when the rule refuses.
What each user sees of a contact is :func:`wagtail_distmark.rules.contacts.visible_fields`,
and the listing's rows are :func:`wagtail_distmark.contacts.filtering.filtered_contacts`, the
function the export reads too. Contacts are never deleted (they are erased): the delete and
copy URLs are switched off.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.log_actions import log

from wagtail_distmark import compat
from wagtail_distmark.contacts import filtering
from wagtail_distmark.contacts.bulk_actions import CONTACT_BULK_ACTIONS
from wagtail_distmark.contacts.forms import MODEL_FIELDS, SAVE_ERRORS, ContactForm
from wagtail_distmark.contacts.hooks import MENU_HOOK
from wagtail_distmark.contacts.models import (
    CommunicationType,
    Consent,
    ConsentEvent,
    Contact,
    ContactAttribute,
)
from wagtail_distmark.ids import valid_pks
from wagtail_distmark.rules.contacts import visible_fields
from wagtail_distmark.rules.policies import (
    MODEL_URL_RULES,
    OFF,
    GuardedUrls,
    RulesPolicyMixin,
    forbidden,
    register_policies,
    scoped_object,
)
from wagtail_distmark.rules.scope import get_scope

register_policies([Contact])

#: What each URL of the contacts' viewsets asks (``rules.policies.URL_RULES``, plus the names
#: a ``ModelViewSet`` uses): contacts are erased, never deleted or copied.
CONTACT_URL_RULES = {
    **MODEL_URL_RULES,
    "delete": OFF,
    "copy": OFF,
}
#: The hook whose functions ``fn(request, contact)`` each return a section of HTML (or
#: ``None``) for the contact's detail page: how a feature above contacts (sending: the
#: person's deliveries and events) adds to it without contacts importing it.
DETAIL_PANELS_HOOK = "distmark_contact_detail_panels"
#: How many consent changes the detail page shows (newest first).
HISTORY_LIMIT = 100

urlpatterns = []


def scoped_contacts(request):
    """The contacts whose URLs answer at all: in the user's scope, not erased."""
    return filtering.base_queryset(request.user)


def refuse(request, action, contact):
    label = filtering.contact_label(contact, request.user)
    message = _("You may not do this to “%(object)s”.") % {"object": label}
    return forbidden(request, action, contact, message)


def brand_or_scoped_unit_q(user) -> Q:
    """Consents (and their history) the user may see: brand-wide ones, and per-unit ones of
    units in the user's scope (another store's consent is not theirs to know)."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Q()
    return Q(unit__isnull=True) | scope.q("unit__path")


# --- listing ----------------------------------------------------------------------------


def field_label(name: str) -> str:
    return capfirst(Contact._meta.get_field(name).verbose_name)


#: The fields the listing shows as columns when the user sees them (the title shows the name
#: and the e-mail; the detail page every field): few columns keep a page fast to render and
#: to read (bench/contacts.py: 50 rows x 14 columns cost ~90 ms of rendering alone).
LIST_FIELDS = ("phone", "postal_code", "city")


def tag_names(contact) -> str:
    return ", ".join(tag.name for tag in contact.tags.all())


def unit_names(contact) -> str:
    """The contact's units in the user's scope (prefetched as ``scoped_links``)."""
    return ", ".join(link.unit.name for link in contact.scoped_links)


class ContactIndexView(generic.IndexView):
    """Contacts in the user's scope; columns, search, filters and sorting on the fields the
    user sees only (``filtering.py`` decides, the export asks the same)."""

    template_name = "wagtail_distmark/contacts/contact_index.html"
    results_template_name = "wagtail_distmark/contacts/contact_index_results.html"
    filterset_class = filtering.ContactFilterSet
    is_searchable = True
    default_ordering = filtering.DEFAULT_ORDERING

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.is_export = False  # Wagtail's spreadsheet export: exports are the export screen's

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "filter_partials_template": compat.FILTER_PARTIALS_TEMPLATE}  # fmt: skip

    def get_filterset_kwargs(self):
        params = filtering.bounded_params(self.request.GET)
        return {"data": params, "request": self.request, "user": self.request.user}

    def get_queryset(self):
        user = self.request.user
        # The filterset the page displays filters the rows too: its choices are queried once.
        queryset = filtering.filtered_contacts(user, self.request.GET, filterset=self.filters)
        queryset = queryset.prefetch_related(filtering.scoped_links_prefetch(user))
        return queryset.prefetch_related("tags") if "tags" in visible_fields(user) else queryset

    def get_valid_orderings(self):
        keys = filtering.sort_keys(self.request.user)
        return keys + [f"-{key}" for key in keys]

    @cached_property
    def columns(self):
        user = self.request.user
        visible = visible_fields(user)
        sortable = filtering.sort_keys(user)
        columns = [BulkActionsCheckboxColumn("bulk_actions", obj_type="contact"), self.title()]
        for name in LIST_FIELDS:
            if name in visible:
                sort_key = name if name in sortable else None
                columns.append(Column(name, label=field_label(name), sort_key=sort_key))
        if "tags" in visible:
            columns.append(Column("tags", label=_("Tags"), accessor=tag_names))
        columns.append(Column("units", label=_("Units"), accessor=unit_names))
        columns.append(DateColumn("created_at", label=_("Created"), sort_key="created_at"))
        return columns

    def title(self):
        column_class = self._get_title_column_class(TitleColumn)
        user = self.request.user
        return column_class(
            "contact",
            label=_("Contact"),
            accessor=lambda contact: filtering.contact_label(contact, user),
            get_url=self.get_inspect_url,
            get_title_id=lambda contact: f"contact_{contact.pk}_title",
        )

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if self.request.user.has_perm("wagtail_distmark.export_contact"):
            url = reverse("wagtail_distmark:contacts_export")
            query = filtering.bounded_params(self.request.GET).urlencode()
            buttons.append(
                HeaderButton(
                    _("Export"), url=f"{url}?{query}" if query else url, icon_name="download"
                )
            )
        return buttons


# --- detail -----------------------------------------------------------------------------


class ScopedContactMixin:
    """A view about one contact: one the user sees (the URL guard checked it already)."""

    def get_object(self, queryset=None):
        return scoped_object(scoped_contacts(self.request), self.kwargs["pk"])

    def get_page_subtitle(self):
        return filtering.contact_label(self.object, self.request.user)


def field_rows(contact, user) -> list[tuple[str, object]]:
    """(label, value) of each field, tag list and attribute the user sees."""
    visible = visible_fields(user)
    rows = [(field_label(name), getattr(contact, name)) for name in MODEL_FIELDS if name in visible]
    if "tags" in visible:
        rows.append((_("Tags"), tag_names(contact)))
    stored = contact.attributes or {}
    for attribute in ContactAttribute.objects.all():
        if attribute.key in visible:
            rows.append((attribute.label, stored.get(attribute.key)))
    return rows


def consent_rows(contact, user) -> list[dict]:
    """Per communication type, its status (per unit in the user's scope, for a per-unit type)."""
    consents = (
        Consent.objects.filter(contact=contact)
        .filter(brand_or_scoped_unit_q(user))
        .select_related("unit")
    )
    by_type = {}
    for consent in consents:
        by_type.setdefault(consent.communication_type_id, []).append(consent)
    rows = []
    for communication_type in CommunicationType.objects.all():
        found = by_type.get(communication_type.pk, [])
        rows.append({"type": communication_type, "consents": found})
    return rows


def consent_history(contact, user):
    return (
        ConsentEvent.objects.filter(contact=contact)
        .filter(brand_or_scoped_unit_q(user))
        .select_related("communication_type", "unit", "set_by")[:HISTORY_LIMIT]
    )


def detail_panels(request, contact) -> list[str]:
    """The sections other features add to the detail page (:data:`DETAIL_PANELS_HOOK`)."""
    panels = (panel(request, contact) for panel in hooks.get_hooks(DETAIL_PANELS_HOOK))
    return [html for html in panels if html]


class ContactInspectView(ScopedContactMixin, generic.InspectView):
    """The contact: visible fields, units in the user's scope, consent and its history."""

    template_name = "wagtail_distmark/contacts/contact_inspect.html"
    page_title = _("Contact")

    def get_fields(self):
        return []  # the template shows field_rows(): only what the user sees

    @cached_property
    def header_more_buttons(self):
        """Edit, and the person's rights the user may exercise: erasure and an access
        request (each view checks its rule again)."""
        buttons, user, contact = list(super().header_more_buttons), self.request.user, self.object
        if user.has_perm("wagtail_distmark.erase_contact", contact):
            url = reverse("wagtail_distmark:contact_erase", args=[contact.pk])
            buttons.append(Button(_("Erase"), url=url, icon_name="bin", priority=30))
        if user.has_perm("wagtail_distmark.request_contact_access", contact):
            url = reverse("wagtail_distmark:contact_access_request", args=[contact.pk])
            buttons.append(
                Button(_("Export all data held"), url=url, icon_name="download", priority=40)
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, contact = self.request.user, self.object
        context.update(
            field_rows=field_rows(contact, user),
            units=[link.unit for link in self.scoped_links()],
            consent_rows=consent_rows(contact, user),
            consent_history=consent_history(contact, user),
            extra_panels=detail_panels(self.request, contact),
        )
        return context

    def scoped_links(self):
        prefetch = filtering.scoped_links_prefetch(self.request.user)
        return prefetch.queryset.filter(contact=self.object)


# --- create and edit --------------------------------------------------------------------


class ContactFormViewMixin:
    """Saves through :class:`ContactForm` (consent only through ``set_consent``); a refusal
    at save time is shown on the field at fault, never a 500."""

    log_action = ""

    def get_form_class(self):
        return ContactForm

    def save_instance(self):
        contact = self.form.save()
        title = str(_("Contact #%(pk)s") % {"pk": contact.pk})  # no personal data in the log
        log(contact, self.log_action, user=self.request.user, title=title)
        return contact

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except SAVE_ERRORS as error:
            self.forget_unsaved(form)
            form.add_error(getattr(error, "field", None) or "unit", error)
            return self.form_invalid(form)

    def forget_unsaved(self, form):
        """The transaction rolled back: nothing was saved."""

    def get_success_message(self, instance=None):  # EditView passes none, CreateView one
        label = filtering.contact_label(instance or self.object, self.request.user)
        return _("Contact “%(label)s” saved.") % {"label": label}


class ContactCreateView(ContactFormViewMixin, generic.CreateView):
    log_action = "wagtail.create"

    def forget_unsaved(self, form):
        form.instance.pk = None
        form.instance._state.adding = True


class ContactEditView(ContactFormViewMixin, ScopedContactMixin, generic.EditView):
    log_action = "wagtail.edit"


# --- the viewset and its menu item --------------------------------------------------------


class ContactViewSet(RulesPolicyMixin, ModelViewSet):
    model = Contact
    name = "distmark_contacts"
    url_prefix = "distmark/contacts"
    icon = "user"
    add_to_admin_menu = False
    index_view_class = ContactIndexView
    add_view_class = ContactCreateView
    edit_view_class = ContactEditView
    inspect_view_class = ContactInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    list_per_page = 25
    url_rules = CONTACT_URL_RULES

    def get_form_class(self, for_update=False):
        return ContactForm

    def get_urlpatterns(self):
        guard = GuardedUrls(self.model, self.url_rules, scoped_contacts, refuse)
        return [guard(pattern) for pattern in super().get_urlpatterns()]


class ContactsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("wagtail_distmark.view_contact")


@hooks.register(MENU_HOOK)
def register_contacts_menu_item():
    return ContactsMenuItem(
        _("Contacts"),
        reverse_lazy("distmark_contacts:index"),
        name="distmark-contacts-list",
        icon_name="user",
        order=100,
    )


# --- the chooser --------------------------------------------------------------------------


class ContactChooserFilterForm(BaseFilterForm):
    """The chooser's search, on the text fields the user sees."""

    q = forms.CharField(
        label=_("Search term"), required=False, max_length=filtering.MAX_PARAM_LENGTH
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def filter(self, objects):
        text = self.cleaned_data.get("q", "")
        if text:
            self.is_searching, self.search_query = True, text
            objects = filtering.search(objects, self.user, text)
        return objects


class ScopedContactChooseMixin:
    filter_form_class = ContactChooserFilterForm
    ordering = ["-created_at", "-pk"]

    def get_object_list(self):
        return filtering.base_queryset(self.request.user)

    def get_filter_form(self):
        return self.filter_form_class(
            filtering.bounded_params(self.request.GET), user=self.request.user
        )

    @property
    def title_column(self):
        column = super().title_column
        user = self.request.user
        column.accessor = lambda contact: filtering.contact_label(contact, user)
        column.label = _("Contact")
        return column

    @property
    def columns(self):
        visible = visible_fields(self.request.user)
        extra = [name for name in ("city", "postal_code") if name in visible]
        return [self.title_column, *(Column(name, label=field_label(name)) for name in extra)]


class ContactChooseView(ScopedContactChooseMixin, chooser_views.ChooseView):
    pass


class ContactChooseResultsView(ScopedContactChooseMixin, chooser_views.ChooseResultsView):
    pass


class ContactChosenMixin:
    def get_display_title(self, contact):
        return filtering.contact_label(contact, self.request.user)

    def get_edit_item_url(self, contact):
        return None  # the modal names the contact; its page is one click away in the listing


class ContactChosenView(ContactChosenMixin, chooser_views.ChosenView):
    def get_object(self, pk):
        return scoped_object(scoped_contacts(self.request), pk)


class ContactChosenMultipleView(ContactChosenMixin, chooser_views.ChosenMultipleView):
    def get_objects(self, pks):
        return scoped_contacts(self.request).filter(pk__in=valid_pks(Contact, pks))


class ContactChooserViewSet(ChooserViewSet):
    """Chooses a contact the user sees (the preview "as a sample contact")."""

    model = Contact
    name = "distmark_contact_chooser"
    url_prefix = "distmark/contact-chooser"
    icon = "user"
    choose_one_text = _("Choose a contact")
    choose_another_text = _("Choose another contact")
    choose_view_class = ContactChooseView
    choose_results_view_class = ContactChooseResultsView
    chosen_view_class = ContactChosenView
    chosen_multiple_view_class = ContactChosenMultipleView

    def get_urlpatterns(self):
        guard = GuardedUrls(self.model, CONTACT_URL_RULES, scoped_contacts, refuse)
        return [guard(pattern) for pattern in super().get_urlpatterns()]


contact_chooser_viewset = ContactChooserViewSet()


@hooks.register("register_admin_viewset")
def register_contact_viewsets():
    return [ContactViewSet(), contact_chooser_viewset]


for bulk_action in CONTACT_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)
