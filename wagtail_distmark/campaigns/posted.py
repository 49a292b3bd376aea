"""Reading one zone's input from a POST without trusting its shape.

Wagtail's block widgets read what its own editor posts; a crafted or truncated POST
(a list count that is not a number, a missing ``-deleted`` key, an image id that is text)
makes them raise, which would be a 500. :func:`posted_problems` checks the shape first and
says what is wrong; :class:`ZoneField` turns any remaining read failure into a form error on
the zone, and shows the zone's saved content again so nothing is lost.
"""

from __future__ import annotations

import json

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.forms.utils import ErrorList
from django.utils.translation import gettext as _
from draftjs_exporter.error import ExporterException
from wagtail import blocks
from wagtail.blocks.base import get_error_json_data

from wagtail_distmark.blocks.email import without_broken_references
from wagtail_distmark.ids import parse_pk

#: Items a list in a zone may ever be posted with (blocks allow six at most).
MAX_POSTED_ITEMS = 100
#: What a block widget raises on input it cannot read (Wagtail's rich text converter raises
#: the Draft.js exporter's own errors on entity ranges it cannot follow).
READ_ERRORS = (
    ValueError, TypeError, KeyError, AttributeError, LookupError, OverflowError,
    ObjectDoesNotExist, ValidationError, RecursionError, ExporterException,
)  # fmt: skip


class UnreadableZone:
    """Stands for a zone's input that could not be read; carries the reasons."""

    def __init__(self, messages: list[str]):
        self.messages = messages


def missing_message() -> str:
    return _(
        "Some of this zone's fields were missing from the form: reload the page and try again."
    )


def posted_problems(block: blocks.Block, data, prefix: str, may_choose=None) -> list[str]:
    """What is wrong with the shape of the input posted for ``block`` under ``prefix``.

    ``may_choose(model, pk)``: whether the user may pick that row (default: it exists).
    """
    if isinstance(block, blocks.StructBlock):
        return [
            problem
            for name, child in block.child_blocks.items()
            for problem in posted_problems(child, data, f"{prefix}-{name}", may_choose)
        ]
    if isinstance(block, blocks.ListBlock):
        return list_problems(block, data, prefix, may_choose)
    if isinstance(block, blocks.ChooserBlock):
        return chooser_problems(block, data.get(prefix), may_choose)
    if isinstance(block, blocks.RichTextBlock):
        return rich_text_problems(data.get(prefix))
    if isinstance(block, blocks.FieldBlock) and block.value_omitted_from_data(data, {}, prefix):
        return [missing_message()]
    return []


def list_problems(block: blocks.ListBlock, data, prefix: str, may_choose=None) -> list[str]:
    count = data.get(f"{prefix}-count")
    if count is None:
        return [missing_message()]
    if not (count.isascii() and count.isdigit()) or int(count) > MAX_POSTED_ITEMS:
        return [_("The list of items could not be read: reload the page and try again.")]
    problems = []
    for index in range(int(count)):
        item = f"{prefix}-{index}"
        deleted, order = data.get(f"{item}-deleted"), data.get(f"{item}-order")
        if deleted is None or order is None:
            return [missing_message()]
        if deleted not in ("", "1") or not (order.isascii() and order.isdigit()):
            return [_("The list of items could not be read: reload the page and try again.")]
        if not deleted:
            problems += posted_problems(block.child_block, data, f"{item}-value", may_choose)
    return problems


def chooser_problems(block: blocks.ChooserBlock, raw, may_choose=None) -> list[str]:
    if raw is None:
        return [missing_message()]
    if raw == "":
        return []
    model = block.model_class
    try:
        pk = parse_pk(model, raw)
        if pk is None:
            exists = False
        elif may_choose is None:
            exists = model._default_manager.filter(pk=pk).exists()
        else:
            exists = may_choose(model, pk)
    except READ_ERRORS:
        exists = False
    if exists:
        return []
    return [
        _("The chosen %(kind)s does not exist (any more): choose another.")
        % {"kind": model._meta.verbose_name}
    ]


def rich_text_problems(raw) -> list[str]:
    if raw is None:
        return [missing_message()]
    if raw in ("", "null"):
        return []
    try:
        state = json.loads(raw)
    except ValueError:
        state = None
    if (
        not isinstance(state, dict)
        or not isinstance(state.get("blocks"), list)
        or not isinstance(state.get("entityMap", {}), dict)
    ):
        return [_("This text could not be read: reload the page and try again.")]
    return []


def repaired(block: blocks.Block, value):
    """``value`` with rich-text links to missing pages or files made plain text.

    Returns the value and whether anything was changed.
    """
    try:
        raw = block.get_prep_value(value)
    except READ_ERRORS:
        return block.get_default(), True
    fixed = repaired_raw(block, raw)
    return (value, False) if fixed == raw else (block.to_python(fixed), True)


def repaired_raw(block: blocks.Block, raw):
    if isinstance(block, blocks.StructBlock) and isinstance(raw, dict):
        return {
            name: repaired_raw(block.child_blocks[name], item) if name in block.child_blocks
            else item
            for name, item in raw.items()
        }  # fmt: skip
    if isinstance(block, blocks.ListBlock) and isinstance(raw, list):
        return [
            {**item, "value": repaired_raw(block.child_block, item["value"])}
            if isinstance(item, dict) and "value" in item and "type" in item
            else repaired_raw(block.child_block, item)
            for item in raw
        ]
    if isinstance(block, blocks.RichTextBlock) and isinstance(raw, str):
        return without_broken_references(raw)
    return raw


class ZoneWidget(blocks.BlockWidget):
    """A block widget that reads crafted input without raising, and always renders."""

    def __init__(self, block_def, fallback=None, attrs=None, may_choose=None):
        super().__init__(block_def, attrs=attrs)
        #: What to show when the posted input could not be read: the saved content.
        self.fallback = fallback
        #: ``may_choose(model, pk)``: a chosen id the user may not pick reads as unknown.
        self.may_choose = may_choose

    def value_from_datadict(self, data, files, name):
        problems = posted_problems(self.block_def, data, name, self.may_choose)
        if problems:
            return UnreadableZone(list(dict.fromkeys(problems)))
        try:
            return super().value_from_datadict(data, files, name)
        except READ_ERRORS:
            return UnreadableZone(
                [_("This zone could not be read: reload the page and try again.")]
            )

    def value_omitted_from_data(self, data, files, name):
        return False  # omitted fields are an error, not "unchanged"

    def render_with_errors(self, name, value, attrs=None, errors=None, renderer=None):
        if isinstance(value, UnreadableZone):
            value = self.fallback
        value, _changed = repaired(self.block_def, value)
        if errors and is_one_field(self.block_def):  # all its messages, on the field
            errors = ErrorList([ValidationError([m for e in errors.as_data() for m in e])])
        elif errors:  # the zone's own messages are shown once, by the zones panel
            errors = ErrorList([NestedErrors(errors.as_data()[0])])
        return super().render_with_errors(name, value, attrs, errors, renderer)


def is_one_field(block: blocks.Block) -> bool:
    """A zone whose block is a single field (a rich text): Wagtail shows its errors on it."""
    return not isinstance(block, (blocks.StructBlock, blocks.ListBlock, blocks.StreamBlock))


def zone_messages(error) -> list[str]:
    """A zone error's own messages (not those of the fields inside it)."""
    return list(get_error_json_data(error).get("messages", []))


class NestedErrors(ValidationError):
    """A zone's error as its widget shows it: the errors of the fields inside the zone, and
    the zone marked invalid; the zone's own messages are left to the panel."""

    def __init__(self, error: ValidationError):
        super().__init__(" ".join(zone_messages(error)))  # one message: keeps this class
        self.data = get_error_json_data(error)

    def as_json_data(self):
        return {**self.data, "messages": []}


class ZoneField(blocks.BlockField):
    """The form field of one editable zone (see :class:`ZoneWidget`)."""

    def __init__(self, block, fallback=None, may_choose=None, **kwargs):
        kwargs.setdefault("widget", ZoneWidget(block, fallback, may_choose=may_choose))
        super().__init__(block=block, **kwargs)

    def clean(self, value):
        if isinstance(value, UnreadableZone):
            raise ValidationError(value.messages)
        return super().clean(value)

    def has_changed(self, initial_value, data_value):
        if isinstance(data_value, UnreadableZone):
            return True
        return super().has_changed(initial_value, data_value)
