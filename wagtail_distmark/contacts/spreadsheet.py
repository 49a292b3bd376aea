"""Spreadsheet cells that are never run as formulas, both ways (OWASP "CSV injection").

An export writes a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
with a leading ``'``, so a spreadsheet shows it as text; an import reads such a cell back
without that ``'``, so exporting and re-importing a file changes nothing.
"""

#: First characters a spreadsheet may take for the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """The value as spreadsheet text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def plain(text: str) -> str:
    """A cell as the person meant it: the ``'`` that :func:`neutralise` adds, removed."""
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text
