"""Wagtail's bulk actions (``/admin/bulk/<app>/<model>/<action>/?id=…``), scoped.

Wagtail's confirmation page names every object whose id is in the URL, listing the ones the
user may not act on as "no access"; here an id outside the user's scope is ignored as if it
did not exist (404 when none is left), and the rule of the action is asked per object.
:class:`InScopeBulkActionMixin` is the mechanism (a view gives its ``in_scope``); the snippets'
actions are below, the library's images and documents in ``library/bulk_actions.py``.
"""

from django.http import Http404
from django.utils.functional import cached_property, classproperty
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.models import get_snippet_models

from wagtail_distmark.ids import valid_pks
from wagtail_distmark.rules.policies import ScopedUrlsMixin, policy_for


def scoped_snippet_models() -> list:
    """The snippet models whose viewsets answer through our rules (``ScopedUrlsMixin``)."""
    return [
        model
        for model in get_snippet_models()
        if isinstance(getattr(model, "snippet_viewset", None), ScopedUrlsMixin)
    ]


class InScopeBulkActionMixin:
    """Only objects of ``in_scope()`` are named, listed or acted on; ``check_perm`` (the
    action's rule) is still asked for each of them."""

    def in_scope(self):
        """The objects the user sees; an id outside them is as if it did not exist."""
        raise NotImplementedError

    def get_queryset(self, model, object_ids):  # an instance method here: it needs the user
        objects = list(self.in_scope().filter(pk__in=valid_pks(model, object_ids)))
        if not objects:
            raise Http404
        return objects


class ScopedBulkActionMixin(InScopeBulkActionMixin):
    @cached_property
    def permission_policy(self):
        """The rules, per object (Wagtail 7's bulk actions would ask model permissions)."""
        return policy_for(self.model)

    def in_scope(self):
        return self.model.snippet_viewset.scoped_queryset(self.request)

    def get_all_objects_in_listing_query(self, parent_id):
        return self.in_scope().values_list("pk", flat=True)


class ScopedDeleteBulkAction(ScopedBulkActionMixin, DeleteBulkAction):
    @classproperty
    def models(cls):
        return scoped_snippet_models()

    def check_perm(self, snippet):
        """The delete rule per object, on every Wagtail (7.0 asks the model once: a sent
        campaign, which its sends protect, reached ``delete()`` and a 500)."""
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, "delete", snippet
        )
