"""Views of the Network admin: wagtail-modeladmin's views, scoped by the rules."""

import copy

from django.contrib.admin import FieldListFilter
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.utils import get_fields_from_path, quote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic.edit import FormMixin
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel
from wagtail.admin.widgets import Button, ButtonWithDropdown, HeaderButton
from wagtail.log_actions import log
from wagtail_modeladmin import views as modeladmin_views
from wagtail_modeladmin.templatetags.modeladmin_tags import items_for_result

from wagtail_distmark.ids import clean_search, parse_id
from wagtail_distmark.org.forms import (
    AddMemberForm,
    MoveForm,
    OrgUnitCreateForm,
    unit_edit_handler,
)
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.org import ALL, editable_fields
from wagtail_distmark.rules.scope import get_scope

VIEW = "wagtail_distmark.view_orgunit"


class RefuseWith403Mixin:
    """Answer a refused action with a 403 page in the admin's look.

    Wagtail's own admin turns ``PermissionDenied`` into a redirect to the dashboard; the
    Network admin answers with a real 403 and says why, so scripts and people both see it.
    """

    denied_message = gettext_lazy("You do not have permission to do this to this unit.")

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied:
            return TemplateResponse(
                request,
                "wagtail_distmark/network/forbidden.html",
                {"message": self.denied_message, "back_url": self.url_helper.index_url},
                status=403,
            )


def visible_ancestors(user, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors the user may see, root first (for breadcrumbs)."""
    return list(unit.get_ancestors().filter(get_scope(user).q("path")))


def network_breadcrumbs(view, units, current=None, current_parent_url=None) -> list[dict]:
    """Wagtail's breadcrumb items for a Network page: Home › Network › ``units`` (each
    listing its subtree, as the page explorer's breadcrumbs do) › ``current``.

    Without ``current`` the last unit is the page itself; with it, the last unit links to
    ``current_parent_url`` (its inspect page) and ``current`` names the action.
    """
    index_url = view.url_helper.index_url
    items = [
        {"url": reverse("wagtailadmin_home"), "label": _("Home")},
        {"url": index_url, "label": view.model_admin.menu_label},
        *({"url": f"{index_url}?within={unit.pk}", "label": unit.name} for unit in units),
    ]
    if current is None:
        return [*items[:-1], {**items[-1], "url": None}]
    if units:
        items[-1] = {**items[-1], "url": current_parent_url}
    return [*items, {"url": None, "label": current}]


def actions_dropdown(buttons: list[dict], label: str) -> ButtonWithDropdown | None:
    """modeladmin's buttons for one object as Wagtail 8's "More options" dropdown.

    ``buttons`` come from the ButtonHelper, i.e. from the PermissionHelper's per-object
    answers: the dropdown offers exactly what the rules allow.
    """
    if not buttons:
        return None
    items = [
        Button(button["label"], url=button["url"], icon_name=button.get("icon"), priority=n)
        for n, button in enumerate(buttons)
    ]
    return ButtonWithDropdown(
        buttons=items, icon_name="dots-horizontal", attrs={"aria-label": label}
    )


def set_parent_names(user, units: list[OrgUnit]) -> None:
    """Give each unit the name of its parent, if the user may see it (one query a page).

    The index says each unit's place in the tree in words, not by indentation only.
    """
    steplen = OrgUnit.steplen
    paths = {unit.path[:-steplen] for unit in units if unit.depth > 1}
    names = dict(OrgUnit.objects.for_user(user).filter(path__in=paths).values_list("path", "name"))
    for unit in units:
        unit.parent_name = names.get(unit.path[:-steplen])


class ScopedInstanceMixin(RefuseWith403Mixin):
    """404 for a unit outside the user's scope, before any other permission check."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(VIEW, self.instance):
            raise Http404(_("No org unit matches the given query."))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def breadcrumbs(self):
        return [*visible_ancestors(self.request.user, self.instance), self.instance]

    def get_breadcrumbs_items(self):
        """Home › Network › the unit's visible ancestors › the unit › this page."""
        return network_breadcrumbs(self, self.breadcrumbs, self.get_page_title(), self.inspect_url)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("breadcrumbs_items", self.get_breadcrumbs_items())
        return super().get_context_data(**kwargs)

    @cached_property
    def inspect_url(self):
        return self.inspect_url_for(self.instance)

    def inspect_url_for(self, unit):
        return self.url_helper.get_action_url("inspect", quote(unit.pk))


def filter_spec(list_filter, request, model_admin):
    """An unfiltered instance of one entry of ``list_filter``, as modeladmin builds it."""
    model = model_admin.model
    if callable(list_filter):  # a SimpleListFilter subclass
        return list_filter(request, {}, model, model_admin)
    field_path, filter_class = (
        list_filter
        if isinstance(list_filter, (tuple, list))
        else (list_filter, FieldListFilter.create)
    )
    field = get_fields_from_path(model, field_path)[-1]
    return filter_class(field, request, {}, model, model_admin, field_path=field_path)


def holds_nul(value) -> bool:
    """PostgreSQL refuses a NUL in a text parameter (a DataError, a 500)."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return any("\x00" in str(item) for item in values)


class DeclaredFiltersOnlyMixin:
    """The index filters by its declared list filters only.

    modeladmin's index turns every other query parameter into a database lookup, and a
    lookup can follow relations out of the user's scope
    (``?memberships__user__password__startswith=...``) and answer yes/no questions by
    showing or hiding a row; an unknown name is a 500. Here every parameter that is not a
    declared filter's is ignored; search, ordering (declared orderable columns only) and the
    page number are read by modeladmin from their own parameters.
    """

    @cached_property
    def declared_filter_parameters(self) -> frozenset[str]:
        return frozenset(
            name
            for list_filter in self.list_filter
            for name in filter_spec(
                list_filter, self.request, self.model_admin
            ).expected_parameters()
        )

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        return {
            name: value
            for name, value in lookup_params.items()
            if name in self.declared_filter_parameters and not holds_nul(value)
        }

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL refuses a NUL in a text parameter (a 500), SQLite's search index too.
        return super().get_search_results(request, queryset, clean_search(search_term))


class OrgUnitIndexView(DeclaredFiltersOnlyMixin, RefuseWith403Mixin, modeladmin_views.IndexView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        within = self.within_unit
        trail = [] if within is None else [*visible_ancestors(self.request.user, within), within]
        context["breadcrumbs_items"] = network_breadcrumbs(self, trail)
        context["header_buttons"] = self.header_buttons(context["user_can_create"])
        context["result_headers"] = list(result_headers(self))
        context["rows"] = self.result_rows(list(context["object_list"]))
        return context

    def header_buttons(self, user_can_create: bool) -> list[HeaderButton]:
        if not user_can_create:
            return []
        add = self.button_helper.add_button()
        return [HeaderButton(add["label"], url=add["url"], icon_name="plus")]

    def result_rows(self, units: list[OrgUnit]) -> list[dict]:
        """Each row: its title cell's parts (link, actions dropdown), then modeladmin's cells."""
        set_parent_names(self.request.user, units)
        return [self.result_row(unit) for unit in units]

    def result_row(self, unit: OrgUnit) -> dict:
        primary = self.button_helper.get_primary_button(unit)
        label = _("More options for '%(title)s'") % {"title": unit.name}
        return {
            "unit": unit,
            "title": self.model_admin.tree_name(unit),
            "url": primary["url"] if primary else None,
            "actions": actions_dropdown(self.get_buttons_for_obj(unit), label),
            "cells": list(items_for_result(self.other_columns, unit, self.request)),
        }

    @cached_property
    def other_columns(self):
        """This view as modeladmin's ``items_for_result`` sees it, without the title column:
        ``result_row`` draws that one (its link, permissions and name were drawn twice)."""
        view = copy.copy(self)
        view.list_display = self.list_display[1:]
        return view

    @cached_property
    def within_unit(self):
        pk = parse_id(self.request.GET.get("within", ""))
        if pk is None:
            return None
        return OrgUnit.objects.for_user(self.request.user).filter(pk=pk).first()

    def get_template_names(self):
        return ["wagtail_distmark/network/index.html"]


class OrgUnitInspectView(ScopedInstanceMixin, modeladmin_views.InspectView):
    def get_context_data(self, **kwargs):
        user = self.request.user
        unit = self.instance
        can = {
            "can_manage_members": user.has_perm("wagtail_distmark.manage_members", unit),
            "can_move": user.has_perm("wagtail_distmark.move_orgunit", unit),
        }
        return super().get_context_data(
            breadcrumbs_items=network_breadcrumbs(self, self.breadcrumbs),
            header_buttons=self.header_buttons(can["can_move"]),
            memberships=self.memberships_with_remove_urls(),
            children=[(child, self.inspect_url_for(child)) for child in unit.get_children()],
            move_url=self.url_helper.get_action_url("move", unit.pk),
            history_url=self.url_helper.get_action_url("history", unit.pk),
            add_member_url=self.url_helper.get_action_url("add_member", unit.pk),
            **can,
            **kwargs,
        )

    def header_buttons(self, can_move: bool) -> list[ButtonWithDropdown]:
        """The unit's actions (the ButtonHelper's, then Move) in the header's dropdown."""
        buttons = self.button_helper.get_buttons_for_obj(self.instance, exclude=["inspect"])
        if can_move:
            move_url = self.url_helper.get_action_url("move", self.instance.pk)
            buttons.append({"url": move_url, "label": _("Move"), "icon": "resubmit"})
        dropdown = actions_dropdown(buttons, _("Actions"))
        return [dropdown] if dropdown else []

    def memberships_with_remove_urls(self):
        memberships = self.instance.memberships.select_related("user").order_by(
            "role", "user__username"
        )
        user = self.request.user
        return [
            (
                membership,
                self.url_helper.get_action_url("remove_member", self.instance.pk, membership.pk)
                if user.has_perm("wagtail_distmark.delete_membership", membership)
                else None,
            )
            for membership in memberships
        ]

    def get_template_names(self):
        return ["wagtail_distmark/network/inspect.html"]


class OrgUnitHistoryView(ScopedInstanceMixin, modeladmin_views.HistoryView):
    """The unit's audit trail (edits, moves, members added and removed)."""

    def check_action_permitted(self, user):
        return user.has_perm(VIEW, self.instance)


class OrgUnitCreateView(RefuseWith403Mixin, modeladmin_views.CreateView):
    denied_message = gettext_lazy("You may not create units here.")

    @cached_property
    def parent(self):
        pk = parse_id(self.request.GET.get("parent", ""))
        if pk is None:
            return None
        parent = get_object_or_404(OrgUnit.objects.for_user(self.request.user), pk=pk)
        if not self.request.user.has_perm("wagtail_distmark.add_orgunit", parent):
            raise PermissionDenied
        return parent

    def get_edit_handler(self):
        handler = unit_edit_handler(
            ALL, form_class=OrgUnitCreateForm, extra_panels=[FieldPanel("parent")]
        )
        return handler.bind_to_model(OrgUnit)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "parent": self.parent}

    def get_context_data(self, **kwargs):
        parent = self.parent
        trail = [] if parent is None else [*visible_ancestors(self.request.user, parent), parent]
        parent_url = parent and self.url_helper.get_action_url("inspect", quote(parent.pk))
        crumbs = network_breadcrumbs(self, trail, self.get_page_title(), parent_url)
        return super().get_context_data(breadcrumbs_items=crumbs, **kwargs)

    def form_valid(self, form):
        parent = form.cleaned_data["parent"]
        try:
            with transaction.atomic():
                parent.refresh_from_db()
                self.instance = parent.add_child(instance=form.save(commit=False))
                log(instance=self.instance, action="wagtail.create", content_changed=True)
        except IntegrityError:
            # Another request took the same code or tree position meanwhile: keep the input.
            form.add_error(
                None,
                _("The network changed while you were saving this unit. Check it and save again."),
            )
            return self.form_invalid(form)
        messages.success(self.request, self.get_success_message(self.instance))
        return redirect(self.url_helper.get_action_url("inspect", quote(self.instance.pk)))


class OrgUnitEditView(ScopedInstanceMixin, modeladmin_views.EditView):
    denied_message = gettext_lazy("You may not change this unit's profile.")

    def get_edit_handler(self):
        fields = editable_fields(self.request.user, self.instance)
        return unit_edit_handler(fields).bind_to_model(OrgUnit)

    def get_success_url(self):
        return self.inspect_url_for(self.instance)


class OrgUnitDeleteView(ScopedInstanceMixin, modeladmin_views.DeleteView):
    denied_message = gettext_lazy("Only an HQ admin above this unit may delete it.")

    def confirmation_message(self):
        if self.instance.numchild:
            return _("%(unit)s still has %(count)d sub-unit(s). Move or delete them first.") % {
                "unit": self.instance,
                "count": self.instance.numchild,
            }
        return _("Delete %(unit)s? Its %(count)d membership(s) will be removed with it.") % {
            "unit": self.instance,
            "count": self.instance.memberships.count(),
        }

    def post(self, request, *args, **kwargs):
        if self.instance.numchild:
            messages.error(request, self.confirmation_message())
            return redirect(self.inspect_url_for(self.instance))
        return super().post(request, *args, **kwargs)


class UnitFormView(ScopedInstanceMixin, FormMixin, modeladmin_views.InstanceSpecificView):
    """A form about one unit (move it, add a member), in the Wagtail admin's look."""

    permission = ""
    template_name = ""

    def check_action_permitted(self, user):
        return user.has_perm(self.permission, self.instance)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "unit": self.instance, "user": self.request.user}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.get_form())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            return self.form_valid(form)
        messages.validation_error(request, _("The form could not be saved due to errors."), form)
        return self.render_to_response(self.get_context_data(form=form))

    def get_success_url(self):
        return self.inspect_url_for(self.instance)


class MoveUnitView(UnitFormView):
    permission = "wagtail_distmark.move_orgunit"
    denied_message = gettext_lazy("Only an HQ admin above this unit may move it.")
    form_class = MoveForm
    template_name = "wagtail_distmark/network/move.html"
    page_title = gettext_lazy("Move")

    def form_valid(self, form):
        target = form.cleaned_data["target"]
        old_parent = self.instance.get_parent()
        with transaction.atomic():
            self.instance.move(target, pos="last-child")
            self.instance.refresh_from_db()
            log(
                instance=self.instance,
                action="wagtail_distmark.move_unit",
                data={"from": old_parent.name, "to": target.name},
            )
        messages.success(
            self.request,
            _("%(unit)s moved below %(target)s.") % {"unit": self.instance, "target": target},
        )
        return redirect(self.get_success_url())


class AddMemberView(UnitFormView):
    permission = "wagtail_distmark.manage_members"
    denied_message = gettext_lazy(
        "You may not add members here: nobody may grant a role at or above their own."
    )
    form_class = AddMemberForm
    template_name = "wagtail_distmark/network/member_add.html"
    page_title = gettext_lazy("Add member")

    def form_valid(self, form):
        with transaction.atomic():
            membership = form.save()
            log(
                instance=self.instance,
                action="wagtail_distmark.add_member",
                data={"user": membership.user.get_username(), "role": membership.role},
            )
        messages.success(
            self.request,
            _("%(user)s is now %(role)s of %(unit)s.")
            % {
                "user": membership.user.get_username(),
                "role": membership.get_role_display(),
                "unit": self.instance,
            },
        )
        return redirect(self.get_success_url())


class RemoveMemberView(ScopedInstanceMixin, modeladmin_views.InstanceSpecificView):
    template_name = "wagtail_distmark/network/member_remove.html"
    membership_pk = None
    denied_message = gettext_lazy("You may only remove roles that you could grant here.")
    page_title = gettext_lazy("Remove member")

    def __init__(self, model_admin, instance_pk, membership_pk):
        super().__init__(model_admin, instance_pk)
        self.membership = get_object_or_404(self.instance.memberships, pk=membership_pk)

    def check_action_permitted(self, user):
        return user.has_perm("wagtail_distmark.delete_membership", self.membership)

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, **kwargs)

    def post(self, request, *args, **kwargs):
        membership = self.membership
        with transaction.atomic():
            log(
                instance=self.instance,
                action="wagtail_distmark.remove_member",
                data={"user": membership.user.get_username(), "role": membership.role},
            )
            membership.delete()
        messages.success(
            request,
            _("%(user)s no longer has a role on %(unit)s.")
            % {"user": membership.user.get_username(), "unit": self.instance},
        )
        return redirect(self.inspect_url_for(self.instance))
