"""Wagtail permission policies that ask the named rules, per object.

Wagtail's snippet views ask their model's permission policy; this one turns each question
into ``user.has_perm("wagtail_distmark.<action>_<model>", obj)`` so the rules in
``permissions.py`` stay the single source of truth.
"""

from functools import cached_property, wraps
from typing import NamedTuple

from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import URLPattern, reverse
from django.utils.translation import gettext as _
from wagtail.admin.views.generic.chooser import BaseChooseView, ChosenMultipleViewMixin
from wagtail.models import Revision, TaskState, WorkflowState
from wagtail.permission_policies.base import BasePermissionPolicy

from wagtail_distmark import compat
from wagtail_distmark.ids import parse_id, parse_pk, valid_pks
from wagtail_distmark.redirects import SafeNextViewSetMixin


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
    """Register a rules policy for each model with Wagtail 8's registry (no-op on 7.0, where
    the viewsets carry the policy: ``RulesPolicyMixin``)."""
    for model in models:
        compat.register_permission_policy(model, RulesPermissionPolicy(model))


def policy_for(model) -> RulesPermissionPolicy:
    """The registered policy of ``model`` (Wagtail 8), or a new one (Wagtail 7)."""
    return compat.registered_policy(model, fallback=False) or RulesPermissionPolicy(model)


class RulesPolicyMixin(SafeNextViewSetMixin):
    """For a Wagtail viewset: ask the named rules (the registered policy of its model); a
    posted ``next`` that Django would read as a URL name is dropped (``redirects.py``)."""

    @cached_property
    def permission_policy(self):
        return policy_for(self.model)


class UrlRule(NamedTuple):
    """What one URL of a viewset asks of the user about the object in it.

    ``read`` is the rule action asked for a GET (or HEAD), ``write`` the one asked for any
    other method; ``None`` asks nothing more than the object being in the user's scope.
    """

    read: str | None
    write: str | None


#: In scope is enough; for a URL without an object, Wagtail's own model-level check and
#: the viewset's scoped queryset decide.
SCOPE = UrlRule(None, None)
READ = UrlRule("view", "view")
CHANGE = UrlRule("change", "change")
#: Switched off: the URL answers 404.
OFF = None

#: Every URL name Wagtail's snippet viewsets and their choosers register, and what it asks.
#: The one place where a generic view of ours meets a rule: a URL name missing here is
#: switched off (404) until someone decides, and a test lists the names Wagtail registers
#: for our viewsets that are missing (``unmapped_url_names``).
URL_RULES: dict[str, UrlRule | None] = {
    "list": SCOPE,
    "list_results": SCOPE,
    "add": SCOPE,
    "preview_on_add": SCOPE,
    "edit": UrlRule("view", "change"),
    "revisions_revert": CHANGE,
    "delete": UrlRule("delete", "delete"),
    # Wagtail's copy view saves into the original: viewsets offer their own or none.
    "copy": UrlRule("copy", "copy"),
    "inspect": READ,
    "usage": READ,
    "history": READ,
    "history_results": READ,
    "revisions_view": READ,
    "revisions_compare": READ,
    # Its POST only keeps the posted form in the session, for the preview.
    "preview_on_edit": READ,
    "revisions_unschedule": CHANGE,
    "unpublish": UrlRule("unpublish", "unpublish"),
    # Wagtail asks its own lock rules (or the workflow task's) as well.
    "lock": CHANGE,
    "unlock": CHANGE,
    # The workflow task's get_actions() decides who may act; the object must be in scope.
    "workflow_action": READ,
    "collect_workflow_action_data": READ,
    "confirm_workflow_cancellation": CHANGE,
    "workflow_history": READ,
    "workflow_history_detail": READ,
    "workflow_preview": READ,
    "reorder": OFF,
    # The chooser: what it lists and accepts is the viewset's chooser queryset.
    "choose": SCOPE,
    "choose_results": SCOPE,
    "chosen": SCOPE,
    "chosen_multiple": SCOPE,
    "create": OFF,
}
#: :data:`URL_RULES` with the names a ``ModelViewSet`` gives its listing (a snippet's are
#: ``list`` and ``list_results``).
MODEL_URL_RULES = {**URL_RULES, "index": SCOPE, "index_results": SCOPE}

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _workflow_states_of(instance):
    return WorkflowState.objects.for_instance(instance)


def _is_id(value) -> bool:
    return parse_id(value) is not None


def owns_revision(instance, value) -> bool:
    """A revision of the object (or one of the keywords Wagtail's compare view takes)."""
    if not _is_id(value):
        return value in REVISION_KEYWORDS
    return Revision.objects.for_instance(instance).filter(pk=value).exists()


def owns_workflow_state(instance, value) -> bool:
    return _is_id(value) and _workflow_states_of(instance).filter(pk=value).exists()


def owns_task_state(instance, value) -> bool:
    return _is_id(value) and (
        TaskState.objects.filter(pk=value, workflow_state__in=_workflow_states_of(instance))
        .exists()
    )  # fmt: skip


def has_task_state_of(instance, value) -> bool:
    """A task the object went through (or is in): a workflow task is global, its state not."""
    return _is_id(value) and (
        TaskState.objects.filter(task_id=value, workflow_state__in=_workflow_states_of(instance))
        .exists()
    )  # fmt: skip


#: The words Wagtail's revisions compare URL takes in place of a revision id.
REVISION_KEYWORDS = ("live", "earliest", "latest")

#: URL keyword arguments that are no object's id.
PLAIN_URL_KWARGS = frozenset({"pk", "action_name"})

#: URL keyword arguments naming another object than ``pk``'s, and the check that it belongs
#: to the object ``pk`` names (else 404): Wagtail's views load some of them by id alone
#: (``BaseWorkflowFormView.get_task_state()``). A URL with a keyword argument in neither
#: map is switched off (404) until someone decides; so is one with such an id but no ``pk``.
OWNED_URL_KWARGS = {
    "revision_id": owns_revision,
    "revision_id_a": owns_revision,
    "revision_id_b": owns_revision,
    "workflow_state_id": owns_workflow_state,
    "task_state_id": owns_task_state,
    "task_id": has_task_state_of,
}


def url_kwargs(pattern: URLPattern) -> set[str]:
    """The names of the keyword arguments a URL pattern captures."""
    return set(pattern.pattern.regex.groupindex)


def is_checkable(pattern: URLPattern) -> bool:
    """Every id the URL carries is ``pk`` or one whose owner the guard can check."""
    names = url_kwargs(pattern)
    unknown = names - PLAIN_URL_KWARGS - set(OWNED_URL_KWARGS)
    return not unknown and ("pk" in names or not names & set(OWNED_URL_KWARGS))


def check_owned_ids(instance, kwargs) -> None:
    """404 unless every other id in the URL belongs to ``instance``."""
    for name, value in kwargs.items():
        if name in OWNED_URL_KWARGS and not OWNED_URL_KWARGS[name](instance, value):
            raise Http404


def scoped_object(queryset, pk):
    """The object ``pk`` names in ``queryset``, or 404 (also for a malformed id)."""
    pk = parse_pk(queryset.model, unquote(str(pk)))
    if pk is None:
        raise Http404
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as error:
        raise Http404 from error


class GuardedUrls:
    """Wraps a viewset's URL patterns: each asks its :data:`URL_RULES` entry, per object."""

    def __init__(self, model, url_rules, queryset, refusal):
        self.model, self.url_rules = model, url_rules
        self.queryset, self.refusal = queryset, refusal

    def __call__(self, pattern):
        if not isinstance(pattern, URLPattern):
            return pattern
        rule = self.url_rules.get(pattern.name, OFF)
        if rule is OFF or not is_checkable(pattern):
            view = switched_off
        else:
            view = self.guard(pattern.callback, rule)
        return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)

    def guard(self, callback, rule: UrlRule):
        policy = policy_for(self.model)

        @wraps(callback)
        def view(request, *args, **kwargs):
            if "pk" not in kwargs:
                return callback(request, *args, **kwargs)
            instance = scoped_object(self.queryset(request), kwargs["pk"])
            check_owned_ids(instance, kwargs)
            action = rule.read if request.method in SAFE_METHODS else rule.write
            if action and not policy.user_has_permission_for_instance(
                request.user, action, instance
            ):
                return self.refusal(request, action, instance)
            return callback(request, *args, **kwargs)

        return view


def switched_off(request, *args, **kwargs):
    raise Http404


def unmapped_url_names(viewset, url_rules=URL_RULES) -> set[str]:
    """URL names a viewset (and its chooser) registers that ``url_rules`` does not map."""
    patterns = list(viewset.get_urlpatterns())
    if hasattr(viewset, "chooser_viewset"):
        patterns += viewset.chooser_viewset.get_urlpatterns()
    return {p.name for p in patterns if isinstance(p, URLPattern)} - set(url_rules)


class ScopedChooserMixin:
    """For a snippet chooser viewset: it lists, finds and accepts only the rows of its snippet
    viewset's ``get_chooser_queryset(request)``; its URLs follow :data:`URL_RULES`."""

    def chooser_queryset(self, request):
        return self.model.snippet_viewset.get_chooser_queryset(request)

    def get_urlpatterns(self):
        guard = GuardedUrls(self.model, URL_RULES, self.chooser_queryset, forbidden)
        return [guard(pattern) for pattern in super().get_urlpatterns()]

    def construct_view(self, view_class, **kwargs):
        for view_mixin in (ScopedChooseViewMixin, ScopedChosenMultipleViewMixin):
            if issubclass(view_class, view_mixin.scopes):
                view_class = type(view_class.__name__, (view_mixin, view_class), {})
        return super().construct_view(view_class, **kwargs)


class ScopedChooseViewMixin:
    scopes = BaseChooseView

    def get_object_list(self):
        allowed = self.model_class.snippet_viewset.get_chooser_queryset(self.request)
        return super().get_object_list().filter(pk__in=allowed.values("pk"))


class ScopedChosenMultipleViewMixin:
    scopes = ChosenMultipleViewMixin

    def get_objects(self, pks):
        allowed = self.model_class.snippet_viewset.get_chooser_queryset(self.request)
        pks = valid_pks(self.model_class, pks)  # "²" or a 20-digit id: unknown, not a 500
        return super().get_objects(pks).filter(pk__in=allowed.values("pk"))


def scoped_chooser_class(chooser_viewset_class):
    if issubclass(chooser_viewset_class, ScopedChooserMixin):
        return chooser_viewset_class
    return type(chooser_viewset_class.__name__, (ScopedChooserMixin, chooser_viewset_class), {})


def forbidden(request, action, instance, message=None, back_url=None):
    """The 403 page for an object the user may see but not act on this way."""
    return TemplateResponse(
        request,
        "wagtail_distmark/network/forbidden.html",
        {
            "message": message or _("You may not do this to “%(object)s”.") % {"object": instance},
            "back_url": back_url or reverse("wagtailadmin_home"),
            "back_label": _("Back"),
        },
        status=403,
    )


class ScopedUrlsMixin:
    """For a snippet viewset: every URL (its own and its chooser's) answers through
    :data:`URL_RULES`: 404 for an object outside ``scoped_queryset(request)``, a 403 page
    when the rule the URL asks refuses, 404 for a URL name nobody mapped."""

    #: The map of URL names to rules; a viewset may extend it.
    url_rules = URL_RULES
    #: Wagtail's copy view saves into the original object: off, unless a viewset supplies
    #: a copy view of its own.
    copy_view_enabled = False
    #: Messages of the 403 page, per rule action.
    refusals: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(self, "chooser_viewset_class", None) is not None:  # a ModelViewSet has none
            self.chooser_viewset_class = scoped_chooser_class(self.chooser_viewset_class)

    def scoped_queryset(self, request):
        """The rows whose URLs answer at all (the others are a 404)."""
        return policy_for(self.model).instances_user_has_any_permission_for(
            request.user, ["view", "change"]
        )

    def get_chooser_queryset(self, request):
        """The rows the chooser lists and accepts."""
        return self.scoped_queryset(request)

    def get_urlpatterns(self):
        guard = GuardedUrls(self.model, self.url_rules, self.scoped_queryset, self.refuse)
        return [guard(pattern) for pattern in super().get_urlpatterns()]

    def refuse(self, request, action, instance):
        back_url = None
        if request.user.has_perm(policy_for(self.model).permission_name("view"), instance):
            back_url = reverse(self.get_url_name("edit"), args=[quote(instance.pk)])
        return forbidden(request, action, instance, self.refusals.get(action), back_url)


class ScopedModelUrlsMixin(ScopedUrlsMixin):
    """:class:`ScopedUrlsMixin` for a ``ModelViewSet``: the same guard on every URL."""

    url_rules = MODEL_URL_RULES
