"""Which files a user sees and may download: one definition for every place that lists or
serves a file outside a chooser (the admin API, the images and documents indexes, the
dashboard's counts, ``/documents/<id>/<name>``).

A network member sees a file if they may **choose** it (use it in a campaign) or **change**
it: the same policy the choosers and edit screens ask (:mod:`wagtail_distmark.library.policies`).
Superusers and users outside the network keep Wagtail's answers.
"""

from __future__ import annotations

from django.db.models import Q
from wagtail.models import Collection

from wagtail_distmark import compat
from wagtail_distmark.library.collections import ancestor_paths
from wagtail_distmark.library.policies import has_every_collection, library_policies_registered

#: Changing a file (Wagtail counts "delete" as "change").
CHANGE = ("change", "delete")
CHOOSE = "choose"


def file_policy(model):
    """The permission policy Wagtail uses for ``model`` (images or documents); Wagtail 8
    only: callers check :func:`library_policies_registered` first."""
    return compat.registered_policy(model)


def changes_every_file(user) -> bool:
    """An HQ admin under the library's own rules: every file is theirs to change (and so to
    see), as a superuser's; their Images and Documents indexes are Wagtail's own lists."""
    return has_every_collection(user, ["change"])


def changeable_files(user, model):
    return file_policy(model).instances_user_has_any_permission_for(user, CHANGE)


def visible_files(user, model):
    """The files of ``model`` the user sees outside choosers: those they may change, and those
    they may choose (for units, only while their usage rights hold, as in the chooser)."""
    policy = file_policy(model)
    return changeable_files(user, model) | policy.instances_user_has_any_permission_for(
        user, [CHOOSE]
    )


def may_see(user, instance) -> bool:
    """:func:`visible_files` for one file."""
    policy = file_policy(type(instance))
    return policy.user_has_any_permission_for_instance(
        user, CHANGE, instance
    ) or policy.user_has_permission_for_instance(user, CHOOSE, instance)


def in_network(collection: Collection) -> bool:
    """The collection is a unit's upload collection or in the brand library, or lies inside one."""
    network = Q(distmark_unit__isnull=False) | Q(distmark_brand__isnull=False)
    paths = [*ancestor_paths(collection.path), collection.path]
    return Collection.objects.filter(network, path__in=paths).exists()


def may_download(user, document) -> bool:
    """Who may download a document (docs/library.md, "Who may download what").

    Files outside the network (Wagtail's root collection, the public site's documents) keep
    Wagtail's rules. A network file is for the users who see it in the library: for a unit's
    file, users whose scope covers the unit (its members and the regions and HQ above it); for
    a brand-library file, members of the units it was shared with, and HQ. Never anonymous.
    """
    if not in_network(document.collection):
        return True
    if not user.is_authenticated:
        return False
    if library_policies_registered():
        return may_see(user, document)
    # Wagtail 7 (no policy registry): the named rule decides.
    return user.is_superuser or user.has_perm(
        "wagtail_distmark.choose_from_collection", document.collection
    )
