"""The org tree's Wagtail hooks: the Network admin and its log actions."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from wagtail_distmark.org.admin import OrgUnitAdmin

modeladmin_register(OrgUnitAdmin)


@hooks.register("register_log_actions")
def register_network_log_actions(actions):
    actions.register_action("wagtail_distmark.move_unit", _("Move unit"), _("Unit moved"))
    actions.register_action("wagtail_distmark.add_member", _("Add member"), _("Member added"))
    actions.register_action(
        "wagtail_distmark.remove_member", _("Remove member"), _("Member removed")
    )
