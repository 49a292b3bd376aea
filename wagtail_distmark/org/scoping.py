"""Querysets that answer "which of these may this user see?" from the org tree.

Every unit-scoped model (campaigns, contacts, uploads …) uses :class:`UnitScopedQuerySet`
so that ``Model.objects.for_user(user)`` means the same thing everywhere: the rows whose
unit lies in the subtree of one of the user's memberships.
"""

from django.db import models

from wagtail_distmark.rules.scope import get_scope


class UnitScopedQuerySetMixin:
    #: The lookup from this model to the ``path`` of its ``OrgUnit``.
    unit_path_lookup = "unit__path"

    def for_user(self, user):
        """Rows the user may see: a path-prefix filter, never a join per store.

        Costs one query for the user's memberships (cached on the user object) plus the
        query of this queryset, whatever the size or depth of the tree.
        """
        return self.filter(get_scope(user).q(self.unit_path_lookup))


class UnitScopedQuerySet(UnitScopedQuerySetMixin, models.QuerySet):
    pass
