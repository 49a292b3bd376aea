"""Signal wiring between features: the tree announces, the features below the glue listen."""

import importlib.util

from django.db.models.signals import post_delete, post_save
from wagtail.models import Collection

from wagtail_distmark.library.collections import inherit_brand_visibility, sync_unit_collection
from wagtail_distmark.org.models import Membership, OrgUnit, unit_moved
from wagtail_distmark.rules.scope import clear_scope_cache
from wagtail_distmark.sending import events


def forget_cached_scope(sender, instance, **kwargs):
    """A membership change must be seen at once by the user object that made it."""
    clear_scope_cache(instance.user)


def keep_unit_collection_in_step(sender, instance, raw=False, **kwargs):
    """Each unit has an upload collection, named after it and placed like it in the tree."""
    if raw:  # loading fixtures: the collections come with them
        return
    sync_unit_collection(instance)


def join_brand_library(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        inherit_brand_visibility(instance)


def follow_moved_unit(sender, unit, **kwargs):
    sync_unit_collection(unit)


def register_signal_handlers():
    unit_moved.connect(follow_moved_unit, sender=OrgUnit, dispatch_uid="distmark_unit_moved")
    post_save.connect(
        keep_unit_collection_in_step, sender=OrgUnit, dispatch_uid="distmark_unit_collection"
    )
    post_save.connect(join_brand_library, sender=Collection, dispatch_uid="distmark_brand_child")
    post_save.connect(
        forget_cached_scope, sender=Membership, dispatch_uid="distmark_membership_saved"
    )
    post_delete.connect(
        forget_cached_scope, sender=Membership, dispatch_uid="distmark_membership_deleted"
    )
    connect_provider_events()


def connect_provider_events():
    """Provider events (bounces, complaints …) onto deliveries, when django-anymail (optional)
    is installed."""
    if importlib.util.find_spec("anymail") is None:
        return
    from anymail.signals import tracking  # optional dependency: imported only when installed

    tracking.connect(events.on_tracking, dispatch_uid="distmark_provider_events")
