"""The org tree: units, memberships, unit-scoped querysets and the Network admin
(wagtail-modeladmin). Every view asks the named rules (``wagtail_distmark.rules``); a unit
outside the user's scope answers 404, a unit in scope that the user may not act on answers 403.
"""
