"""Setting consent, the one way: current state plus an append-only history entry.

The promise: **no import, edit or API call ever re-subscribes someone who unsubscribed**. Only
an explicit re-consent (``reconsent=True``) with evidence does, and it is logged as such. The admin
form, the bulk actions and (next) the unsubscribe link call :func:`set_consent`; the import,
which writes in bulk, applies the same rule per row in ``importing.plan_consent`` (an
unsubscribed or suppressed person stays so, whatever the file says; tested by
``tests/contacts/test_import_property.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.contacts.models import (
    CommunicationType,
    Consent,
    ConsentEvent,
    ConsentStatus,
    Contact,
    Source,
    Suppression,
)
from wagtail_distmark.contacts.normalise import email_hash

SUBSCRIBED = ConsentStatus.SUBSCRIBED
UNSUBSCRIBED = ConsentStatus.UNSUBSCRIBED


class ConsentRefused(ValidationError):
    """A change of consent the rules do not allow (e.g. re-subscribing without re-consent)."""


@dataclass(frozen=True)
class ConsentChange:
    """What a caller asks for one contact and communication type."""

    contact_id: int
    communication_type: CommunicationType
    status: str
    unit_id: int | None = None


def consent_unit_id(communication_type: CommunicationType, unit_id: int | None) -> int | None:
    """The unit a consent is kept for: none for a brand-wide type, the unit for a per-unit one."""
    return unit_id if communication_type.is_per_unit else None


def current_status(contact: Contact, communication_type: CommunicationType, unit_id=None):
    """The contact's status for the type (and unit), or ``None`` if never asked."""
    unit_id = consent_unit_id(communication_type, unit_id)
    row = Consent.objects.filter(
        contact=contact, communication_type=communication_type, unit_id=unit_id
    ).first()
    return row.status if row else None


@transaction.atomic
def set_consent(
    contact: Contact,
    communication_type: CommunicationType,
    status: str,
    *,
    source: str,
    unit=None,
    user=None,
    evidence: str = "",
    import_job=None,
    reconsent: bool = False,
) -> bool:
    """Record ``status`` for the contact; returns whether anything changed.

    Raises:
        ConsentRefused: a re-subscription of someone who unsubscribed, without
            ``reconsent=True`` and evidence; or a subscription of a suppressed address.
    """
    unit_id = consent_unit_id(communication_type, getattr(unit, "pk", unit))
    # One change of a person's consent at a time (two first-time consents at once would both
    # find no row and the second insert would break the unique constraint).
    Contact.objects.select_for_update().filter(pk=contact.pk).exists()
    row = (
        Consent.objects.select_for_update()
        .filter(contact=contact, communication_type=communication_type, unit_id=unit_id)
        .first()
    )
    if row is not None and row.status == status:
        return False
    if status == SUBSCRIBED:
        check_may_subscribe(contact, row, reconsent=reconsent, evidence=evidence)
        if reconsent:
            source = Source.RECONSENT
    now = timezone.now()
    if row is None:
        Consent.objects.create(contact=contact, communication_type=communication_type,
                               unit_id=unit_id, status=status, updated_at=now)  # fmt: skip
    else:
        Consent.objects.filter(pk=row.pk).update(status=status, updated_at=now)
    ConsentEvent.objects.create(
        contact=contact, communication_type=communication_type, unit_id=unit_id, status=status,
        source=source, evidence=evidence[:2000], set_by=user, import_job=import_job,
        created_at=now,
    )  # fmt: skip
    return True


def check_may_subscribe(contact, row, *, reconsent: bool, evidence: str) -> None:
    if contact.erased_at is not None:  # its address is gone: only its suppression is left
        raise ConsentRefused(_("This contact was erased: it cannot be subscribed."), code="erased")
    if contact.email and Suppression.objects.filter(email_hash=email_hash(contact.email)).exists():
        # Not even a re-consent: a bounce or a complaint is not the person's wish to change;
        # HQ removes the address from the suppression list first (and that is logged).
        raise ConsentRefused(
            _("This address is on the suppression list: it cannot be subscribed. Head office "
              "can remove it from the list first."),
            code="suppressed",
        )  # fmt: skip
    if row is not None and row.status == UNSUBSCRIBED and not reconsent:
        raise ConsentRefused(
            _("This person unsubscribed. Only an explicit re-consent, with its evidence, "
              "subscribes them again."),
            code="unsubscribed",
        )  # fmt: skip
    if reconsent and not evidence.strip():
        raise ConsentRefused(
            _("A re-consent needs its evidence (when and how the person asked)."),
            code="evidence_required",
        )


@transaction.atomic
def unsubscribe_everywhere(contact: Contact, *, source: str, user=None, evidence: str = "",
                           reason: str = Suppression.Reason.UNSUBSCRIBE_ALL) -> int:  # fmt: skip
    """Unsubscribe the contact from every type (and unit) they were subscribed to and put the
    address on the suppression list. Returns the number of consents changed."""
    changed = 0
    for row in Consent.objects.filter(contact=contact, status=SUBSCRIBED).select_related(
        "communication_type"
    ):
        changed += set_consent(contact, row.communication_type, UNSUBSCRIBED, source=source,
                               unit=row.unit_id, user=user, evidence=evidence)  # fmt: skip
    if contact.email:
        suppress(contact.email, reason)
    return changed


def suppress(address: str, reason: str, note: str = "") -> Suppression:
    """Put an address on the suppression list (kept if it is there already)."""
    row, _created = Suppression.objects.get_or_create(
        email_hash=email_hash(address), defaults={"reason": reason, "note": note[:255]}
    )
    return row


def subscribed_q(communication_type: CommunicationType, under_path: str = "") -> Q:
    """Contacts subscribed to the type: brand-wide, or (per-unit type) to a unit at
    ``under_path`` or below it. One ``EXISTS`` subquery, for audience and send queries."""
    consents = Consent.objects.filter(
        contact=OuterRef("pk"), communication_type=communication_type, status=SUBSCRIBED
    )
    if communication_type.is_per_unit:
        consents = consents.filter(unit__path__startswith=under_path)
    return Q(Exists(consents))


def not_suppressed_q() -> Q:
    """Contacts whose address is not on the suppression list (and not erased)."""
    return Q(erased_at__isnull=True, email__isnull=False) & ~Q(
        Exists(Suppression.objects.filter(email_hash=OuterRef("email_hash")))
    )


@transaction.atomic
def unsubscribe_from(contact: Contact, communication_type: CommunicationType, unit, *,
                     source: str, evidence: str, user=None) -> int:  # fmt: skip
    """Unsubscribe the contact from what a send of ``communication_type`` by ``unit`` (an
    ``OrgUnit``) was about: a brand-wide type's one consent; a per-unit type's consent at
    ``unit`` and at every unit below it where the person is subscribed (a send of a unit
    reaches them all). The unsubscribe link and the ESP's unsubscribe both call this.
    Returns the number of consents changed."""
    units = [unit.pk]
    if communication_type.is_per_unit:
        below = Consent.objects.filter(
            contact=contact, communication_type=communication_type, status=SUBSCRIBED,
            unit__path__startswith=unit.path,
        ).exclude(unit_id=unit.pk)  # fmt: skip
        units += list(below.values_list("unit_id", flat=True))
    changed = 0
    for each in units:
        changed += set_consent(contact, communication_type, UNSUBSCRIBED, source=source,
                               unit=each, user=user, evidence=evidence)  # fmt: skip
    return changed
