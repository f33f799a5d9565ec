"""Marking a text's query words in ``<mark>`` for the suggestions panel and the search page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable


def word_pattern(prefixes: Iterable[str]) -> re.Pattern:
    """Words starting with any of ``prefixes`` (a query word or its stem), longest prefix first."""
    ordered = sorted(set(prefixes), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, ordered)) + r")\w*", re.IGNORECASE)


def mark(text: str, pattern: re.Pattern) -> str:
    """``text`` as escaped HTML with every match of ``pattern`` in ``<mark>``.

    Matched in the raw text and escaped piece by piece, so a word never matches inside "&amp;".
    """
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
