"""Zones of an HQ brand template: an e-mail block plus the policy HQ sets on it.

* **locked** — shown to the franchisee, never editable;
* **editable** — free within the block's own validation;
* **constrained** — editable within the limits of the zone's :class:`ConstraintsBlock`.

The limits are checked on the server by :mod:`wagtail_distmark.campaigns.zones`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from wagtail_distmark.blocks.email import RawMJMLBlock, email_blocks


class ZonePolicy(models.TextChoices):
    LOCKED = "locked", _("Locked")
    EDITABLE = "editable", _("Editable")
    CONSTRAINED = "constrained", _("Constrained")


def collection_choices():
    from wagtail.models import Collection

    return [("", "---------")] + [
        (str(c.pk), f"{'— ' * (c.depth - 1)}{c.name}") for c in Collection.objects.all()
    ]


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


class ZoneBlock(blocks.StructBlock):
    """One zone of a brand template."""

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
        if isinstance(self.content_block, RawMJMLBlock) and value["policy"] != ZonePolicy.LOCKED:
            raise blocks.StructBlockValidationError(
                block_errors={"policy": ValidationError(_("Raw MJML is always locked."))}
            )
        return value


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
    "NO_LIMITS", "ZonePolicy", "zone_blocks", "zone_data",
]  # fmt: skip
