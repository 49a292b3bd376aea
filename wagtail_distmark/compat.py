"""Differences between the Wagtail versions the plugin supports, and fixes for Wagtail bugs
that let a crafted request produce a 500 (each names its version; upstream should fix them,
after which the fix can go)."""

from __future__ import annotations

from wagtail.admin.forms.choosers import ExternalLinkChooserForm, URLOrAbsolutePathField
from wagtail.admin.views.chooser import ExternalLinkView


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
