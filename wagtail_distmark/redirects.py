"""A posted ``next`` that Django would read as a URL name is dropped before a view sees it.

Wagtail's generic views (delete, unschedule, lock, workflow actions …) redirect to the posted or
queried ``next`` once it passes the same-host check, and Django's ``redirect()`` reads a value
with no slash and no dot (``{{``, ``index``) as a URL pattern name: a NoReverseMatch, a 500 on a
crafted POST. Without it the view goes where it goes when no ``next`` is given. Every viewset
that asks the rules gets it (``rules.policies.RulesPolicyMixin``).
"""

from functools import cache

from django.http import HttpRequest


def is_url_name(value: str) -> bool:
    """What ``django.shortcuts.resolve_url`` would try to reverse as a view name."""
    return "/" not in value and "." not in value


def drop_unreadable_next(request: HttpRequest) -> None:
    """Remove a ``next`` that is not a URL from the request's query and form data."""
    for name in ("GET", "POST"):
        data = getattr(request, name)
        if any(is_url_name(value) for value in data.getlist("next")):
            data = data.copy()
            del data["next"]
            setattr(request, name, data)


class SafeNextView:
    """View mixin: the request's ``next`` is checked before the view reads it."""

    def setup(self, request, *args, **kwargs):
        drop_unreadable_next(request)
        super().setup(request, *args, **kwargs)


@cache
def safe_next_view(view_class: type) -> type:
    if issubclass(view_class, SafeNextView):
        return view_class
    return type(view_class.__name__, (SafeNextView, view_class), {})


class SafeNextViewSetMixin:
    """Viewset mixin: every class-based view of the viewset is a :class:`SafeNextView`."""

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(safe_next_view(view_class), **kwargs)
