from django.db.models.signals import post_delete, post_save

from wagtail_distmark.models import Membership


def forget_cached_scope(sender, instance, **kwargs):
    """A membership change must be seen at once by the user object that made it."""
    from wagtail_distmark.rules.scope import clear_scope_cache

    clear_scope_cache(instance.user)


def register_signal_handlers():
    post_save.connect(
        forget_cached_scope, sender=Membership, dispatch_uid="distmark_membership_saved"
    )
    post_delete.connect(
        forget_cached_scope, sender=Membership, dispatch_uid="distmark_membership_deleted"
    )
