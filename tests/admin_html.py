"""Read Wagtail 8's admin chrome out of a response: the slim header's breadcrumbs, the
"More options" dropdowns, a field's error linkage. Plain ``html.parser``, no browser."""

import re
from html.parser import HTMLParser


class _Elements(HTMLParser):
    """Every element as (tag, attrs, text inside it), in document order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.open = [], []

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs), []]
        self.elements.append(element)
        if tag not in {"input", "img", "br", "hr", "meta", "link"}:
            self.open.append(element)

    def handle_endtag(self, tag):
        tags = [element[0] for element in self.open]
        if tag in tags:
            del self.open[len(tags) - 1 - tags[::-1].index(tag) :]

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)


def elements(html: str) -> list[tuple[str, dict, str]]:
    parser = _Elements()
    parser.feed(html)
    return [(tag, attrs, " ".join("".join(text).split())) for tag, attrs, text in parser.elements]


def breadcrumbs(html: str) -> list[tuple[str, str | None]]:
    """The header's breadcrumbs as (label, url), ``None`` for the current page (last)."""
    nav = re.search(r'<nav[^>]*aria-label="Breadcrumb"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "no breadcrumbs in the page"
    items = []
    for item in re.findall(r"<li\b[^>]*>(.*?)</li>", nav.group(1), re.S):
        link = re.search(r'<a\b[^>]*href="([^"]*)"', item)
        label = " ".join(re.sub(r"<svg.*?</svg>|<[^>]+>", " ", item, flags=re.S).split())
        items.append((label, link.group(1).replace("&amp;", "&") if link else None))
    return items


def has_slim_header(html: str) -> bool:
    return 'class="w-slim-header' in html


def dropdown_links(html: str, toggle_label: str) -> list[tuple[str, str]]:
    """(label, url) of the links in the dropdown whose toggle is labelled ``toggle_label``."""
    marker = f'aria-label="{toggle_label}"'
    assert marker in html, f"no dropdown labelled {toggle_label!r}"
    content = html.split(marker, 1)[1].split('class="w-dropdown__content"', 1)[1]
    content = content.split("</div>", 1)[0]
    return [(label, url.replace("&amp;", "&")) for url, label in re.findall(
        r'<a\b[^>]*href="([^"]*)"[^>]*>(?:\s|<svg.*?</svg>)*([^<]*?)\s*</a>', content, re.S
    )]  # fmt: skip


def by_id(html: str, element_id: str) -> tuple[str, dict, str]:
    found = [e for e in elements(html) if e[1].get("id") == element_id]
    assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
    return found[0]


def described_by(html: str, name: str) -> list[str]:
    """The texts an input named ``name`` is described by (its ``aria-describedby`` ids)."""
    inputs = [e for e in elements(html) if e[0] in {"input", "select", "textarea"}
              and e[1].get("name") == name]  # fmt: skip
    assert inputs, f"no input named {name!r}"
    ids = (inputs[0][1].get("aria-describedby") or "").split()
    return [by_id(html, element_id)[2] for element_id in ids]
