"""Open and click tracking: the e-mail's links turned into signed redirects, an open pixel,
and the record of opens and clicks, machines' apart from people's.

:func:`prepare_links` runs once per send on the compiled HTML's merge-template parts;
the public views (``sending/public.py``) call :func:`record_open` / :func:`record_click`.
"""

from __future__ import annotations

#: The merge tag of the open pixel's URL, and of link number N's redirect.
OPEN_TAG = "distmark.open"
CLICK_PREFIX = "distmark.click."


def click_tag(index: int) -> str:
    return f"{CLICK_PREFIX}{index}"


def prepare_links(parts: list[str]) -> tuple[list[str], list]:
    """The HTML parts with each tracked link's URL replaced by its click tag, and the links
    (each a list of merge-template parts, to render for the contact at click time)."""
    return list(parts), []  # TODO(tracking helper): rewrite hrefs


def add_open_pixel(parts: list[str]) -> list[str]:
    """The HTML parts with an invisible 1×1 image whose URL is the open tag, before
    ``</body>``."""
    return list(parts)  # TODO(tracking helper)
