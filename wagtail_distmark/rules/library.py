"""The content library's rules: who may choose from, upload to and change files in which
collection — one definition, two forms.

:func:`collections_q` is a filter on ``Collection`` for querysets (no query of its own: it
reads the user's cached scope); :func:`may` answers the same question for one collection in
Python; the named rules below ask :func:`may`. ``tests/library/test_access.py`` checks that
the two forms agree. The library's listings (choosers, the Images and Documents indexes,
menus) filter with the queryset form while a rule is ours, and ask a site's own rule
(``rules.set_perm``) of every collection once it replaced ours (:func:`collection_ids`).


* **choose** — any member: the brand collections visible to their units (visible to all, to one
  of their units or an ancestor of it, or to a unit inside their scope) and the upload
  collections of the units in their scope.
* **add** — any member: the upload collections of the units in their scope.
* **change** (and delete) — unit managers and above: the upload collections in their scope.
  Wagtail's ownership rule still lets anyone with **add** change the files they uploaded.
* **HQ admins** may do everything in every collection (the brand library, every unit's, and
  any other collection of the site), like a superuser of the library.
"""

from __future__ import annotations

import rules
from django.db.models import Q
from wagtail.models import Collection

from wagtail_distmark.library.models import BrandCollection
from wagtail_distmark.org.models import OrgUnit, path_and_ancestors
from wagtail_distmark.rules.named import is_registered
from wagtail_distmark.rules.org import is_head_office
from wagtail_distmark.rules.roles import Role
from wagtail_distmark.rules.scope import Scope, get_scope, memo

CHOOSE, ADD, CHANGE = "choose", "add", "change"
ACTIONS = (CHOOSE, ADD, CHANGE)

#: The roles that give each action on the upload collections of the units in scope.
UNIT_ROLES = {
    CHOOSE: tuple(Role),
    ADD: tuple(Role),
    CHANGE: (Role.HQ_ADMIN, Role.REGIONAL_MANAGER, Role.UNIT_MANAGER),
}
NOTHING = Q(pk__in=[])


def may_somewhere(scope: Scope, action: str) -> bool:
    """Could the user do ``action`` in at least one collection?"""
    if scope.is_superuser:
        return True
    return action in UNIT_ROLES and scope.has_role(*UNIT_ROLES[action])


def collections_q(scope: Scope, action: str) -> Q:
    """The collections where the user may do ``action``."""
    if action not in UNIT_ROLES and not scope.is_superuser:
        return NOTHING
    if is_library_admin(scope):
        return Q()
    if not scope.grants:
        return NOTHING
    # Plain id subqueries (not a join to the units): PostgreSQL then estimates a handful of
    # collections instead of half of them, and picks an index plan (bench/assets.py).
    units = OrgUnit.objects.filter(scope.q("path", roles=UNIT_ROLES[action]))
    in_scope = Q(pk__in=units.values("collection_id"))
    if action != CHOOSE:
        return in_scope
    return in_scope | Q(pk__in=visible_brand_collections(scope))


def twin_collection_ids(user, action: str) -> frozenset[int]:
    """The ids :func:`collections_q` selects, read once per request (one query, whatever the
    size of the network). Filtering images on a literal list of ids lets PostgreSQL see that a
    store's user has a handful of collections; a subquery there made it walk the whole image
    table in date order (bench/assets.py). Not for library admins: they have every collection.
    """

    def read():
        query = Collection.objects.filter(collections_q(get_scope(user), action))
        return frozenset(query.values_list("pk", flat=True))

    return memo(user, ("collection_ids", action), read)


def menu_q(scope: Scope) -> Q:
    """The collections offered in menus (filters, upload forms): the brand library, other
    site collections and the user's own units' collections — not every store below them,
    which at 10,000 units would make each page megabytes of options."""
    return Q(distmark_unit__isnull=True) | Q(distmark_unit__in=[g.unit_id for g in scope.grants])


def is_library_admin(scope: Scope) -> bool:
    """Superusers and HQ admins may do everything in every collection."""
    return scope.is_head_office


def visible_brand_collections(scope: Scope):
    """Ids of the brand collections that some unit of the user's scope may use."""
    ancestors = {path for grant in scope.grants for path in path_and_ancestors(grant.path)}
    audience = Q(units=None) | Q(units__path__in=ancestors) | scope.q("units__path")
    return BrandCollection.objects.filter(audience).values("collection_id")


def may(scope: Scope, action: str, collection) -> bool:
    """:func:`collections_q` for one collection (two small queries at most)."""
    if action not in UNIT_ROLES and not scope.is_superuser:
        return False
    if is_library_admin(scope):
        return True
    if not scope.grants or collection is None:
        return False
    unit = OrgUnit.objects.filter(collection=collection).only("path").first()
    if unit is not None:
        roles = UNIT_ROLES[action]
        return any(g.role in roles and g.covers(unit.path) for g in scope.grants)
    brand = BrandCollection.objects.filter(collection=collection).first()
    if brand is None or action != CHOOSE:
        return False
    return brand_visible(scope, [unit.path for unit in brand.units.all()])


def brand_visible(scope: Scope, audience_paths: list[str]) -> bool:
    if not audience_paths:
        return True
    # The audience unit is inside a grant's subtree, or a grant's unit is inside its subtree.
    return any(
        grant.covers(path) or grant.path.startswith(path)
        for grant in scope.grants
        for path in audience_paths
    )


def usable_by_unit_q(unit: OrgUnit) -> Q:
    """The collections a campaign of ``unit`` may use: the brand collections visible to the
    unit, and the unit's own upload collection."""
    visible = BrandCollection.objects.filter(
        Q(units=None) | Q(units__path__in=unit.ancestor_paths())
    ).values("collection_id")
    return Q(distmark_unit=unit.pk) | Q(pk__in=visible)


def _collection_predicate(action: str):
    @rules.predicate(name=f"can_{action}_in_collection")
    def predicate(user, collection=None) -> bool:
        scope = get_scope(user)
        if collection is None:
            return may_somewhere(scope, action)
        return may(scope, action, collection)

    return predicate


can_choose_in_collection = _collection_predicate(CHOOSE)
can_add_to_collection = _collection_predicate(ADD)
can_change_in_collection = _collection_predicate(CHANGE)
#: The brand library's collections and audiences, and the library report: HQ's.
can_manage_brand_library = is_head_office

#: The named rule of each library action, and the predicate this package registers for it.
RULES = {
    CHOOSE: ("wagtail_distmark.choose_from_collection", can_choose_in_collection),
    ADD: ("wagtail_distmark.add_to_collection", can_add_to_collection),
    CHANGE: ("wagtail_distmark.change_in_collection", can_change_in_collection),
}


def follows_twin(action: str) -> bool:
    """No site has replaced the rule of ``action``: :func:`collections_q` may list for it."""
    return action not in RULES or is_registered(*RULES[action])


def collection_ids(user, action: str) -> frozenset[int]:
    """The collections where the rule of ``action`` lets ``user`` act.

    With our rule, :func:`twin_collection_ids` (one query). With a site's own rule, that
    rule is asked of every collection, once per request: a site that overrides a library
    rule on a large network should keep its predicate cheap (no query per collection).
    """
    if follows_twin(action):
        return twin_collection_ids(user, action)
    name = RULES[action][0]

    def ask():
        every = Collection.objects.all()
        return frozenset(c.pk for c in every if rules.has_perm(name, user, c))

    return memo(user, ("collection_ids_asked", action), ask)
