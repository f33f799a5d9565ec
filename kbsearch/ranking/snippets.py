"""Snippets and highlighting: a text's query words in ``<mark>``, for the panel and the search page."""

from __future__ import annotations

import bisect
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


SNIPPET_CHARS = 240
FRAGMENTS = 2


def snippet(body: str, prefixes: list[str]) -> str:
    """Up to two passages of ``body`` holding the most distinct query words, escaped, words in ``<mark>``.

    A word matches when it starts with a query word or its stem ("administrator" finds
    "administrators"); one regular-expression pass finds them all.
    """
    if not body or not prefixes:
        return ""
    pattern = word_pattern(prefixes)
    hits = [(m.start(), m.end(), _prefix_of(m.group(0).lower(), prefixes)) for m in pattern.finditer(body)]
    if not hits:
        return ""
    starts = [h[0] for h in hits]
    chosen: list[tuple[int, int]] = []
    for _ in range(FRAGMENTS):
        best, best_terms = None, 0
        for start in starts[:64]:  # enough candidates; a long article repeats itself
            left = max(0, start - SNIPPET_CHARS // 3)
            window = (left, left + SNIPPET_CHARS)
            if any(window[0] < end and begin < window[1] for begin, end in chosen):
                continue
            inside = hits[bisect.bisect_left(starts, window[0]):bisect.bisect_left(starts, window[1])]
            terms = len({prefix for s, e, prefix in inside if e <= window[1]})
            if terms > best_terms:
                best, best_terms = window, terms
        if best is None:
            break
        chosen.append(best)
    return " ".join(_passage(body, start, end, pattern) for start, end in sorted(chosen))


def _passage(body: str, start: int, end: int, pattern: re.Pattern) -> str:
    start = _word_boundary(body, start, backwards=True)
    end = _word_boundary(body, min(end, len(body)), backwards=False)
    marked = mark(body[start:end], pattern)
    return ("…" if start > 0 else "") + marked.strip() + ("…" if end < len(body) else "")


def _prefix_of(word: str, prefixes: list[str]) -> str:
    return next((p for p in prefixes if word.startswith(p.lower())), word)


def _word_boundary(body: str, at: int, backwards: bool) -> int:
    """Move ``at`` to the nearest space so a snippet never cuts a word in half."""
    if at <= 0 or at >= len(body):
        return max(0, min(at, len(body)))
    if backwards:
        space = body.rfind(" ", 0, at)
        return space + 1 if space != -1 and at - space < 30 else at
    space = body.find(" ", at)
    return space if space != -1 and space - at < 30 else at


def highlight(text: str, words: list[str]) -> str:
    """``text`` as escaped HTML with ``words`` wrapped in ``<mark>``."""
    return mark(text, word_pattern(words)) if words else html.escape(text)
