"""HQ's raw MJML: a few sections, or a whole document pasted from the MJML template gallery.

A whole document (``<mjml><mj-head>…</mj-head><mj-body>…</mj-body></mjml>``) is split: the
styling parts of its head (``mj-style``, ``mj-attributes``, ``mj-font``, ``mj-breakpoint``,
``mj-html-attributes``) go into the e-mail's head, its body's children into the e-mail's
body. ``mj-title`` and ``mj-preview`` are dropped: the campaign's subject and preheader set
them. The source is located with the standard library's HTML tokenizer (MJML is HTML-like,
and gallery templates hold HTML such as ``<br>`` and ``&nbsp;`` that an XML parser refuses);
nothing is expanded or rebuilt, the original text is sliced. Input is bounded before parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

#: The longest raw MJML accepted (characters); gallery templates are 5–20 kB.
MAX_RAW_MJML_CHARS = 100_000
#: Head elements merged into the e-mail's head; the others are dropped.
HEAD_KEPT = {"mj-style", "mj-attributes", "mj-font", "mj-breakpoint", "mj-html-attributes"}


@dataclass(frozen=True)
class RawMJML:
    """What a raw MJML zone contributes: head parts and body sections."""

    head: str
    body: str


class _Locator(HTMLParser):
    """Records where the document's head children and body content start and end."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.lines = [0]
        for line in source.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line))
        self.stack: list[str] = []
        self.head_parts: list[tuple[str, int, int]] = []  # (tag, start, end)
        self.body_start = self.body_end = None
        self.open_head_child: tuple[str, int] | None = None

    def index(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        start = self.index()
        parent = self.stack[-1] if self.stack else None
        if parent == "mj-head" and self.open_head_child is None:
            self.open_head_child = (tag, start)
        if tag == "mj-body" and self.body_start is None:
            self.body_start = start + len(self.get_starttag_text())
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        start = self.index()
        if self.stack and self.stack[-1] == "mj-head":
            self.head_parts.append((tag, start, start + len(self.get_starttag_text())))

    def handle_endtag(self, tag):
        end = self.index()
        if tag == "mj-body" and self.body_end is None:
            self.body_end = end
        if tag not in self.stack:
            return
        while self.stack and self.stack.pop() != tag:
            pass
        if (
            self.open_head_child
            and tag == self.open_head_child[0]
            and self.stack[-1:] == ["mj-head"]
        ):
            closing = self.rawdata.find(">", end) + 1 - end
            self.head_parts.append((tag, self.open_head_child[1], end + closing))
            self.open_head_child = None


def is_document(source: str) -> bool:
    return source.lstrip().lower().startswith(("<mjml", "<?xml"))


@lru_cache(maxsize=32)
def split_raw_mjml(source: str) -> RawMJML:
    """The head parts and body sections of raw MJML (a fragment is all body).

    Kept for the last sources: a compile asks for the head, the body and the text of the
    same zone, and every unit of a campaign has the same locked zone.
    """
    if not is_document(source):
        return RawMJML(head="", body=source)
    locator = _Locator(source)
    locator.feed(source)
    locator.close()
    head = "".join(source[start:end] for tag, start, end in locator.head_parts if tag in HEAD_KEPT)
    if locator.body_start is None:
        return RawMJML(head=head, body="")
    end = locator.body_end if locator.body_end is not None else len(source)
    return RawMJML(head=head, body=source[locator.body_start : end])
