"""HQ's contact set-up: communication types, tags, custom attributes, field visibility per
role and the suppression list.

Each screen is a Wagtail ``ModelViewSet`` in the Contacts submenu. Every URL it registers
answers through the named rules (``wagtail_distmark.<action>_<model>``, HQ's alone): the menu
items are hidden from everyone else, and each URL answers a 403 page to them.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.shortcuts import redirect
from django.urls import URLPattern, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from wagtail_distmark.conf import get_contact_field_visibility
from wagtail_distmark.contacts.consent import suppress
from wagtail_distmark.contacts.hooks import MENU_HOOK
from wagtail_distmark.contacts.models import (
    CommunicationType,
    Contact,
    ContactAttribute,
    ContactFieldPolicy,
    Suppression,
    Tag,
)
from wagtail_distmark.contacts.normalise import MAX_EMAIL_LENGTH, email_hash, normalise_email
from wagtail_distmark.rules.contacts import ALL, all_field_names
from wagtail_distmark.rules.policies import (
    RulesPolicyMixin,
    ScopedModelUrlsMixin,
    forbidden,
    policy_for,
    register_policies,
)
from wagtail_distmark.rules.roles import Role

SETUP_MODELS = [CommunicationType, Tag, ContactAttribute, ContactFieldPolicy, Suppression]
register_policies(SETUP_MODELS)


def head_office_only(pattern, model):
    """The URL answers a 403 page to whoever may not manage ``model`` (HQ's set-up)."""
    if not isinstance(pattern, URLPattern):
        return pattern
    permission = policy_for(model).permission_name("change")
    callback = pattern.callback

    @wraps(callback)
    def view(request, *args, **kwargs):
        if not request.user.has_perm(permission):
            return forbidden(request, "view", None, SETUP_REFUSAL)
        return callback(request, *args, **kwargs)

    return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)


SETUP_REFUSAL = _("The contacts set-up is managed by head office.")


class KeptInUseDeleteView(DeleteView):
    """An object others depend on (``on_delete=PROTECT``) is kept: said on the page, not a
    500 — a communication type people consented to (the consent history is a legal record),
    an audience a campaign or another audience uses."""

    #: The message, with the object as ``%(object)s``.
    in_use_message = _(
        "“%(object)s” is in use (consents and their history, or audiences): it stays."
    )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError:
            messages.error(self.request, self.in_use_message % {"object": self.object})
            return redirect(self.get_success_url())


class SetupViewSet(ScopedModelUrlsMixin, RulesPolicyMixin, ModelViewSet):
    """One of HQ's set-up screens, in the Contacts submenu."""

    menu_hook = MENU_HOOK
    add_to_admin_menu = False
    delete_view_class = KeptInUseDeleteView

    def get_urlpatterns(self):
        return [head_office_only(pattern, self.model) for pattern in super().get_urlpatterns()]


class CommunicationTypeViewSet(SetupViewSet):
    model = CommunicationType
    name = "distmark_communication_types"
    url_prefix = "distmark/contacts/setup/communication-types"
    icon = "mail"
    menu_label = _("Communication types")
    menu_order = 500
    form_fields = ["name", "slug", "description", "scope"]
    list_display = ["name", "slug", "scope"]
    search_fields = ["name", "slug"]


class TagForm(WagtailAdminModelForm):
    class Meta:
        model = Tag
        fields = ["name"]

    def clean_name(self):
        """Tags are unique whatever their case (``Vip`` is ``VIP``): said on the field."""
        name = self.cleaned_data["name"].strip()
        if Tag.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A tag with this name already exists."))
        return name


class TagViewSet(SetupViewSet):
    model = Tag
    name = "distmark_contact_tags"
    url_prefix = "distmark/contacts/setup/tags"
    icon = "tag"
    menu_label = _("Tags")
    menu_order = 510
    list_display = ["name"]
    search_fields = ["name"]

    def get_form_class(self, for_update=False):
        return TagForm


#: Names an attribute key may not take: the contact's own fields (and what ``Contact`` has).
RESERVED_KEYS = frozenset(Contact.PERSONAL_FIELDS) | {
    field.name for field in Contact._meta.get_fields()
}


class ContactAttributeForm(WagtailAdminModelForm):
    class Meta:
        model = ContactAttribute
        fields = ["key", "label", "kind"]

    def clean_key(self):
        """A key that is a standard field's name would make imports and merge tags ambiguous."""
        key = self.cleaned_data["key"]
        if key.lower() in RESERVED_KEYS:
            raise forms.ValidationError(
                _("“%(key)s” is a standard contact field: choose another key.") % {"key": key}
            )
        return key


class ContactAttributeViewSet(SetupViewSet):
    model = ContactAttribute
    name = "distmark_contact_attributes"
    url_prefix = "distmark/contacts/setup/attributes"
    icon = "list-ul"
    menu_label = _("Custom attributes")
    menu_order = 520
    list_display = ["label", "key", "kind"]
    search_fields = ["label", "key"]

    def get_form_class(self, for_update=False):
        return ContactAttributeForm


def field_label(name: str) -> str:
    """A field's label: the model's verbose name, or an attribute's label."""
    if name in Contact.PERSONAL_FIELDS:
        return str(Contact._meta.get_field(name).verbose_name).capitalize()
    attribute = ContactAttribute.objects.filter(key=name).first()
    return attribute.label if attribute else name


def field_choices() -> list[tuple[str, str]]:
    labels = dict(ContactAttribute.objects.values_list("key", "label"))
    return [(name, labels.get(name) or field_label(name)) for name in all_field_names()]


def default_fields(role: str) -> list[str]:
    """The fields conf gives ``role`` when HQ declared nothing, ``"*"`` expanded."""
    names = get_contact_field_visibility(role)
    known = all_field_names()
    return known if ALL in names else [name for name in known if name in names]


class FieldPolicyForm(WagtailAdminModelForm):
    """One role's visible fields, as checkboxes; a new row starts from the role's default."""

    fields = forms.MultipleChoiceField(
        label=_("Visible fields"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Hidden fields are absent from listings, search, filters, sorting and exports."
        ),
    )

    class Meta:
        model = ContactFieldPolicy
        fields = ["role", "fields"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = field_choices()
        if self.instance.pk:
            self.fields["role"].disabled = True
            return
        taken = set(ContactFieldPolicy.objects.values_list("role", flat=True))
        self.fields["role"].choices = [c for c in Role.choices if c[0] not in taken]
        role = self.initial.get("role") or (self.data.get("role") if self.is_bound else None)
        if role in Role.values and "fields" not in self.initial:
            self.initial["fields"] = default_fields(role)


class FieldPolicyCreateView(CreateView):
    """Opened from a role's row of the listing (``?role=``): the form starts from that role's
    current default."""

    def get_initial(self):
        role = self.request.GET.get("role", "")[:32]
        return {"role": role} if role in Role.values else {}


class FieldPolicyIndexView(IndexView):
    """Every role, with the fields it sees now: HQ's row, or the default from the settings."""

    results_template_name = "wagtail_distmark/contacts/setup_field_visibility_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["role_rows"] = role_rows(self.add_url_name, self.edit_url_name)
        return context


def role_rows(add_url_name: str, edit_url_name: str) -> list[dict]:
    """What the listing shows per role: its label, the fields it sees, and where to edit."""
    rows = {row.role: row for row in ContactFieldPolicy.objects.all()}
    labels = dict(field_choices())
    result = []
    for role, label in Role.choices:
        row = rows.get(role)
        names = row.fields if row is not None else default_fields(role)
        if row is not None:
            url = reverse(edit_url_name, args=[row.pk])
        else:
            url = f"{reverse(add_url_name)}?role={role}"
        shown = [labels[name] for name in all_field_names() if name in names]
        result.append({"label": label, "fields": shown, "is_default": row is None, "url": url})
    return result


class FieldPolicyViewSet(SetupViewSet):
    model = ContactFieldPolicy
    name = "distmark_contact_field_visibility"
    url_prefix = "distmark/contacts/setup/field-visibility"
    icon = "view"
    menu_label = _("Field visibility")
    menu_order = 530
    index_view_class = FieldPolicyIndexView
    list_display = ["role"]

    add_view_class = FieldPolicyCreateView

    def get_form_class(self, for_update=False):
        return FieldPolicyForm


class SuppressionAddForm(WagtailAdminModelForm):
    """Adds an address by its hash: the address itself is never stored nor shown again."""

    address = forms.CharField(
        label=_("E-mail address"),
        max_length=MAX_EMAIL_LENGTH,
        help_text=_("Only a hash of the address is kept: it cannot be read back."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Suppression
        fields = ["reason", "note"]

    def clean_address(self):
        address = normalise_email(self.cleaned_data["address"])
        if Suppression.objects.filter(email_hash=email_hash(address)).exists():
            raise forms.ValidationError(_("This address is already on the suppression list."))
        return address

    def save(self, commit=True):
        data = self.cleaned_data
        self.instance = suppress(data["address"], data["reason"], data.get("note", ""))
        return self.instance


class SuppressionEditForm(WagtailAdminModelForm):
    class Meta:
        model = Suppression
        fields = ["reason", "note"]


class SuppressionIndexView(IndexView):
    """Searched by address (its hash is looked up; the address is never stored) or by the
    start of a hash as the listing shows it."""

    search_fields = ["email_hash"]

    def search_queryset(self, queryset):
        query = (self.search_query or "").strip()[:MAX_EMAIL_LENGTH]
        if not query:
            return queryset
        try:
            return queryset.filter(email_hash=email_hash(normalise_email(query)))
        except ValidationError:
            return queryset.filter(email_hash__startswith=query.lower().rstrip("…"))


def hash_prefix(suppression: Suppression) -> str:
    return f"{suppression.email_hash[:12]}…"


class SuppressionViewSet(SetupViewSet):
    model = Suppression
    name = "distmark_suppression"
    url_prefix = "distmark/contacts/setup/suppression"
    icon = "cross"
    menu_label = _("Suppression list")
    menu_order = 540
    list_display = [
        "reason",
        Column("email_hash", label=_("Address hash"), accessor=hash_prefix),
        "note",
        "created_at",
    ]
    list_filter = ["reason"]
    index_view_class = SuppressionIndexView
    search_fields = ["email_hash"]

    def get_form_class(self, for_update=False):
        return SuppressionEditForm if for_update else SuppressionAddForm


SETUP_VIEWSETS = (
    CommunicationTypeViewSet,
    TagViewSet,
    ContactAttributeViewSet,
    FieldPolicyViewSet,
    SuppressionViewSet,
)


@hooks.register("register_admin_viewset")
def register_setup_viewsets():
    return [viewset() for viewset in SETUP_VIEWSETS]


urlpatterns: list = []
