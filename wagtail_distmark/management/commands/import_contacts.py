"""Django finds commands in installed apps only: the contacts feature's command, here."""

from wagtail_distmark.contacts.management.commands.import_contacts import Command

__all__ = ["Command"]
