"""Wagtail permission policies for images and documents that add the org tree to Wagtail's
group collection permissions.

A user's rights are the union of what Wagtail's ``GroupCollectionPermission`` rows give
(unchanged, so existing sites and Wagtail's own tests behave as before) and what their
memberships give (:mod:`wagtail_distmark.rules.library`). The two lookups that every
other method goes through (``_check_perm`` and ``_collections_with_perm``) are extended, so
Wagtail's ownership logic (``add`` lets you change what you uploaded) applies to both. Beyond
that, for the network's users only:

* menus list the brand library and their own units' collections (:func:`library_rules.menu_q`);
* choosers hide files whose usage rights are not current (HQ still sees them).
"""

from __future__ import annotations

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from wagtail_distmark import compat
from wagtail_distmark.library.collections import tree_menu
from wagtail_distmark.library.models import (
    DocumentUsageRights,
    ImageUsageRights,
    lapsed_q,
)
from wagtail_distmark.rules import library as library_rules
from wagtail_distmark.rules.scope import get_scope, is_network_member, memo

#: The named rule of each library action.
RULES = {action: name for action, (name, _predicate) in library_rules.RULES.items()}


def sees_expired_files(user) -> bool:
    """Usage rights restrict the units' users; HQ (to renew or replace files), superusers and
    users outside the network (Wagtail's group permissions only) see every file."""
    return not is_network_member(user) or get_scope(user).is_head_office


def has_every_collection(user, actions) -> bool:
    """An HQ admin, while the library's rules of ``actions`` are the plugin's own: every
    collection is theirs, as a superuser's (a site's own rule is asked per collection).
    Superusers themselves take Wagtail's own path, without reading memberships."""
    return (
        is_network_member(user)
        and library_rules.is_library_admin(get_scope(user))
        and all(library_rules.follows_twin(action) for action in actions if action in RULES)
    )


def menu_ids(user) -> frozenset[int]:
    """The collections an HQ admin's menus offer (:func:`library_rules.menu_q` of every collection),
    read once per request: each menu (filter, upload form) then reads its few collections by
    id, where the menu filter made PostgreSQL join the 10,000 units to every collection, up
    to four times a page (bench/assets.py)."""

    def read():
        menu = Collection.objects.filter(library_rules.menu_q(get_scope(user)))
        return frozenset(menu.values_list("pk", flat=True))

    return memo(user, "library_menu_ids", read)


class OrgCollectionOwnershipPolicy(CollectionOwnershipPermissionPolicy):
    def __init__(self, model, rights_model, **kwargs):
        super().__init__(model, **kwargs)
        #: Where the usage-rights dates of this model's files are kept.
        self.rights_model = rights_model

    def _check_perm(self, user, actions, collection=None):
        if super()._check_perm(user, actions, collection=collection):
            return True
        # The named rules decide per collection, so a site's ``rules.set_perm`` applies here.
        return any(
            user.has_perm(RULES[action], collection) for action in actions if action in RULES
        )

    def _collections_with_perm(self, user, actions):
        groups = super()._collections_with_perm(user, actions)
        if not is_network_member(user):
            return groups
        # A site's own rule (``rules.set_perm``) is asked collection by collection.
        if has_every_collection(user, actions):
            return groups | Collection.objects.all()
        ids = frozenset().union(*(library_rules.collection_ids(user, action) for action in actions))
        return groups | Collection.objects.filter(pk__in=ids)

    def collections_user_has_any_permission_for(self, user, actions):
        collections = super().collections_user_has_any_permission_for(user, actions)
        if not is_network_member(user):
            return collections  # Wagtail's answer, unchanged
        if has_every_collection(user, actions):  # every collection: filter them once
            return tree_menu(collections.filter(pk__in=menu_ids(user)))
        return tree_menu(collections.filter(library_rules.menu_q(get_scope(user))))

    def instances_user_has_any_permission_for(self, user, actions):
        # Wagtail's actions on files: "delete" is "change"; "add" lists no file.
        known = {"change" if action == "delete" else action for action in actions}
        every_file_actions = {library_rules.CHANGE, library_rules.CHOOSE}
        if known & every_file_actions and has_every_collection(user, known):
            # Every file, as for a superuser: not "in (every collection)", which PostgreSQL
            # checks file by file (bench/assets.py).
            return self.model._default_manager.all()
        instances = super().instances_user_has_any_permission_for(user, actions)
        if set(actions) == {library_rules.CHOOSE} and not sees_expired_files(user):
            instances = instances.exclude(id__in=self.lapsed_ids(user, instances))
        return instances

    def lapsed_ids(self, user, instances) -> list[int]:
        """The files among ``instances`` whose usage rights do not hold today, read once per
        request (one query on the rights table). A literal list of ids: search querysets
        accept it (``id`` is a filter field), and PostgreSQL checks it as a plain filter on
        the page's rows, where a subquery per row cost twice the classic chooser's time
        (bench/assets.py)."""
        key = ("lapsed_file_ids", self.rights_model._meta.label)
        rights = self.rights_model.objects.filter(lapsed_q(), pk__in=instances.values("pk"))
        return memo(user, key, lambda: list(rights.values_list("pk", flat=True)))

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not super().user_has_any_permission_for_instance(user, actions, instance):
            return False
        if set(actions) == {library_rules.CHOOSE} and not sees_expired_files(user):
            return not self.rights_model.objects.filter(lapsed_q(), pk=instance.pk).exists()
        return True


def register_library_policies() -> bool:
    """Register the policies for the image and document models (Wagtail 8+).

    Returns False on Wagtail 7, which has no policy registry: there, images and documents keep
    Wagtail's group collection permissions (system check ``wagtail_distmark.W002`` says so).
    """
    if not compat.HAS_POLICY_REGISTRY:
        return False
    for model, auth_model, rights_model in (
        (get_image_model(), "wagtailimages.Image", ImageUsageRights),
        (get_document_model(), "wagtaildocs.Document", DocumentUsageRights),
    ):
        policy = OrgCollectionOwnershipPolicy(
            model, rights_model, auth_model=auth_model, owner_field_name="uploaded_by_user"
        )
        compat.register_permission_policy(model, policy)
    return True


def library_policies_registered() -> bool:
    policy = compat.registered_policy(get_image_model(), fallback=False)
    return isinstance(policy, OrgCollectionOwnershipPolicy)
