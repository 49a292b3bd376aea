"""The private Wagtail (and Django) code the plugin overrides or patches, pinned.

Each pin names an upstream function that our code extends (a subclass method calling
``super()``) or wraps (``wagtail_distmark/compat.py``, through ``functools.wraps``). The tests
pin its signature, who calls it, and a fingerprint of its source for each supported release
line, so an upgrade that changes it fails here, naming the override to review, instead of
silently changing behaviour. The JavaScript patch (``static/wagtail_distmark/js/zones.js``) is
checked against the blocks code Wagtail ships.

After reviewing an override against a new release, add (or update) that release's
fingerprint: the failure message gives it.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pytest
import wagtail
from django.forms.models import BaseModelForm
from wagtail.admin import filters
from wagtail.admin.forms.choosers import ExternalLinkChooserForm, URLOrAbsolutePathField
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.chooser import BrowseView as PageBrowseView
from wagtail.admin.views.chooser import ChosenMultipleView as PageChosenMultipleView
from wagtail.admin.views.chooser import ExternalLinkView
from wagtail.admin.views.generic.chooser import ChosenMultipleViewMixin
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.views import BaseAPIViewSet
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from wagtail_distmark import compat
from wagtail_distmark.campaigns.forms import LocalCampaignForm
from wagtail_distmark.library.forms import LibraryDocumentForm, LibraryFormMixin, LibraryImageForm
from wagtail_distmark.library.policies import OrgCollectionOwnershipPolicy

#: The distribution that ships a top-level package (its version keys the fingerprints).
DISTRIBUTIONS = {"wagtail": "wagtail", "django": "Django", "django_filters": "django-filter"}


def super_of(cls, name: str, after=None):
    """What ``super().<name>`` reaches from ``after`` (by default ``cls`` itself) in ``cls``'s
    method resolution order: the upstream code an override extends."""
    mro = cls.__mro__
    for klass in mro[mro.index(after or cls) + 1 :]:
        if name in vars(klass):
            attr = vars(klass)[name]
            return attr.__func__ if isinstance(attr, classmethod | staticmethod) else attr
    raise AssertionError(f"nothing upstream defines {cls.__name__}.{name} any more")


def unwrapped(cls, name: str):
    """The Wagtail function behind one of ``compat.py``'s wrappers of ``cls.<name>``."""
    attr = vars(cls)[name]
    function = attr.__func__ if isinstance(attr, classmethod) else attr
    assert hasattr(function, "__wrapped__"), f"{cls.__name__}.{name} is not patched any more"
    return inspect.unwrap(function)


def release(obj) -> str:
    """``"wagtail 8.0"``: the distribution and release line that ``obj`` comes from."""
    distribution = DISTRIBUTIONS[obj.__module__.partition(".")[0]]
    major, minor = version(distribution).split(".")[:2]
    return f"{distribution} {major}.{minor}"


def fingerprint(obj) -> str:
    return hashlib.sha256(textwrap.dedent(inspect.getsource(obj)).encode()).hexdigest()[:16]


def qualified(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


@dataclass(frozen=True)
class Pin:
    #: Our code that depends on the upstream code.
    ours: str
    #: The upstream function (or class) it extends, wraps or copies.
    upstream: Callable[[], object]
    #: Its signature, as ``str(inspect.signature(...))`` (None for a class).
    signature: str | None
    #: Release line -> fingerprint of its source, for each release our override was checked on.
    fingerprints: dict[str, str]
    #: For a hook that upstream calls: (class whose code runs, the methods that call it).
    called_by: Callable[[], tuple[type, set[str]]] | None = field(default=None)


def callers(cls, name: str) -> set[str]:
    """The methods of ``cls`` (as resolved for it, our own overrides left out) that call
    ``self.<name>(...)``."""
    found = set()
    for method_name, function in inspect.getmembers(cls, inspect.isfunction):
        if function.__module__.startswith("wagtail_distmark"):
            continue
        if f"self.{name}(" in inspect.getsource(function):
            found.add(method_name)
    return found


PINS = {
    "CollectionOwnershipPermissionPolicy._check_perm": Pin(
        ours="library/policies.py: OrgCollectionOwnershipPolicy._check_perm",
        upstream=lambda: super_of(OrgCollectionOwnershipPolicy, "_check_perm"),
        signature="(self, user, actions, collection=None)",
        fingerprints={"wagtail 8.0": "bfd415129fd57afb", "wagtail 7.0": "bfd415129fd57afb"},
        called_by=lambda: (
            CollectionOwnershipPermissionPolicy,
            {
                "user_has_any_permission_for_instance",
                "user_has_permission",
                "users_with_any_permission_for_instance",
            },
        ),
    ),
    "CollectionOwnershipPermissionPolicy._collections_with_perm": Pin(
        ours="library/policies.py: OrgCollectionOwnershipPolicy._collections_with_perm",
        upstream=lambda: super_of(OrgCollectionOwnershipPolicy, "_collections_with_perm"),
        signature="(self, user, actions)",
        fingerprints={"wagtail 8.0": "f8ef10b38807d18f", "wagtail 7.0": "f8ef10b38807d18f"},
        called_by=lambda: (
            CollectionOwnershipPermissionPolicy,
            {"collections_user_has_any_permission_for", "instances_user_has_any_permission_for"},
        ),
    ),
    "BaseModelForm._update_errors": Pin(
        ours="campaigns/forms.py: LocalCampaignForm._update_errors",
        upstream=lambda: super_of(LocalCampaignForm, "_update_errors"),
        signature="(self, errors)",
        fingerprints={"Django 5.2": "f39f8dcf980bc61c"},
        called_by=lambda: (LocalCampaignForm, {"_post_clean", "validate_unique"}),
    ),
    "BaseModelForm._save_m2m (images)": Pin(
        ours="library/forms.py: LibraryFormMixin._save_m2m",
        upstream=lambda: super_of(LibraryImageForm, "_save_m2m", after=LibraryFormMixin),
        signature="(self)",
        fingerprints={"Django 5.2": "067d42846cb3ec39"},
        called_by=lambda: (BaseModelForm, {"save"}),
    ),
    "BaseModelForm._save_m2m (documents)": Pin(
        ours="library/forms.py: LibraryFormMixin._save_m2m",
        upstream=lambda: super_of(LibraryDocumentForm, "_save_m2m", after=LibraryFormMixin),
        signature="(self)",
        fingerprints={"Django 5.2": "067d42846cb3ec39"},
    ),
    "URLOrAbsolutePathField.to_python": Pin(
        ours="compat.py: NoneSafeURLOrAbsolutePathField",
        upstream=lambda: URLOrAbsolutePathField.to_python,
        signature="(self, value)",
        fingerprints={"wagtail 8.0": "cdf41343cf455bea", "wagtail 7.0": "cdf41343cf455bea"},
    ),
    "ExternalLinkChooserForm": Pin(
        ours="compat.py: ExternalLinkForm (declares the same url field)",
        upstream=lambda: ExternalLinkChooserForm,
        signature=None,
        fingerprints={"wagtail 8.0": "ea25c9d55655ad8a", "wagtail 7.0": "ea25c9d55655ad8a"},
    ),
    "ExternalLinkView.post": Pin(
        ours="compat.py: patch_link_choosers (replaces the view's form_class)",
        upstream=lambda: ExternalLinkView.post,
        signature="(self, request)",
        fingerprints={"wagtail 8.0": "2a24f39f1daa3eef", "wagtail 7.0": "2a24f39f1daa3eef"},
    ),
    "MultipleUserFilter": Pin(
        ours="compat.py: patch_multiple_choice_filters",
        upstream=lambda: filters.MultipleUserFilter,
        signature=None,
        fingerprints={"wagtail 8.0": "996ca4fde48b3a94", "wagtail 7.0": "996ca4fde48b3a94"},
    ),
    "MultipleContentTypeFilter": Pin(
        ours="compat.py: patch_multiple_choice_filters",
        upstream=lambda: filters.MultipleContentTypeFilter,
        signature=None,
        fingerprints={"wagtail 8.0": "0a133ca2bdd0386f", "wagtail 7.0": "0a133ca2bdd0386f"},
    ),
    "ModelMultipleChoiceField.clean (filters)": Pin(
        ours="compat.py: KnownKeysOnlyMixin.clean",
        upstream=lambda: super_of(
            filters.MultipleUserFilter.field_class, "clean", after=compat.KnownKeysOnlyMixin
        ),
        signature="(self, value)",
        fingerprints={"Django 5.2": "9d3ba49c10f74938"},
    ),
    "ChosenMultipleViewMixin.get": Pin(
        ours="compat.py: patch_chosen_multiple_views",
        upstream=lambda: unwrapped(ChosenMultipleViewMixin, "get"),
        signature="(self, request)",
        fingerprints={"wagtail 8.0": "c4f30ac5f9a5c1fe", "wagtail 7.0": "c4f30ac5f9a5c1fe"},
    ),
    "ChosenMultipleView.get (pages)": Pin(
        ours="compat.py: patch_chosen_multiple_views",
        upstream=lambda: unwrapped(PageChosenMultipleView, "get"),
        signature="(self, request)",
        fingerprints={"wagtail 8.0": "8381cfc82ddcd0cf", "wagtail 7.0": "8381cfc82ddcd0cf"},
    ),
    "BrowseView.get (pages)": Pin(
        ours="compat.py: patch_chosen_multiple_views (?target_pages[]=)",
        upstream=lambda: unwrapped(PageBrowseView, "get"),
        signature="(self, request, parent_page_id=None)",
        fingerprints={"wagtail 8.0": "e096f65944e5c727", "wagtail 7.0": "e505ef940bf132b8"},
    ),
    "BulkAction.get_queryset": Pin(
        ours="compat.py: patch_bulk_actions",
        upstream=lambda: unwrapped(BulkAction, "get_queryset"),
        signature="(cls, model, object_ids)",
        fingerprints={"wagtail 8.0": "2a3cf8999dd58afb", "wagtail 7.0": "2a3cf8999dd58afb"},
    ),
    "BaseAPIViewSet.listing_view": Pin(
        ours="compat.py: safe_listing_view",
        upstream=lambda: unwrapped(BaseAPIViewSet, "listing_view"),
        signature="(self, request)",
        fingerprints={"wagtail 8.0": "70900dabd02d8885", "wagtail 7.0": "70900dabd02d8885"},
    ),
    "WagtailPagination.paginate_queryset": Pin(
        ours="compat.py: safe_listing_view (refuses a huge offset in Wagtail's words)",
        upstream=lambda: WagtailPagination.paginate_queryset,
        signature="(self, queryset, request, view=None)",
        fingerprints={"wagtail 8.0": "4ef61b4fe7a5846d", "wagtail 7.0": "498a909c4941b77a"},
    ),
    "BaseAPIViewSet.find_object": Pin(
        ours="compat.py: known_find_object",
        upstream=lambda: unwrapped(BaseAPIViewSet, "find_object"),
        signature="(self, queryset, request)",
        fingerprints={"wagtail 8.0": "d1cc9d37698188a1", "wagtail 7.0": "d1cc9d37698188a1"},
    ),
}


@pytest.mark.parametrize("name", [name for name, pin in PINS.items() if pin.signature])
def test_upstream_signature_is_the_one_we_override(name):
    pin = PINS[name]
    upstream = pin.upstream()
    assert str(inspect.signature(upstream)) == pin.signature, (
        f"The signature of {qualified(upstream)} changed: review {pin.ours}."
    )


@pytest.mark.parametrize("name", PINS)
def test_upstream_source_is_the_one_we_reviewed(name):
    pin = PINS[name]
    upstream = pin.upstream()
    line, found = release(upstream), fingerprint(upstream)
    known = pin.fingerprints.get(line)
    assert known is not None, (
        f"Review our override of {qualified(upstream)} ({pin.ours}) against {line}, then add "
        f'the hash to PINS["{name}"].fingerprints: "{line}": "{found}".'
    )
    assert found == known, (
        f"{qualified(upstream)} changed within {line}: review our override ({pin.ours}), then "
        f'update PINS["{name}"].fingerprints["{line}"] to "{found}".'
    )


@pytest.mark.parametrize("name", [name for name, pin in PINS.items() if pin.called_by])
def test_upstream_still_calls_the_hook_we_override(name):
    pin = PINS[name]
    cls, expected = pin.called_by()
    hook = pin.upstream().__name__
    assert callers(cls, hook) == expected, (
        f"Which methods of {cls.__name__} call {hook}() changed: review {pin.ours}."
    )


def test_the_registry_feature_test_matches_the_wagtail_release():
    """``compat.HAS_POLICY_REGISTRY`` is the only Wagtail 7/8 switch; it must follow the
    release (the registry came with Wagtail 8.0)."""
    registry_release = wagtail.VERSION >= (8, 0)
    assert registry_release == compat.HAS_POLICY_REGISTRY


# The JavaScript patch: zones.js wraps ``StructBlockDefinition.prototype.render`` (from
# ``window.wagtailStreamField.blocks``) and reads the bound block's ``container``.

BLOCKS_JS = Path(wagtail.__file__).parent / "admin/static/wagtailadmin/js/telepath/blocks.js"
ZONES_JS = Path(compat.__file__).parent / "static/wagtail_distmark/js/zones.js"


def class_body(source: str, name: str) -> str:
    """The body of ``class <name> {...}`` in (minified) JavaScript, braces matched."""
    match = re.search(rf"class {re.escape(name)}(?: extends [\w$.]+)?\{{", source)
    assert match, f"Wagtail's blocks.js no longer defines the class {name}: review zones.js"
    depth = 0
    for index in range(match.end() - 1, len(source)):
        depth += {"{": 1, "}": -1}.get(source[index], 0)
        if depth == 0:
            return source[match.end() : index]
    raise AssertionError(f"unbalanced class {name} in Wagtail's blocks.js")


def test_wagtail_still_ships_the_struct_block_render_that_zones_js_patches():
    source = BLOCKS_JS.read_text(encoding="utf-8")
    exported = re.search(r"\bStructBlockDefinition:([\w$]+)", source)
    assert exported, (
        "Wagtail's blocks.js no longer exports StructBlockDefinition on "
        "window.wagtailStreamField.blocks: review zones.js"
    )
    definition = class_body(source, exported.group(1))
    render = re.search(r"\brender\([^)]*\)\{return new ([\w$]+)\(", definition)
    assert render, "StructBlockDefinition has no render() returning a StructBlock: review zones.js"
    struct_block = class_body(source, render.group(1))
    assert "this.container=" in struct_block, (
        "Wagtail's StructBlock no longer sets `container`, which zones.js turns into "
        "`element`: review zones.js"
    )


def test_zones_js_patches_the_render_method_checked_above():
    source = ZONES_JS.read_text(encoding="utf-8")
    assert "blocks.StructBlockDefinition.prototype.render = " in source
    assert "bound.container" in source
