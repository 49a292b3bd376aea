"""The approval e-mails. Plain functions, called from Celery tasks (``tasks.py``).

Wagtail itself tells the submitter when the whole workflow is approved or sent back for
changes (``notifiers.py`` makes those follow the same rules); these add what it does not know:
who must approve (the computed approvers), a step approved on the way, and an escalation.

Every e-mail is written in its recipient's language (:func:`recipient_language`), names people
by their full name, and links to ``WAGTAILADMIN_BASE_URL``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from wagtail.admin.localization import get_available_admin_languages

from wagtail_distmark import conf

EDIT_URL = "wagtailsnippets_wagtail_distmark_localcampaign:edit"


def edit_link(campaign) -> str:
    return f"{conf.get_base_url()}{reverse(EDIT_URL, args=[campaign.pk])}"


def recipient_language(user, unit=None) -> str:
    """The language to write to ``user`` in: the one chosen in their Wagtail account, else the
    language of the unit the mail is about (its locale, e.g. 'fr' for 'fr-CA'), else the site's.
    Only languages the admin offers; never the language of whoever triggered the mail."""
    offered = dict(get_available_admin_languages())
    profile = getattr(user, "wagtail_userprofile", None)
    chosen = getattr(profile, "preferred_language", "") if profile else ""
    for candidate in (chosen, *unit_languages(unit)):
        if candidate in offered:
            return candidate
    return settings.LANGUAGE_CODE


def unit_languages(unit) -> list[str]:
    """'fr-CA' gives ['fr-ca', 'fr']: the regional variant first, then the language."""
    if unit is None or not unit.locale:
        return []
    tag = unit.locale.lower()
    return [tag, tag.split("-")[0]]


def with_email(users, but=None) -> list:
    """The users to write to: each once, with an address, never ``but``."""
    seen, people = set(), []
    for user in users:
        if user and user.email and user.pk not in seen and (but is None or user.pk != but.pk):
            seen.add(user.pk)
            people.append(user)
    return people


def send(users, unit, compose: Callable[[], tuple[str, list[str]]]) -> int:
    """Send one e-mail per user, composed in that user's language."""
    sent = 0
    for user in users:
        with override(recipient_language(user, unit)):
            subject, lines = compose()
            sent += send_mail(subject, "\n\n".join(line for line in lines if line), None,
                              [user.email])  # fmt: skip
    return sent


def campaign_of(state):
    return state.workflow_state.content_object


def local_time(moment, unit) -> str:
    """A moment in the unit's own time zone, e.g. "2026-11-24 12:41 (Europe/Paris)"."""
    zone = zoneinfo.ZoneInfo(unit.timezone or "UTC")
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def name_of(user) -> str:
    """A person by their full name (their username if they gave none)."""
    return (user.get_full_name() or user.get_username()) if user else _("Someone")


def comment_line(comment: str) -> str:
    return _("Their comment: “%(comment)s”") % {"comment": comment} if comment else ""


def send_submitted(state) -> int:
    """To exactly the computed approvers (never the submitter)."""
    campaign, submitter = campaign_of(state), state.workflow_state.requested_by

    def compose():
        names = {"user": name_of(submitter), "campaign": campaign.name, "unit": campaign.unit.name}
        return _("Approval needed: %(campaign)s (%(unit)s)") % names, [
            _("%(user)s submitted “%(campaign)s” for %(unit)s. You are asked to approve it.")
            % names,
            _("Please answer by %(due)s.") % {"due": local_time(state.due_at, campaign.unit)},
            edit_link(campaign),
        ]

    return send(with_email(state.approvers(), but=submitter), campaign.unit, compose)


def send_step_approved(state) -> int:
    """To the submitter, when a step is approved and the campaign goes on to the next one."""
    campaign, submitter = campaign_of(state), state.workflow_state.requested_by
    if submitter is None or state.workflow_state.status != state.workflow_state.STATUS_IN_PROGRESS:
        return 0  # the workflow is over: Wagtail's own e-mail tells the submitter

    def compose():
        approver = name_of(state.finished_by) if state.finished_by else _("the fast lane")
        return _("Step approved: %(campaign)s") % {"campaign": campaign.name}, [
            _("“%(task)s” was approved by %(user)s; the campaign goes on to the next step.")
            % {"task": state.task.name, "user": approver},
            comment_line(state.comment),
            edit_link(campaign),
        ]

    return send(with_email([submitter]), campaign.unit, compose)


def send_escalated(state, previous_unit) -> int:
    """To the new approvers and the submitter."""
    campaign, submitter = campaign_of(state), state.workflow_state.requested_by

    def compose(link=True):
        subject = _("Approval escalated: %(campaign)s (%(unit)s)") % {
            "campaign": campaign.name, "unit": campaign.unit.name,
        }  # fmt: skip
        why = _("Nobody at %(previous)s approved it in time; it now waits for %(unit)s.") % {
            "previous": previous_unit, "unit": state.approving_unit,
        }  # fmt: skip
        return subject, [why, edit_link(campaign) if link else ""]

    approvers = with_email(state.approvers(), but=submitter)
    sent = send(approvers, campaign.unit, compose)
    return sent + send(with_email([submitter]), campaign.unit, lambda: compose(link=False))
