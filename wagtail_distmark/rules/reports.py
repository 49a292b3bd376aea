"""Wagtail's own reports, scoped: Site history and the two workflow reports.

Wagtail decides who sees a log entry or a workflow by content type (any permission on the
model shows every object's entries); each unit-scoped model of ours (every model whose
manager has ``for_user``) narrows that to the objects in the user's scope. Page reports
(aging, locked pages, page types) list pages only and are left as they are.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.admin.views.reports.workflows import WorkflowTasksView, WorkflowView
from wagtail.log_actions import registry as log_action_registry
from wagtail.snippets.views.snippets import ModelIndexView

from wagtail_distmark.rules.scope import get_scope

APP_LABEL = "wagtail_distmark"


def unit_scoped_models() -> list:
    models = apps.get_app_config(APP_LABEL).get_models()
    return [model for model in models if hasattr(model._default_manager, "for_user")]


def visible_ids(model, user):
    """The ids (as text, like the generic ``object_id`` columns) of the rows in scope."""
    rows = model._default_manager.for_user(user)
    return rows.annotate(distmark_id=Cast("pk", CharField())).values("distmark_id")


def in_scope(queryset, user, content_type_field: str, object_id_field: str):
    """Drop the rows about a unit-scoped object outside the user's scope."""
    if get_scope(user).is_superuser:
        return queryset
    for model in unit_scoped_models():
        content_type = ContentType.objects.get_for_model(model)
        outside = Q(**{content_type_field: content_type}) & ~Q(
            **{f"{object_id_field}__in": visible_ids(model, user)}
        )
        queryset = queryset.exclude(outside)
    return queryset


def is_generic_log(log_model) -> bool:
    """Logs any model by content type and id (ModelLogEntry); PageLogEntry logs pages."""
    names = {field.name for field in log_model._meta.get_fields()}
    return {"content_type", "object_id"} <= names


def visible_log_entries(log_model, user):
    entries = log_model.objects.viewable_by_user(user)
    if not is_generic_log(log_model):
        return entries
    return in_scope(entries, user, "content_type", "object_id")


class ScopedSiteHistoryFilterSet(SiteHistoryReportFilterSet):
    """The users and actions offered as filters come from the visible entries only."""

    def entries(self):
        models = log_action_registry.get_log_entry_models()
        return [visible_log_entries(model, self.request.user) for model in models]

    def get_action_choices(self):
        used = {action for entries in self.entries() for action in entries.get_actions()}
        return [choice for choice in log_action_registry.get_choices() if choice[0] in used]

    def get_users_queryset(self):
        ids = {pk for entries in self.entries() for pk in entries.get_user_ids()}
        User = get_user_model()
        return User.objects.filter(pk__in=ids).order_by(User.USERNAME_FIELD)

    get_user_choices = get_users_queryset  # the name Wagtail 7 calls


class ScopedLogEntriesView(LogEntriesView):
    filterset_class = ScopedSiteHistoryFilterSet

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not is_generic_log(queryset.model):
            return queryset
        return in_scope(queryset, self.request.user, "content_type", "object_id")


class ScopedWorkflowView(WorkflowView):
    def get_queryset(self):
        return in_scope(super().get_queryset(), self.request.user, "content_type", "object_id")


class ScopedWorkflowTasksView(WorkflowTasksView):
    def get_queryset(self):
        queryset = super().get_queryset()
        return in_scope(
            queryset, self.request.user, "workflow_state__content_type", "workflow_state__object_id"
        )


class ScopedSnippetTypesView(ModelIndexView):
    """Wagtail's Snippets index (``/admin/snippets/``, listing our models when a site sets
    ``WAGTAILSNIPPETS_MENU_SHOW_ALL``) counts each unit-scoped model's rows in scope only."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if get_scope(request.user).is_superuser:
            return
        for snippet_type in self.snippet_types:
            manager = snippet_type["model"]._default_manager
            if hasattr(manager, "for_user"):
                snippet_type["count"] = manager.for_user(request.user).count()


#: Wagtail's report URL names, and the scoped view that answers each.
SCOPED_REPORTS = {
    "site_history": (ScopedLogEntriesView, {}),
    "site_history_results": (ScopedLogEntriesView, {"results_only": True}),
    "workflow": (ScopedWorkflowView, {}),
    "workflow_results": (ScopedWorkflowView, {"results_only": True}),
    "workflow_tasks": (ScopedWorkflowTasksView, {}),
    "workflow_tasks_results": (ScopedWorkflowTasksView, {"results_only": True}),
}


def scope_wagtail_reports() -> None:
    """Point Wagtail's report URLs at the scoped views.

    Wagtail's report URLs come before any ``register_admin_urls`` hook's, so a path of ours
    cannot go ahead of them; instead their patterns' views are replaced, by URL name, before
    Wagtail wraps and resolves them (this runs from that hook).
    """
    # Here: importing wagtail.admin.urls runs every app's register_admin_urls hooks (ours too).
    from wagtail.admin.urls import reports

    for pattern in reports.urlpatterns:
        if pattern.name in SCOPED_REPORTS:
            view_class, kwargs = SCOPED_REPORTS[pattern.name]
            pattern.callback = view_class.as_view(**kwargs)
