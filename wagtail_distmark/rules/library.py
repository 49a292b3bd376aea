"""Predicates on the content library: the object is a Wagtail ``Collection``.

What each action allows is defined once in :mod:`wagtail_distmark.library.access`, as a
queryset filter (``collections_q``) and its per-object twin (``may``); these are the named
rules over the per-object half.
"""

import rules

from wagtail_distmark.library import access
from wagtail_distmark.rules.org import is_head_office
from wagtail_distmark.rules.scope import get_scope


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
