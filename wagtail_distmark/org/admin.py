"""The Network admin, registered with wagtail-modeladmin."""

from django.contrib.admin import SimpleListFilter
from django.contrib.admin import display as admin_display
from django.db.models import F
from django.http import Http404
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin

from wagtail_distmark import conf
from wagtail_distmark.ids import parse_id
from wagtail_distmark.org import views
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.scope import get_scope


def top_depth(user) -> int:
    """Depth of the highest unit in the user's scope (1 for the whole network)."""
    prefixes = get_scope(user).prefixes()
    return min((len(prefix) // OrgUnit.steplen for prefix in prefixes), default=1)


def tree_position(level: int, parent_name: str | None) -> str:
    """Where a unit sits, in words ("level 3, in France"): the list shows it by indenting."""
    if parent_name is None:
        return _("level %(level)d") % {"level": level}
    return _("level %(level)d, in %(parent)s") % {"level": level, "parent": parent_name}


def numeric_pk(instance_pk: str) -> str:
    """modeladmin's URLs accept any word as a key; ours are numbers (else 404, not 500)."""
    if parse_id(instance_pk) is None:
        raise Http404(_("No org unit matches the given query."))
    return instance_pk


class OrgUnitPermissionHelper(PermissionHelper):
    """Every answer comes from the named rules, per object."""

    def user_can_list(self, user):
        return user.has_perm("wagtail_distmark.view_orgunit")

    def user_can_create(self, user):
        return user.has_perm("wagtail_distmark.add_orgunit")

    def user_can_inspect_obj(self, user, obj):
        return user.has_perm("wagtail_distmark.view_orgunit", obj)

    def user_can_edit_obj(self, user, obj):
        return user.has_perm("wagtail_distmark.change_orgunit", obj)

    def user_can_delete_obj(self, user, obj):
        return user.has_perm("wagtail_distmark.delete_orgunit", obj)


class OrgUnitButtonHelper(ButtonHelper):
    """modeladmin's buttons (shown as they come from the PermissionHelper), with icons for
    Wagtail 8's dropdowns, and "Add sub-unit" where the rules allow it."""

    def inspect_button(self, *args, **kwargs):
        return {**super().inspect_button(*args, **kwargs), "icon": "info-circle"}

    def edit_button(self, *args, **kwargs):
        return {**super().edit_button(*args, **kwargs), "icon": "edit"}

    def delete_button(self, *args, **kwargs):
        return {**super().delete_button(*args, **kwargs), "icon": "bin"}

    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if self.request.user.has_perm("wagtail_distmark.add_orgunit", obj):
            buttons.append(
                {
                    "url": f"{self.url_helper.create_url}?parent={obj.pk}",
                    "label": _("Add sub-unit"),
                    "classname": self.finalise_classname(
                        [*self.edit_button_classnames, *(classnames_add or [])],
                        classnames_exclude,
                    ),
                    "title": _("Add a unit below %(unit)s") % {"unit": obj},
                    "icon": "plus",
                }
            )
        return buttons


class KindFilter(SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return list(conf.get_kind_labels().items())

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class WithinFilter(SimpleListFilter):
    """Show one subtree: the head office or a region and everything below it.

    Offers the non-store units down to ``max_levels`` below the top of the user's scope, so
    the list stays short in a large network; deeper regions are reached from breadcrumbs.
    """

    title = _("subtree")
    parameter_name = "within"
    #: How many levels below the top of the user's scope the filter offers.
    max_levels = 2

    def lookups(self, request, model_admin):
        # modeladmin builds its filters twice per request: compute the choices once.
        if not hasattr(request, "_distmark_within_choices"):
            top = top_depth(request.user)
            units = (
                OrgUnit.objects.for_user(request.user)
                .exclude(kind=OrgUnit.Kind.UNIT)
                .filter(depth__lte=top + self.max_levels)
                .values_list("pk", "name", "depth")
            )
            request._distmark_within_choices = [
                (str(pk), f"{'— ' * (depth - top)}{name}") for pk, name, depth in units
            ]
        return request._distmark_within_choices

    def has_output(self):
        # Applied whenever asked for, even by a user with no region to choose from.
        return bool(self.lookup_choices) or self.value() is not None

    def queryset(self, request, queryset):
        pk = parse_id(self.value() or "")
        if pk is None:
            return queryset
        unit = OrgUnit.objects.for_user(request.user).filter(pk=pk).first()
        if unit is None:
            return queryset.none()
        return queryset.filter(path__startswith=unit.path)


class OrgUnitAdmin(ModelAdmin):
    model = OrgUnit
    menu_label = _("Network")
    menu_icon = "site"
    base_url_path = "distmark/network"
    inspect_view_enabled = True
    list_display = ("tree_name", "code", "kind_name", "city", "locale", "timezone")
    list_filter = (KindFilter, WithinFilter)
    search_fields = ("name", "code", "city", "postal_code", "country")
    ordering = ("path",)
    list_per_page = 50
    permission_helper_class = OrgUnitPermissionHelper
    create_template_name = "wagtail_distmark/network/create.html"
    edit_template_name = "wagtail_distmark/network/edit.html"
    delete_template_name = "wagtail_distmark/network/delete.html"
    button_helper_class = OrgUnitButtonHelper
    index_view_class = views.OrgUnitIndexView
    inspect_view_class = views.OrgUnitInspectView
    create_view_class = views.OrgUnitCreateView
    edit_view_class = views.OrgUnitEditView
    delete_view_class = views.OrgUnitDeleteView
    history_view_class = views.OrgUnitHistoryView
    inspect_view_fields = [
        "name", "kind", "code", "address_line_1", "address_line_2", "city", "postal_code",
        "country", "phone", "email", "website", "opening_hours", "sender_name",
        "sender_email", "reply_to", "locale", "timezone", "currency",
    ]  # fmt: skip

    def get_menu_order(self):
        return conf.get_network_menu_order()

    def get_queryset(self, request):
        """The units the user may see, indented relative to the top of their scope."""
        return OrgUnit.objects.for_user(request.user).annotate(
            relative_depth=F("depth") - top_depth(request.user)
        )

    @admin_display(description=_("name"))
    def tree_name(self, obj):
        """The name, indented by depth, and the depth in words for screen readers."""
        depth = getattr(obj, "relative_depth", 0)
        return format_html(
            '<span class="distmark-tree" style="padding-inline-start: {}rem">{}</span>'
            '<span class="w-sr-only"> ({})</span>',
            1.5 * depth,
            obj.name,
            tree_position(depth + 1, getattr(obj, "parent_name", None)),
        )

    @admin_display(description=_("kind"))
    def kind_name(self, obj):
        return obj.kind_label

    def inspect_view(self, request, instance_pk):
        return super().inspect_view(request, numeric_pk(instance_pk))

    def edit_view(self, request, instance_pk):
        return super().edit_view(request, numeric_pk(instance_pk))

    def delete_view(self, request, instance_pk):
        return super().delete_view(request, numeric_pk(instance_pk))

    def history_view(self, request, instance_pk):
        return super().history_view(request, numeric_pk(instance_pk))

    def get_admin_urls_for_registration(self):
        return (
            *super().get_admin_urls_for_registration(),
            path(
                f"{self.base_url_path}/move/<int:instance_pk>/",
                self.unit_view(views.MoveUnitView),
                name=self.url_helper.get_action_url_name("move"),
            ),
            path(
                f"{self.base_url_path}/members/<int:instance_pk>/add/",
                self.unit_view(views.AddMemberView),
                name=self.url_helper.get_action_url_name("add_member"),
            ),
            path(
                f"{self.base_url_path}/members/<int:instance_pk>/remove/<int:membership_pk>/",
                self.unit_view(views.RemoveMemberView),
                name=self.url_helper.get_action_url_name("remove_member"),
            ),
        )

    def unit_view(self, view_class):
        def view(request, instance_pk, **kwargs):
            return view_class.as_view(model_admin=self, instance_pk=str(instance_pk), **kwargs)(
                request
            )

        return view
