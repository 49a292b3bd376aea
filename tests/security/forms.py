"""A valid POST, as a browser would send it, so a fuzz starts from something the server takes."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

from wagtail import blocks
from wagtail.test.utils.form_data import rich_text

SKIPPED_INPUTS = {"submit", "button", "file", "image", "reset"}


class FormReader(HTMLParser):
    """The fields of the first POST form whose ``action`` ends with ``action``."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.done = action, False, False
        self.data: list[tuple[str, str]] = []
        self.textarea = self.select = None
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done:
            method = (attrs.get("method") or "get").lower()
            target = attrs.get("action") or self.action  # no action: posts to the page itself
            self.inside = method == "post" and target.endswith(self.action)
        elif self.inside:
            self.field_start(tag, attrs)

    def field_start(self, tag, attrs):
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in SKIPPED_INPUTS:
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data.append((name, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((attrs.get("value") or "", "selected" in attrs))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "textarea" and self.textarea is not None:
            self.data.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.options if selected]
            first = [value for value, _ in self.options[:1]]
            self.data.append((self.select, (chosen or first or [""])[0]))
            self.select = None


def form_data(html: str, action: str) -> dict:
    """The submitted fields of the page's POST form that posts to ``action``."""
    reader = FormReader(action)
    reader.feed(html)
    return dict(reader.data)


def block_post_data(block, value, prefix: str) -> dict:
    """What Wagtail's block widgets post for ``value`` (a block's Python value) under
    ``prefix``: the shape a browser sends, built from the block definitions, not by hand."""
    if isinstance(block, blocks.StructBlock):
        return {
            key: item
            for name, child in block.child_blocks.items()
            for key, item in block_post_data(child, value.get(name), f"{prefix}-{name}").items()
        }
    if isinstance(block, blocks.ListBlock):
        return list_post_data(block, value, prefix)
    if isinstance(block, blocks.RichTextBlock):
        return {prefix: rich_text(value.source if value else "")}
    if isinstance(block, blocks.BooleanBlock):
        return {prefix: "on"} if value else {}
    if isinstance(block, blocks.ChooserBlock):
        return {prefix: str(value.pk) if value is not None else ""}
    return {prefix: "" if value is None else str(block.get_prep_value(value))}


def list_post_data(block, value, prefix: str) -> dict:
    items = list(value.bound_blocks if hasattr(value, "bound_blocks") else value or [])
    data = {f"{prefix}-count": str(len(items))}
    for index, item in enumerate(items):
        item_value = getattr(item, "value", item)
        data.update(block_post_data(block.child_block, item_value, f"{prefix}-{index}-value"))
        item_id = getattr(item, "id", None) or f"item{index}"
        data.update({f"{prefix}-{index}-deleted": "", f"{prefix}-{index}-order": str(index),
                     f"{prefix}-{index}-id": item_id})  # fmt: skip
    return data


@dataclass
class PageForm:
    """One POST form of a page: where it posts, how, and what a browser would send."""

    action: str
    multipart: bool
    data: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class PageFormsReader(FormReader):
    """Every POST form of a page (not only the first), its file inputs named apart; disabled
    inputs are left out, as a browser leaves them out."""

    def __init__(self):
        super().__init__(action="")
        self.forms: list[PageForm] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form_start(attrs)
        elif self.inside and "disabled" not in attrs:
            if tag == "input" and attrs.get("type") == "file" and attrs.get("name"):
                self.forms[-1].files.append(attrs["name"])
            self.field_start(tag, attrs)

    def form_start(self, attrs):
        self.inside = (attrs.get("method") or "get").lower() == "post"
        if self.inside:
            multipart = (attrs.get("enctype") or "").lower() == "multipart/form-data"
            self.forms.append(PageForm(attrs.get("action") or "", multipart))
            self.data = self.forms[-1].data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        else:
            super().handle_endtag(tag)


def page_forms(html: str) -> list[PageForm]:
    """The page's POST forms, in order, each with the fields a browser submits unchanged."""
    reader = PageFormsReader()
    reader.feed(html)
    return reader.forms
