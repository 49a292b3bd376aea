"""Putting a contact on a unit's list, as the site's contact model says.

In ``home`` mode (``WAGTAIL_DISTMARK_CONTACT_UNITS``, the default) a contact has exactly one
link, its home unit; in ``lists`` mode a person may be on several units' lists.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.conf import CONTACT_UNITS_HOME, get_contact_units_mode
from wagtail_distmark.contacts.models import Contact, ContactUnit, Source


class HomeUnitTaken(ValidationError):
    """In home-unit mode, the person is already another unit's contact."""


def link(contact: Contact, unit, source: str = Source.ADMIN) -> bool:
    """Put ``contact`` on ``unit``'s list; returns whether a link was added.

    Raises:
        HomeUnitTaken: home-unit mode and the contact's home is another unit.
    """
    if get_contact_units_mode() == CONTACT_UNITS_HOME:
        other = contact.links.exclude(unit=unit).exists() if contact.pk else False
        if other:
            raise HomeUnitTaken(
                _("This person is already a contact of another unit."), code="home_unit_taken"
            )
    _row, created = ContactUnit.objects.get_or_create(
        contact=contact, unit=unit, defaults={"source": source}
    )
    return created


def move_home(contact: Contact, unit, source: str = Source.ADMIN) -> None:
    """Home-unit mode: make ``unit`` the contact's only unit (an HQ or regional decision;
    the caller checks the user may reach both units)."""
    contact.links.exclude(unit=unit).delete()
    ContactUnit.objects.get_or_create(contact=contact, unit=unit, defaults={"source": source})
