"""Predicates on sends: who may send a campaign, follow a send and act on it.

A send is judged by its unit, like its campaign. Sending is a manager's act (unit manager or
above); a unit editor drafts campaigns and may follow their sends, never start or stop one.
Queryset twin: ``Send.objects.for_user`` (the user's scope), narrowed to managers by
:func:`manageable_sends`.
"""

import rules

from wagtail_distmark.rules.org import has_role_on_its_unit, is_distmark_superuser, manages_its_unit
from wagtail_distmark.rules.roles import HQ_ADMIN, REGIONAL_MANAGER, UNIT_MANAGER
from wagtail_distmark.rules.scope import get_scope

#: The roles that may send and act on sends.
SENDING_ROLES = (HQ_ADMIN, REGIONAL_MANAGER, UNIT_MANAGER)

#: The object is a local campaign (send now, schedule).
can_send_campaign = is_distmark_superuser | manages_its_unit
#: The object is a send: its progress page, its deliveries.
can_view_send = is_distmark_superuser | has_role_on_its_unit
#: Pause, resume, cancel, resend the unknown rows.
can_manage_send = is_distmark_superuser | manages_its_unit


def manageable_sends(user, sends):
    """The sends of ``sends`` (a queryset) the user may act on: :data:`can_manage_send` as a
    filter."""
    scope = get_scope(user)
    if scope.is_superuser:
        return sends
    return sends.filter(scope.q("unit__path", roles=SENDING_ROLES))


__all__ = ["can_manage_send", "can_send_campaign", "can_view_send", "manageable_sends", "rules"]
