"""Whether a campaign may be scheduled or sent now, and scheduling it.

The one gate for the sending code: approved by its workflow (or the fast lane) with nothing
changed since, and a brand template still valid. ``LocalCampaign.sending_readiness()`` and
``LocalCampaign.schedule()`` answer through these functions.
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from wagtail_distmark.campaigns.status import latest_workflow


class Readiness(NamedTuple):
    ready: bool
    reason: str


class NotReadyToSend(Exception):
    """The campaign may not be scheduled or sent; the message says why."""


WORKFLOW_REASONS = {
    "in_progress": _("It is waiting for approval."),
    "needs_changes": _("Changes were requested: edit it and submit it again."),
    "cancelled": _("Its approval was cancelled: submit it again."),
}


def sending_readiness(campaign) -> Readiness:
    """Whether ``campaign`` (a ``LocalCampaign``) may be scheduled or sent now, and if not,
    why."""
    if campaign.sent_at:
        return Readiness(False, _("This campaign was already sent."))
    if not campaign.template.is_valid_at():
        return Readiness(
            False, _("Its brand template “%(t)s” is no longer valid.") % {"t": campaign.template}
        )
    state = latest_workflow(campaign)  # read from the row in a listing (status.py)
    if state is None:
        return Readiness(False, _("It has not been submitted for approval."))
    reason = WORKFLOW_REASONS.get(state.status)
    if reason:
        return Readiness(False, str(reason))
    if (
        not campaign.live
        or campaign.has_unpublished_changes
        or campaign.live_revision_id != state.revision_id
    ):
        return Readiness(False, _("It was changed after its approval: submit it again."))
    return Readiness(True, str(_("Approved and ready to send.")))


def schedule(campaign, at) -> None:
    """Schedule ``campaign`` for ``at``, or raise :class:`NotReadyToSend` with the reason."""
    readiness = sending_readiness(campaign)
    if not readiness.ready:
        raise NotReadyToSend(readiness.reason)
    campaign.scheduled_at = at
    campaign.save(update_fields=["scheduled_at"])
