"""Differences between the Wagtail versions the plugin supports, and fixes for Wagtail bugs
that let a crafted request produce a 500 (each names its version; upstream should fix them,
after which the fix can go)."""

from __future__ import annotations

from wagtail.admin import filters
from wagtail.admin.forms.choosers import ExternalLinkChooserForm, URLOrAbsolutePathField
from wagtail.admin.views.chooser import ExternalLinkView
from wagtail.admin.views.generic.chooser import ChosenMultipleViewMixin

from wagtail_distmark.ids import valid_pks


class NoneSafeURLOrAbsolutePathField(URLOrAbsolutePathField):
    """Wagtail 8.0 (and 7.0) bug, to be fixed upstream: ``URLOrAbsolutePathField.to_python``
    calls ``value.startswith`` first, so a POST to ``/admin/choose-external-link/`` without
    the ``external-link-chooser-url`` field raises AttributeError (a 500) instead of the
    field's "This field is required." error. A missing value is an empty one here."""

    def to_python(self, value):
        return super().to_python("" if value is None else value)


class ExternalLinkForm(ExternalLinkChooserForm):
    url = NoneSafeURLOrAbsolutePathField(
        required=True, label=ExternalLinkChooserForm.base_fields["url"].label
    )


def patch_link_choosers() -> None:
    """Wagtail's chooser URLs come before any ``register_admin_urls`` hook's, so a view of ours
    cannot answer ahead of Wagtail's: the view is given the fixed form instead. (The e-mail,
    phone and anchor link choosers use Django's own fields, which treat a missing value as
    empty: nothing to fix there.)"""
    ExternalLinkView.form_class = ExternalLinkForm


class KnownKeysOnlyMixin:
    """Wagtail 8.0 (and 7.0): a multiple-choice filter of the admin (the ``user`` of Site
    history and of every history view, the content types) hands each value to the database
    as ``pk__in``; Django's ``in`` lookup has no integer range check, so
    ``?user=99999999999999999999`` raises OverflowError on SQLite (a 500). A value that is
    not a key of the model is dropped here, as an unknown one (the filter is then ignored)."""

    def clean(self, value):
        if isinstance(value, (list, tuple)) and not self.to_field_name:
            value = valid_pks(self.queryset.model, value)
        return super().clean(value)


def patch_multiple_choice_filters() -> None:
    for filter_class in (filters.MultipleUserFilter, filters.MultipleContentTypeFilter):
        field_class = filter_class.field_class
        name = f"KnownKeysOnly{field_class.__name__}"
        filter_class.field_class = type(name, (KnownKeysOnlyMixin, field_class), {})


def get_known_ids_only(self, request, *args, **kwargs):
    """Wagtail 8.0 (and 7.0): the chosen-multiple views of every chooser (images, documents,
    snippets: ``…/chooser/chosen-multiple/?id=…``) pass each ``id`` to ``pk__in``, so
    ``?id=²`` raises ValueError and ``?id=99999999999999999999`` OverflowError (a 500).
    Wagtail's ``ChosenMultipleViewMixin.get``, with an id that is not a key of the model
    dropped as an unknown one."""
    pks = valid_pks(self.model_class, request.GET.getlist("id"))
    return self.get_multiple_chosen_response(self.get_objects(pks))


def patch_chosen_multiple_views() -> None:
    ChosenMultipleViewMixin.get = get_known_ids_only
