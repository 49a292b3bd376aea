"""Bulk actions of the contacts listing: add a tag, unsubscribe, erase.

They use Wagtail's bulk action framework (``/admin/bulk/wagtail_distmark/contact/<action>/``),
scoped more strictly than Wagtail's: every id is re-checked against the contacts the user sees
(``Contact.objects.for_user``, erased ones excluded) and one id that is not there (another
unit's contact, a crafted value) refuses the whole request with a 404, so nothing changes.
"Select all in listing" acts on :func:`~wagtail_distmark.contacts.filtering.filtered_contacts`
of the listing's query string: exactly the rows the listing shows. Each action's rule is
decided for the whole selection at once, with the rules' queryset twins (a few queries
whatever the number of contacts; Wagtail lists the refused ones as "no access" and skips
them, and the result message counts them).
"""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.views.bulk_action import BulkAction

from wagtail_distmark.contacts import erasure
from wagtail_distmark.contacts.consent import UNSUBSCRIBED, set_consent, unsubscribe_everywhere
from wagtail_distmark.contacts.filtering import base_queryset, contact_label, filtered_contacts
from wagtail_distmark.contacts.models import (
    CommunicationType,
    Contact,
    ContactTag,
    Source,
    Tag,
)
from wagtail_distmark.ids import parse_pk
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.contacts import erasable_ids, visible_fields
from wagtail_distmark.rules.scope import get_scope

#: The most contacts one bulk request names by id (a longer list is refused, not truncated).
MAX_IDS = 1000
#: The most contacts "select all in listing" acts on at once (more: a 400, filter first).
MAX_SELECT_ALL = 5000
EVERYTHING = "all"
#: How many ids one ``IN (...)`` query names (below every database's parameter limit).


class TooManySelected(Exception):
    """Select all in listing matched more contacts than one request may change."""


def requested_pks(values) -> list | None:
    """The ids of the request, or None if one of them is not an id (or there are too many)."""
    if len(values) > MAX_IDS:
        return None
    pks = [parse_pk(Contact, value) for value in values]
    return None if None in pks else pks


class ContactBulkAction(BulkAction):
    """The scoping shared by the contacts' bulk actions."""

    template_name = "wagtail_distmark/contacts/contact_bulk_confirm.html"
    #: What the confirmation page asks.
    question = ""
    #: How many of the selected contacts the action leaves alone (counted by the message).
    num_refused = 0

    @classproperty
    def models(cls):
        return [Contact]

    def get_queryset(self, model, object_ids):  # an instance method: it needs the user
        pks = requested_pks(object_ids)
        if not pks:
            raise Http404
        contacts = list(base_queryset(self.request.user).filter(pk__in=pks))
        if len(contacts) != len(set(pks)):  # one of them is not the user's to see
            raise Http404
        return contacts

    def get_all_objects_in_listing_query(self, parent_id):
        """The listing's rows, from its query string (which the bulk URL carries along)."""
        return filtered_contacts(self.request.user, self.request.GET).values_list("pk", flat=True)

    def get_actionable_objects(self):
        if "all" in self.request.GET.getlist("id"):
            return self.split_by_permission(self.whole_listing())
        return self.split_by_permission(
            self.get_queryset(self.model, self.request.GET.getlist("id"))
        )

    def whole_listing(self) -> list:
        """The listing's rows, refused when there are too many to act on in one request."""
        rows = filtered_contacts(self.request.user, self.request.GET)[: MAX_SELECT_ALL + 1]
        rows = list(rows)
        if len(rows) > MAX_SELECT_ALL:
            raise TooManySelected
        return rows

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except TooManySelected:
            return self.too_many_response()

    def too_many_response(self):
        """A Wagtail page saying to narrow the selection (a 400: nothing was changed)."""
        context = {
            "action_label": self.display_name,
            "next": self.next_url,
            "max_select_all": MAX_SELECT_ALL,
        }
        return TemplateResponse(
            self.request, "wagtail_distmark/contacts/contact_bulk_too_many.html", context,
            status=400,
        )  # fmt: skip

    def split_by_permission(self, objects):
        """``objects`` split by :meth:`allowed_ids`, decided once for all of them."""
        allowed_ids = self.allowed_ids(objects)
        allowed = [obj for obj in objects if obj.pk in allowed_ids]
        refused = [obj for obj in objects if obj.pk not in allowed_ids]
        self.num_refused = len(refused)
        return allowed, {"items_with_no_access": self.labelled(refused)}

    def allowed_ids(self, contacts) -> set:
        """The ids of ``contacts`` the action may change: rule ``change_contact`` is seeing
        the contact, and every one of them comes from ``Contact.objects.for_user`` (its
        queryset twin), so all of them."""
        return {contact.pk for contact in contacts}

    def check_perm(self, contact):
        """Wagtail's per-object check, answered by the batch decision."""
        return contact.pk in self.allowed_ids([contact])

    def labelled(self, contacts):
        for contact in contacts:
            contact.label = contact_label(contact, self.request.user)
        return contacts

    def object_context(self, contact):
        return {"item": contact, "label": contact_label(contact, self.request.user)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(question=self.question, action_label=self.display_name)
        return context

    def get_execution_context(self):
        return {"user": self.request.user, "data": self.cleaned_form.cleaned_data}

    def with_skipped(self, message: str) -> str:
        """The result message, and how many selected contacts were left alone."""
        if not self.num_refused:
            return message
        skipped = ngettext(
            "%(count)d contact skipped: you may not do this to them.",
            "%(count)d contacts skipped: you may not do this to them.",
            self.num_refused,
        ) % {"count": self.num_refused}
        return f"{message} {skipped}"


class TagForm(forms.Form):
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all())


class AddTagBulkAction(ContactBulkAction):
    display_name = _("Add a tag")
    action_type = "add_tag"
    aria_label = _("Add a tag to the selected contacts")
    action_priority = 20
    form_class = TagForm
    question = _("Add a tag to these contacts?")

    def allowed_ids(self, contacts) -> set:
        """Changing the contact, and seeing tags (a user who does not see them cannot
        tag either)."""
        if "tags" not in visible_fields(self.request.user):
            return set()
        return super().allowed_ids(contacts)

    @classmethod
    def execute_action(cls, objects, data=None, **kwargs):
        rows = [ContactTag(contact=contact, tag=data["tag"]) for contact in objects]
        ContactTag.objects.bulk_create(rows, ignore_conflicts=True)
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return self.with_skipped(
            ngettext(
                "Tag added to %(count)d contact.",
                "Tag added to %(count)d contacts.",
                num_parent_objects,
            ) % {"count": num_parent_objects}
        )  # fmt: skip


class UnsubscribeForm(forms.Form):
    communication = forms.ChoiceField(label=_("Unsubscribe from"))
    evidence = forms.CharField(
        label=_("Source and evidence"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How and when they asked (e.g. 'E-mail of 30 Nov 2026 to the store')."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = [
            (str(pk), name) for pk, name in CommunicationType.objects.values_list("pk", "name")
        ]
        everything = (EVERYTHING, _("Everything (and never write to the address again)"))
        self.fields["communication"].choices = [*types, everything]

    def clean_communication(self):
        value = self.cleaned_data["communication"]
        if value == EVERYTHING:
            return value
        return CommunicationType.objects.get(pk=value)  # a choice: it exists


class UnsubscribeBulkAction(ContactBulkAction):
    """Unsubscribing is always allowed to whoever may change the contact, from one type (a
    per-unit type: at the user's units); unsubscribing from everything puts the address on
    the brand-wide suppression list, which is the erasure rule's decision (a manager of every
    unit the person is on)."""

    display_name = _("Unsubscribe")
    action_type = "unsubscribe"
    aria_label = _("Unsubscribe the selected contacts")
    action_priority = 30
    form_class = UnsubscribeForm
    question = _("Unsubscribe these contacts?")

    def allowed_ids(self, contacts) -> set:
        if self.request.POST.get("communication") == EVERYTHING:
            return erasable_ids(self.request.user, contacts)
        return super().allowed_ids(contacts)

    def get_context_data(self, **kwargs):
        """Before the type is chosen, also who "Everything" would leave alone, so the page
        names exactly who each choice changes."""
        context = super().get_context_data(**kwargs)
        if self.request.POST.get("communication") != EVERYTHING:
            contacts = [row["item"] for row in context["items"]]
            erasable = erasable_ids(self.request.user, contacts)
            context["items_not_everywhere"] = [
                row for row in context["items"] if row["item"].pk not in erasable
            ]
        return context

    @classmethod
    def execute_action(cls, objects, user=None, data=None, **kwargs):
        changed = 0
        for contact in objects:
            changed += unsubscribe(contact, data["communication"], user, data["evidence"])
        return len(objects), changed

    def get_success_message(self, num_parent_objects, num_child_objects):
        return self.with_skipped(
            ngettext(
                "%(count)d contact unsubscribed.", "%(count)d contacts unsubscribed.",
                num_parent_objects,
            ) % {"count": num_parent_objects}
        )  # fmt: skip


def unsubscribe(contact, communication, user, evidence) -> int:
    """Unsubscribe one contact; returns the number of consents changed."""
    if communication == EVERYTHING:
        return unsubscribe_everywhere(contact, source=Source.ADMIN, user=user, evidence=evidence)
    units = [None]
    if communication.is_per_unit:  # only the user's units: another store's consent is theirs
        units = list(
            OrgUnit.objects.filter(get_scope(user).q("path"), contact_links__contact=contact)
        )
    return sum(
        set_consent(
            contact,
            communication,
            UNSUBSCRIBED,
            source=Source.ADMIN,
            unit=unit,
            user=user,
            evidence=evidence,
        )  # fmt: skip
        for unit in units
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that erasing cannot be undone"),
        help_text=_("Personal fields are wiped; the address stays on the suppression list."),
    )


class EraseBulkAction(ContactBulkAction):
    display_name = _("Erase")
    action_type = "erase"
    aria_label = _("Erase the selected contacts")
    action_priority = 90
    classes = {"serious"}
    form_class = EraseForm
    question = _("Erase these contacts? Their personal data is wiped for good.")

    def allowed_ids(self, contacts) -> set:
        """Rule ``wagtail_distmark.erase_contact``, for every contact at once."""
        return erasable_ids(self.request.user, contacts)

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        for contact in objects:
            erasure.erase_contact(contact, user)
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return self.with_skipped(
            ngettext(
                "%(count)d contact erased.", "%(count)d contacts erased.", num_parent_objects
            ) % {"count": num_parent_objects}
        )  # fmt: skip


#: Registered by ``contacts/admin.py``.
CONTACT_BULK_ACTIONS = (AddTagBulkAction, UnsubscribeBulkAction, EraseBulkAction)
