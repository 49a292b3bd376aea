"""The contacts feature's Wagtail hooks: the Contacts menu, and each screen's own hooks.

Every contacts screen adds its item to the Contacts submenu through the
``register_distmark_contacts_menu_item`` hook, so the screens stay in their own modules.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem

MENU_HOOK = "register_distmark_contacts_menu_item"

contacts_menu = Menu(
    register_hook_name=MENU_HOOK, construct_hook_name="construct_distmark_contacts_menu"
)


@hooks.register("register_admin_menu_item")
def register_contacts_menu():
    """Shown when one of its items is: a user who may use no contacts screen sees no menu."""
    return SubmenuMenuItem(
        _("Contacts"), contacts_menu, name="distmark-contacts", icon_name="group", order=260
    )
