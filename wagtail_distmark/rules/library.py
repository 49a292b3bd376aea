"""Predicates on the content library: the object is a Wagtail ``Collection``.

What each action allows is defined once in :mod:`wagtail_distmark.library.access`, as a
queryset filter (``collections_q``) and its per-object twin (``may``); these are the named
rules over the per-object half. The library's listings (choosers, the Images and Documents
indexes, menus) filter with the queryset twin while a rule is ours, and ask a site's own
rule (``rules.set_perm``) of every collection once it replaced ours
(:func:`collection_ids`).
"""

import rules
from wagtail.models import Collection

from wagtail_distmark.library import access
from wagtail_distmark.rules.named import is_registered
from wagtail_distmark.rules.org import is_head_office
from wagtail_distmark.rules.scope import get_scope, memo


def _collection_predicate(action: str):
    @rules.predicate(name=f"can_{action}_in_collection")
    def predicate(user, collection=None) -> bool:
        scope = get_scope(user)
        if collection is None:
            return access.may_somewhere(scope, action)
        return access.may(scope, action, collection)

    return predicate


can_choose_in_collection = _collection_predicate(access.CHOOSE)
can_add_to_collection = _collection_predicate(access.ADD)
can_change_in_collection = _collection_predicate(access.CHANGE)
#: The brand library's collections and audiences, and the library report: HQ's.
can_manage_brand_library = is_head_office

#: The named rule of each library action, and the predicate this package registers for it.
RULES = {
    access.CHOOSE: ("wagtail_distmark.choose_from_collection", can_choose_in_collection),
    access.ADD: ("wagtail_distmark.add_to_collection", can_add_to_collection),
    access.CHANGE: ("wagtail_distmark.change_in_collection", can_change_in_collection),
}


def follows_twin(action: str) -> bool:
    """No site has replaced the rule of ``action``: ``library.access`` may list for it."""
    return action not in RULES or is_registered(*RULES[action])


def collection_ids(user, action: str) -> frozenset[int]:
    """The collections where the rule of ``action`` lets ``user`` act.

    With our rule, :func:`access.collection_ids` (one query). With a site's own rule, that
    rule is asked of every collection, once per request: a site that overrides a library
    rule on a large network should keep its predicate cheap (no query per collection).
    """
    if follows_twin(action):
        return access.collection_ids(user, action)
    name = RULES[action][0]

    def ask():
        every = Collection.objects.all()
        return frozenset(c.pk for c in every if rules.has_perm(name, user, c))

    return memo(user, ("collection_ids_asked", action), ask)
