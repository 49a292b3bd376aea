"""Differences between the Wagtail versions the plugin supports, and fixes for Wagtail bugs
that let a crafted request produce a 500 (each names its version; upstream should fix them,
after which the fix can go).

Every private Wagtail API the plugin overrides or patches is pinned (signature and source
fingerprint, per Wagtail release line) by ``tests/test_wagtail_private_api.py``: an upgrade
that changes one fails that test instead of silently changing behaviour. Each patch below
wraps Wagtail's function with ``functools.wraps``, so ``inspect.unwrap`` still reaches it.
"""

from __future__ import annotations

from functools import wraps

from wagtail import permissions as wagtail_permissions
from wagtail.admin import filters
from wagtail.admin.forms.choosers import ExternalLinkChooserForm, URLOrAbsolutePathField
from wagtail.admin.ui import tables as wagtail_tables
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.chooser import BrowseView as PageBrowseView
from wagtail.admin.views.chooser import ChosenMultipleView as PageChosenMultipleView
from wagtail.admin.views.chooser import ExternalLinkView
from wagtail.admin.views.generic.chooser import ChosenMultipleViewMixin
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet
from wagtail.images.views import images as image_views
from wagtail.models import Page

from wagtail_distmark.ids import clean_search, parse_number, parse_pk, valid_pks

#: Wagtail 8.0 added the permission policy registry (``wagtail.permissions.policy_registry``).
#: Without it (7.0 LTS), images and documents keep Wagtail's group collection permissions
#: (check ``wagtail_distmark.W002``) and each of our viewsets carries its own policy
#: (``RulesPolicyMixin``). The one place the plugin asks which Wagtail it runs on.
HAS_POLICY_REGISTRY = hasattr(wagtail_permissions, "register_permission_policy")

#: The listing's filter and header partials: one template in Wagtail 8, inline in 7.0's.
FILTER_PARTIALS_TEMPLATE = (
    "wagtailadmin/shared/listing/filter_partials.html"
    if HAS_POLICY_REGISTRY
    else "wagtail_distmark/compat/filter_partials_wagtail7.html"
)
#: Wagtail 8's right-aligned number column; on 7.0 a plain column shows the same figure.
NumberColumn = getattr(wagtail_tables, "NumberColumn", wagtail_tables.Column)


def register_permission_policy(model, policy) -> bool:
    """Make ``policy`` Wagtail's policy for exactly ``model`` (Wagtail 8+). Returns False, and
    does nothing, on Wagtail 7.0."""
    if not HAS_POLICY_REGISTRY:
        return False
    wagtail_permissions.register_permission_policy(model, policy, exact_class=True)
    return True


def registered_policy(model, *, fallback=True):
    """The policy Wagtail 8 uses for ``model`` (with ``fallback``, Wagtail's default policy when
    none was registered; without it, None). Always None on Wagtail 7.0."""
    if not HAS_POLICY_REGISTRY:
        return None
    return wagtail_permissions.policy_registry.get_by_type(model, fallback=fallback)


#: The bulk-action column of Wagtail's Images index (its own class since Wagtail 8.0; the
#: generic one on 7.0, where the library's index views are not used but must import).
ImageBulkActionsColumn = getattr(image_views, "BulkActionsColumn", BulkActionsCheckboxColumn)


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


def with_known_ids(view_get, model_of, param="id"):
    """``view_get``, given only the ``?<param>=`` values that are keys of ``model_of(view)``."""

    @wraps(view_get)
    def get(self, request, *args, **kwargs):
        query = request.GET.copy()
        query.setlist(param, valid_pks(model_of(self), query.getlist(param)))
        request.GET = query
        return view_get(self, request, *args, **kwargs)

    return get


def patch_chosen_multiple_views() -> None:
    """Wagtail 8.0 (and 7.0): the chosen-multiple views of every chooser (pages, images,
    documents, snippets: ``…/chosen-multiple/?id=…``) pass each ``id`` to ``pk__in``, so
    ``?id=²`` raises ValueError and ``?id=99999999999999999999`` OverflowError (a 500).
    An id that is not a key of the model is dropped, as an unknown one. The same for the page
    chooser's ``?target_pages[]=`` (read with ``int()``: ``abc`` is a ValueError)."""
    mixin, pages = ChosenMultipleViewMixin, PageChosenMultipleView
    mixin.get = with_known_ids(mixin.get, lambda view: view.model_class)
    pages.get = with_known_ids(pages.get, lambda view: Page)
    PageBrowseView.get = with_known_ids(PageBrowseView.get, lambda view: Page, "target_pages[]")


def patch_bulk_actions() -> None:
    """Wagtail 8.0 (and 7.0): every bulk action (``/admin/bulk/…/?id=…``) looks its ids up
    with ``pk__in``: ``?id=²`` is a ValueError, a 20-digit id an OverflowError (a 500). An id
    that is not a key of the model is dropped; with none left the answer is Wagtail's 404."""
    get_queryset = BulkAction.get_queryset.__func__

    @wraps(get_queryset)
    def get_known_queryset(cls, model, object_ids):
        return get_queryset(cls, model, valid_pks(model, object_ids))

    BulkAction.get_queryset = classmethod(get_known_queryset)


def safe_listing_view(listing_view):
    """Wagtail 8.0 (and 7.0): the API reads ``?offset=`` with ``int()`` and slices the
    queryset with it, so ``?offset=99999999999999999999`` raises OverflowError on SQLite, and
    hands ``?search=`` to the search backend as it is, whose SQLite index fails on NUL (both
    a 500). An offset past the database's range is refused like a malformed one (Wagtail's
    400); NUL is dropped from the search terms."""

    @wraps(listing_view)
    def safe(self, request, *args, **kwargs):
        query = request._request.GET.copy()
        if "offset" in query and parse_number(query["offset"]) is None:
            raise BadRequestError("offset must be a positive integer")  # Wagtail's words
        if "search" in query:
            query["search"] = clean_search(query["search"])
        request._request.GET = query
        return listing_view(self, request, *args, **kwargs)

    return safe


def known_find_object(find_object):
    """Wagtail 8.0 (and 7.0): the API's ``find/?id=²`` raises ValueError (a 500); an id that
    is not a key is not found (404), like an unknown one."""

    @wraps(find_object)
    def find(self, queryset, request):
        if "id" in request.GET and parse_pk(queryset.model, request.GET["id"]) is None:
            return None
        return find_object(self, queryset, request)

    return find


def patch_api_views() -> None:
    BaseAPIViewSet.listing_view = safe_listing_view(BaseAPIViewSet.listing_view)
    BaseAPIViewSet.find_object = known_find_object(BaseAPIViewSet.find_object)
