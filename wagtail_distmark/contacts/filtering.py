"""The contacts listing's filters and search, shared by the listing and the export.

STUB written by the lead to fix the interface; the contacts-admin helper replaces the body.
"""

from __future__ import annotations


def filtered_contacts(user, params: dict):
    """The contacts the user may see, filtered and searched by ``params`` (the listing's query
    string as a dict of lists or strings), only on fields the user sees."""
    raise NotImplementedError
