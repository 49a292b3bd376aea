"""Walking a block value down to its leaves: the texts, numbers, images and products a zone
holds, and where each sits. The zone checks (:mod:`~wagtail_distmark.campaigns.zones`) and
the asset checks (:mod:`~wagtail_distmark.campaigns.assets`) both read a zone through it."""

from __future__ import annotations

from collections.abc import Iterator

from wagtail import blocks

#: Where a value sits inside a zone: child names and list indexes; ``()`` is the zone itself.
Path = tuple


def located_leaves(block: blocks.Block, value, path: Path = ()) -> Iterator[tuple]:
    """Every (path, leaf block, value) inside a block value: texts, numbers, images."""
    if isinstance(block, blocks.StructBlock):
        for name, child in block.child_blocks.items():
            yield from located_leaves(child, value[name], (*path, name))
    elif isinstance(block, blocks.ListBlock):
        for index, item in enumerate(value):
            yield from located_leaves(block.child_block, item, (*path, index))
    else:
        yield path, block, value


def leaves(block: blocks.Block, value) -> Iterator[tuple[blocks.Block, object]]:
    """Every (leaf block, value) inside a block value: texts, numbers, images."""
    for _path, leaf, leaf_value in located_leaves(block, value):
        yield leaf, leaf_value


def list_lengths(block, value, path: Path = ()) -> list[tuple[Path, int]]:
    """(path, number of items) of every list in a block value (lists do not nest in zones)."""
    if isinstance(block, blocks.StructBlock):
        return [
            found
            for name, child in block.child_blocks.items()
            for found in list_lengths(child, value[name], (*path, name))
        ]
    if isinstance(block, blocks.ListBlock):
        return [(path, len(value))]
    return []
