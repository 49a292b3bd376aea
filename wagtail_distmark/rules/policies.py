"""Wagtail permission policies that ask the named rules, per object.

Wagtail's snippet views ask their model's permission policy; this one turns each question
into ``user.has_perm("wagtail_distmark.<action>_<model>", obj)`` so the rules in
``permissions.py`` stay the single source of truth.
"""

from functools import cached_property, wraps

from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from wagtail.permission_policies.base import BasePermissionPolicy


class RulesPermissionPolicy(BasePermissionPolicy):
    def permission_name(self, action: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{action}_{opts.model_name}"

    def user_has_permission(self, user, action):
        return user.has_perm(self.permission_name(action))

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return user.has_perm(self.permission_name(action), instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(
            self.user_has_permission_for_instance(user, action, instance) for action in actions
        )

    def instances_user_has_any_permission_for(self, user, actions):
        """The rows in the user's scope; the per-object rules decide the rest."""
        queryset = self.model._default_manager.all()
        if hasattr(queryset, "for_user"):
            return queryset.for_user(user)
        return queryset if self.user_has_any_permission(user, actions) else queryset.none()

    def users_with_any_permission(self, actions):
        users = get_user_model()._default_manager.filter(is_active=True)
        return users.filter(Q(is_superuser=True) | Q(distmark_memberships__isnull=False)).distinct()


def register_policies(models) -> None:
    """Register a rules policy for each model with Wagtail 8's registry (no-op before 8)."""
    try:
        from wagtail.permissions import register_permission_policy
    except ImportError:  # Wagtail 7: the viewsets carry the policy (RulesPolicyMixin)
        return
    for model in models:
        register_permission_policy(model, RulesPermissionPolicy(model), exact_class=True)


def policy_for(model) -> RulesPermissionPolicy:
    """The registered policy of ``model`` (Wagtail 8), or a new one (Wagtail 7)."""
    try:
        from wagtail.permissions import policy_registry
    except ImportError:
        return RulesPermissionPolicy(model)
    return policy_registry.get_by_type(model, fallback=False) or RulesPermissionPolicy(model)


class RulesPolicyMixin:
    """For a Wagtail viewset: ask the named rules (the registered policy of its model)."""

    @cached_property
    def permission_policy(self):
        return policy_for(self.model)


class ScopedUrlsMixin:
    """For a Wagtail viewset: every URL with an object id answers 404 for an object outside
    ``Model.objects.for_user(user)``, and a changing POST needs the named rule."""

    #: URL names whose POST changes the object, and the rule action each needs.
    CHANGING_VIEWS = {"edit": "change", "revisions_revert": "change", "delete": "delete"}

    def get_urlpatterns(self):
        return [self.scoped(pattern) for pattern in super().get_urlpatterns()]

    def scoped(self, pattern):
        if not isinstance(pattern, URLPattern) or "pk" not in str(pattern.pattern):
            return pattern
        callback, model = pattern.callback, self.model
        action = self.CHANGING_VIEWS.get(pattern.name)
        perm = f"{model._meta.app_label}.{action}_{model._meta.model_name}"

        @wraps(callback)
        def view(request, *args, pk, **kwargs):
            queryset = model._default_manager.for_user(request.user)
            instance = get_object_or_404(queryset, pk=unquote(str(pk)))
            if action and request.method == "POST" and not request.user.has_perm(perm, instance):
                raise PermissionDenied
            return callback(request, *args, pk=pk, **kwargs)

        return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)
