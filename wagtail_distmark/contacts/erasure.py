"""Erasure and access requests (GDPR articles 17 and 15).

STUB written by the lead to fix the interface; the export helper replaces the bodies.
"""

from __future__ import annotations


def erase_contact(contact, user) -> None:
    """Wipe the contact's personal fields, keep (add) its suppression, log who and when."""
    raise NotImplementedError
