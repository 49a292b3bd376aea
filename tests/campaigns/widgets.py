"""Reading the campaign editor's HTML as Wagtail's JS does: the block widget of a zone."""

import html as html_lib
import json
import re


def zone_widget(html: str, zone_id: str) -> tuple[dict, object, dict | None]:
    """The block definition, value and errors that Wagtail's JS draws zone ``zone_id`` from
    (the ``w-block`` controller's data attributes of the zone's input)."""
    tag = re.search(rf'<div id="zone_{zone_id}" data-block [^>]*>', html)
    assert tag, f"no block widget for zone {zone_id}"
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(0)))
    definition = unpack(json.loads(html_lib.unescape(attributes["data-w-block-data-value"])))
    value, errors = json.loads(html_lib.unescape(attributes["data-w-block-arguments-value"]))
    return definition, value, errors


def unpack(packed, seen=None):
    """Telepath's packed data as plain data: references resolved, object types kept."""
    seen = {} if seen is None else seen
    if isinstance(packed, list):
        return [unpack(item, seen) for item in packed]
    if not isinstance(packed, dict):
        return packed
    if "_ref" in packed:
        return seen[packed["_ref"]]
    if "_val" in packed:
        result = packed["_val"]
    elif "_list" in packed:
        result = [unpack(item, seen) for item in packed["_list"]]
    elif "_dict" in packed:
        result = {key: unpack(item, seen) for key, item in packed["_dict"].items()}
    elif "_type" in packed:
        result = {"_type": packed["_type"], "_args": unpack(packed["_args"], seen)}
    else:
        result = {key: unpack(item, seen) for key, item in packed.items()}
    if "_id" in packed:
        seen[packed["_id"]] = result
    return result
