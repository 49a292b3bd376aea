"""Zones of an HQ brand template: an e-mail block plus the policy HQ sets on it.

* **locked** — shown to the franchisee, never editable;
* **editable** — free within the block's own validation;
* **constrained** — editable within the limits of the zone's :class:`ConstraintsBlock`.

The limits are checked on the server by :mod:`wagtail_distmark.campaigns.zones`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.models import Collection

from wagtail_distmark.blocks.email import RawMJMLBlock, email_blocks


class ZonePolicy(models.TextChoices):
    LOCKED = "locked", _("Locked")
    EDITABLE = "editable", _("Editable")
    CONSTRAINED = "constrained", _("Constrained")


def collection_choices():
    memo = _collection_choices_memo.get()
    if memo:
        return memo[0]
    choices = [("", "---------")] + [
        (str(c.pk), f"{'— ' * (c.depth - 1)}{c.name}") for c in Collection.objects.all()
    ]
    if memo is not None:
        memo.append(choices)
    return choices


#: Inside :func:`collection_choices_read_once`, the choices read the first time. Wagtail asks
#: them each time it reads a zone's constraints (once per zone per read of a body).
_collection_choices_memo: ContextVar[list | None] = ContextVar("collection_choices", default=None)


@contextmanager
def collection_choices_read_once():
    """Within the block (one request of the campaign editor), read the collections once."""
    token = _collection_choices_memo.set([])
    try:
        yield
    finally:
        _collection_choices_memo.reset(token)


class ConstraintsBlock(blocks.StructBlock):
    """Limits of a constrained zone. Empty fields impose nothing."""

    required = blocks.BooleanBlock(
        label=_("Every text required"),
        required=False,
        help_text=_("The franchisee must fill in every text of this zone."),
    )
    max_chars = blocks.IntegerBlock(
        label=_("Maximum characters"), required=False, min_value=1,
        help_text=_("For each text of the zone."),
    )  # fmt: skip
    choices = blocks.TextBlock(
        label=_("Allowed values"), required=False,
        help_text=_("One per line, for the zone's main text (heading, label or title)."),
    )  # fmt: skip
    min_value = blocks.DecimalBlock(label=_("Minimum number"), required=False)
    max_value = blocks.DecimalBlock(
        label=_("Maximum number"), required=False,
        help_text=_("For the zone's numbers, e.g. a discount between 5 and 20 %."),
    )  # fmt: skip
    collection = blocks.ChoiceBlock(
        label=_("Images only from"), choices=collection_choices, required=False,
        help_text=_("A collection (and its sub-collections)."),
    )  # fmt: skip
    min_items = blocks.IntegerBlock(label=_("Minimum items"), required=False, min_value=0)
    max_items = blocks.IntegerBlock(label=_("Maximum items"), required=False, min_value=1)

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        for low, high in (("min_value", "max_value"), ("min_items", "max_items")):
            if value[low] is not None and value[high] is not None and value[low] > value[high]:
                errors[high] = ValidationError(_("The maximum is below the minimum."))
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        collapsed = True
        label = _("Constraints (for a constrained zone)")


@dataclass(frozen=True)
class ZoneLimits:
    """The limits of a constrained zone, read from its :class:`ConstraintsBlock` value.

    :meth:`from_constraints` is the one reader of the stored constraints: the editor, the
    server-side check (:func:`~wagtail_distmark.campaigns.zones.constraint_problems`) and the
    limits shown to the franchisee all ask this object. The defaults impose nothing.
    """

    #: Every text of the zone must be filled in.
    required: bool = False
    #: The most visible characters of each text (None: no limit).
    max_chars: int | None = None
    #: The values the zone's main text may take (empty: any).
    choices: tuple[str, ...] = ()
    #: Bounds of the zone's numbers (None: unbounded on that side).
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    #: The pk of the collection (and sub-collections) images must come from, as stored ("": any).
    collection: str = ""
    #: Bounds of the number of items of the zone's lists.
    min_items: int | None = None
    max_items: int | None = None

    @classmethod
    def from_constraints(cls, constraints) -> ZoneLimits:
        """The limits of a :class:`ConstraintsBlock` value (or its raw data)."""
        return cls(
            required=bool(constraints["required"]),
            max_chars=constraints["max_chars"] or None,
            choices=tuple(
                line.strip() for line in (constraints["choices"] or "").splitlines() if line.strip()
            ),
            min_value=constraints["min_value"],
            max_value=constraints["max_value"],
            collection=str(constraints["collection"] or ""),
            min_items=constraints["min_items"],
            max_items=constraints["max_items"],
        )

    def describe(self) -> list[str]:
        """The limits as the franchisee reads them, one phrase each (none: no limit)."""
        limits = []
        if self.required:
            limits.append(gettext("every text required"))
        if self.max_chars:
            limits.append(gettext("at most %(n)d characters per text") % {"n": self.max_chars})
        if self.choices:
            limits.append(gettext("one of: %(choices)s") % {"choices": ", ".join(self.choices)})
        if self.min_value is not None or self.max_value is not None:
            low = self.min_value if self.min_value is not None else "…"
            high = self.max_value if self.max_value is not None else "…"
            limits.append(gettext("numbers from %(low)s to %(high)s") % {"low": low, "high": high})
        if self.min_items is not None or self.max_items is not None:
            low, high = self.min_items or 0, self.max_items if self.max_items else "…"
            limits.append(gettext("%(low)s to %(high)s items") % {"low": low, "high": high})
        if self.collection:
            limits.append(gettext("images from a chosen collection"))
        return limits


class ZoneValue(blocks.StructValue):
    """One zone of a template, as every module asks about it: its policy, the limits in
    force, its content and whether a campaign's block still holds that content."""

    @property
    def policy(self) -> str:
        return self["policy"]

    @property
    def is_locked(self) -> bool:
        return self["policy"] == ZonePolicy.LOCKED

    @property
    def is_constrained(self) -> bool:
        return self["policy"] == ZonePolicy.CONSTRAINED

    @property
    def content(self):
        """HQ's content of the zone (a value of the zone's e-mail block)."""
        return self["content"]

    @property
    def limits(self) -> ZoneLimits:
        """The limits in force: a constrained zone's constraints, none for the others (HQ
        may have filled constraints in, then chosen another policy)."""
        if not self.is_constrained:
            return ZoneLimits()
        return ZoneLimits.from_constraints(self["constraints"])

    @property
    def allowed_choices(self) -> tuple[str, ...]:
        """The values the zone's main text may take (empty: any)."""
        return self.limits.choices

    @property
    def limits_text(self) -> list[str]:
        """The limits in force as the franchisee reads them."""
        return self.limits.describe()

    def content_data(self):
        """HQ's content as stored (a new campaign's copy of the zone)."""
        return self.block.content_block.get_prep_value(self["content"])

    def unchanged_in(self, child) -> bool:
        """Whether a campaign's block (``.block`` and ``.value``, e.g. a StreamValue child)
        still holds HQ's content of this zone."""
        return child.block.get_prep_value(child.value) == self.content_data()


class ZoneBlock(blocks.StructBlock):
    """One zone of a brand template; its values are :class:`ZoneValue`."""

    policy = blocks.ChoiceBlock(
        label=_("Policy"), choices=ZonePolicy.choices, default=ZonePolicy.EDITABLE
    )
    constraints = ConstraintsBlock()

    def __init__(self, content_block: blocks.Block, **kwargs):
        super().__init__(local_blocks=[("content", content_block)], **kwargs)

    @property
    def content_block(self) -> blocks.Block:
        return self.child_blocks["content"]

    def clean(self, value):
        value = super().clean(value)
        if isinstance(self.content_block, RawMJMLBlock) and not value.is_locked:
            raise blocks.StructBlockValidationError(
                block_errors={"policy": ValidationError(_("Raw MJML is always locked."))}
            )
        return value

    class Meta:
        value_class = ZoneValue


def zone_blocks() -> list[tuple[str, ZoneBlock]]:
    """The zones HQ may put in a template: one per e-mail block, same names."""
    return [
        (name, ZoneBlock(block, label=block.label, icon=block.meta.icon))
        for name, block in email_blocks()
    ]


#: A constrained zone's limits when nothing is limited.
NO_LIMITS = {"required": False, "max_chars": None, "choices": "", "min_value": None,
             "max_value": None, "collection": "", "min_items": None, "max_items": None}  # fmt: skip


def zone_data(zone_id: str, block_type: str, content, policy=ZonePolicy.EDITABLE, **limits):
    """Raw StreamField data for one template zone, for fixtures, imports and tests."""
    value = {"policy": str(policy), "constraints": {**NO_LIMITS, **limits}, "content": content}
    return {"id": zone_id, "type": block_type, "value": value}


block_classes = [ConstraintsBlock, ZoneBlock]
DECONSTRUCT_ALIASES = {cls: f"wagtail_distmark.blocks.{cls.__name__}" for cls in block_classes}
__all__ = [cls.__name__ for cls in block_classes] + [
    "NO_LIMITS", "ZoneLimits", "ZonePolicy", "ZoneValue", "zone_blocks", "zone_data",
]  # fmt: skip
