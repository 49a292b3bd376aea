"""Asking the named rules by name, from a composite rule or from a listing.

A composite built from predicate objects keeps the objects it was built with; one built
with :func:`asks` follows a site's ``rules.set_perm`` override of the rule it names. A
listing filters with a rule's queryset twin while :func:`is_registered` says the rule is
still ours, and asks the rule row by row once a site replaced it.
"""

import rules


def asks(name: str):
    """A predicate answering what the rule registered under ``name`` answers now."""

    @rules.predicate(name=f"asks({name})")
    def predicate(user, obj=None) -> bool:
        return rules.has_perm(name, user, obj)

    return predicate


def is_registered(name: str, predicate) -> bool:
    """The rule registered under ``name`` is ``predicate``: no site has overridden it."""
    return rules.permissions.permissions.get(name) is predicate
