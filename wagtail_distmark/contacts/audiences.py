"""Who an audience reaches: its unit's subtree, its filters and its base's, consent always.

:func:`recipients` is the one definition of an audience's members; the count on the campaign
screen, the sample, the send (next issue) and the benchmark all call it. Every filter is a
conjunction, so an audience built on a base (HQ's segment for a template) can only narrow it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext_lazy as _

from wagtail_distmark.campaigns.models import LocalCampaign
from wagtail_distmark.contacts.consent import not_suppressed_q, subscribed_q
from wagtail_distmark.contacts.models import Audience, Contact, ContactTag

#: The longest chain of bases followed (a base of a base …): bounded, and cycles are refused.
MAX_BASE_DEPTH = 5


def chain(audience: Audience) -> list[Audience]:
    """The audience and its bases, the audience first."""
    audiences, seen = [], set()
    while audience is not None and len(audiences) < MAX_BASE_DEPTH:
        if audience.pk in seen:
            break
        audiences.append(audience)
        seen.add(audience.pk)
        audience = audience.base
    return audiences


def filters_q(audience: Audience) -> Q:
    """The audience's own filters (not its base's, its unit or consent)."""
    q = Q()
    tag_ids = [tag.pk for tag in audience.tags.all()] if audience.pk else []
    if tag_ids:
        q &= Q(Exists(ContactTag.objects.filter(contact=OuterRef("pk"), tag_id__in=tag_ids)))
    if audience.locales:
        q &= Q(locale__in=list(audience.locales))
    if audience.postal_prefixes:
        prefixes = Q()
        for prefix in audience.postal_prefixes:
            prefixes |= Q(postal_code__startswith=prefix)
        q &= prefixes
    if audience.city:
        q &= Q(city__iexact=audience.city)
    if audience.birthday_month:
        q &= Q(birth_month=audience.birthday_month)
    for field, lookup in (("created_after", "created_at__date__gte"),
                          ("created_before", "created_at__date__lt"),
                          ("active_after", "last_activity_at__date__gte"),
                          ("active_before", "last_activity_at__date__lt")):  # fmt: skip
        value = getattr(audience, field)
        if value is not None:
            q &= Q(**{lookup: value})
    return q


def recipients(audience: Audience, queryset=None):
    """The contacts the audience reaches now: linked below its unit (and below every base's
    unit), matching every filter of the chain, subscribed to its communication type, not
    suppressed, not erased. ``queryset`` narrows further (e.g. ``for_user``)."""
    contacts = (queryset if queryset is not None else Contact.objects.all()).annotate(
        birth_month=ExtractMonth("birth_date")
    )
    linked_below: list[str] = []
    for member in chain(audience):
        path = member.unit.path
        # A link below a narrower unit of the chain is below this one too: one subquery on
        # the links per distinct subtree, not one per base (each scans a subtree's links).
        if not any(narrower.startswith(path) for narrower in linked_below):
            contacts = contacts.under(path)
            linked_below.append(path)
        contacts = contacts.filter(filters_q(member))
    return contacts.filter(
        subscribed_q(audience.communication_type, audience.unit.path), not_suppressed_q()
    )


def count_for(audience: Audience) -> int:
    return recipients(audience).count()


def sample_for(audience: Audience, user, size: int = 10):
    """A few of the audience's contacts the user may see (their visible fields only: the
    caller renders them through ``rules.contacts.visible_fields``)."""
    return recipients(audience, Contact.objects.for_user(user)).order_by("pk")[:size]


def check_narrows(audience: Audience) -> None:
    """An audience built on a base keeps its communication type and stays inside its unit.

    Raises:
        ValidationError: on the field at fault.
    """
    base = audience.base
    if base is None:
        return
    errors = {}
    if audience.communication_type_id != base.communication_type_id:
        errors["communication_type"] = _(
            "An audience built on “%(base)s” keeps its communication type."
        ) % {"base": base.name}
    if audience.unit_id and not audience.unit.path.startswith(base.unit.path):
        errors["unit"] = _("An audience built on “%(base)s” stays inside its units.") % {
            "base": base.name
        }
    if audience.pk and audience.pk in {a.pk for a in chain(base)}:
        errors["base"] = _("An audience cannot be built on itself.")
    if errors:
        raise ValidationError(errors)


def count_for_user(audience: Audience, user) -> int:
    """How many of the audience's contacts the user may see: what a listing or a form shows
    them (a segment of HQ counts only the contacts of the user's own scope)."""
    return recipients(audience, Contact.objects.for_user(user)).count()


def builds_on(audience: Audience, base: Audience) -> bool:
    """The audience is ``base`` or narrows it (``base`` is in its chain of bases)."""
    return base.pk in {member.pk for member in chain(audience)}


def narrowing_ids(audience: Audience) -> set[int]:
    """The audience and every audience built on it (down the chains of bases)."""
    ids, frontier = {audience.pk}, {audience.pk}
    for _depth in range(MAX_BASE_DEPTH):
        frontier = set(Audience.objects.filter(base__in=frontier).values_list("pk", flat=True))
        frontier -= ids
        if not frontier:
            break
        ids |= frontier
    return ids


def scheduled_campaigns_using(audience: Audience):
    """The campaigns scheduled or sent whose recipients this audience decides (chosen, an
    audience built on it chosen, or it is their template's segment used as given). Its
    definition stays as it is while they exist: what a manager confirmed when scheduling is
    who the send reaches."""
    ids = narrowing_ids(audience)
    uses = Q(audience_choice__audience__in=ids)
    if audience.template_id:
        uses |= Q(template_id=audience.template_id, audience_choice__isnull=True)
    return LocalCampaign.objects.filter(uses, scheduled_at__isnull=False).distinct()
