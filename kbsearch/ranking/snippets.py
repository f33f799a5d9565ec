"""Snippets and highlighting: a text's query words in ``<mark>``, for the panel and the search page."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable, Collection, Iterable

from kbsearch.corpus import text as analysis


def word_pattern(prefixes: Iterable[str]) -> re.Pattern:
    """Words starting with any of ``prefixes`` (a query word or its stem), longest prefix first."""
    ordered = sorted(set(prefixes), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, ordered)) + r")\w*", re.IGNORECASE)


def mark(text: str, pattern: re.Pattern, keep: Callable[[str], bool] = lambda word: True) -> str:
    """``text`` as escaped HTML with every match of ``pattern`` that ``keep`` accepts in ``<mark>``.

    Matched in the raw text and escaped piece by piece, so a word never matches inside "&amp;".
    """
    out, last = [], 0
    for m in pattern.finditer(text):
        if not keep(m.group(0)):
            continue
        out.append(html.escape(text[last:m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


# Two passages short enough that both fit the search page's two lines on a wide screen (the page
# cuts at two lines on a phone).
SNIPPET_CHARS = 80
FRAGMENTS = 2
CANDIDATES = 64  # the first matches a passage may start at: a long article repeats itself


def snippet(body: str, prefixes: list[str], stems: Collection[str] | None = None) -> str:
    """Up to two passages of ``body`` holding the most distinct query words, escaped, words in ``<mark>``.

    A word matches when it starts with a query word or its stem ("administrator" finds
    "administrators"), is not a stop word and, given ``stems``, has one of them as its stem
    ("on" does not mark "one"); one regular-expression pass finds them all. A passage stays
    within one line of ``body``, so a heading never runs into the text under it.
    """
    if not body or not prefixes:
        return ""
    pattern, keep = word_pattern(prefixes), _keeper(stems)
    hits = []
    for m in pattern.finditer(body):
        if len(hits) >= CANDIDATES and m.start() > hits[CANDIDATES - 1][0] + SNIPPET_CHARS:
            break  # past every window a candidate can open
        if keep(m.group(0)):
            hits.append((m.start(), m.end(), _prefix_of(m.group(0).lower(), prefixes)))
    if not hits:
        return ""
    starts = [h[0] for h in hits]
    windows = []  # each candidate's passage, with how many distinct query words it holds
    for start in starts[:CANDIDATES]:
        line_start, line_end = body.rfind("\n", 0, start) + 1, body.find("\n", start) % (len(body) + 1)
        left = max(line_start, start - SNIPPET_CHARS // 3)
        window = (left, min(line_end, left + SNIPPET_CHARS))
        inside = hits[bisect.bisect_left(starts, window[0]):bisect.bisect_left(starts, window[1])]
        windows.append((len({prefix for s, e, prefix in inside if e <= window[1]}), window))
    chosen: list[tuple[int, int]] = []
    for _ in range(FRAGMENTS):
        best, best_terms = None, 0
        for terms, window in windows:
            if terms > best_terms and not any(window[0] < end and begin < window[1] for begin, end in chosen):
                best, best_terms = window, terms
        if best is None:
            break
        chosen.append(best)
    return " ".join(_passage(body, start, end, pattern, keep) for start, end in sorted(chosen))


def _keeper(stems: Collection[str] | None) -> Callable[[str], bool]:
    def keep(word: str) -> bool:
        lower = word.lower()
        if lower in analysis.STOP_WORDS:
            return False
        return stems is None or lower in stems or analysis.stem(lower) in stems
    return keep


def _passage(body: str, start: int, end: int, pattern: re.Pattern, keep: Callable[[str], bool]) -> str:
    line_start, line_end = body.rfind("\n", 0, start) + 1, body.find("\n", start) % (len(body) + 1)
    start = _word_boundary(body, start, line_start, line_end, backwards=True)
    end = _word_boundary(body, min(end, line_end), line_start, line_end, backwards=False)
    marked = mark(body[start:end], pattern, keep)
    return ("…" if start > 0 else "") + marked.strip() + ("…" if end < len(body) else "")


def _prefix_of(word: str, prefixes: list[str]) -> str:
    return next((p for p in prefixes if word.startswith(p.lower())), word)


def _word_boundary(body: str, at: int, low: int, high: int, backwards: bool) -> int:
    """Move ``at`` to the nearest space within ``low``..``high`` so a snippet never cuts a word in half."""
    if at <= low or at >= high:
        return max(low, min(at, high))
    if backwards:
        space = body.rfind(" ", low, at)
        return space + 1 if space != -1 and at - space < 30 else at
    space = body.find(" ", at, high)
    return space if space != -1 and space - at < 30 else at


def highlight(text: str, words: list[str]) -> str:
    """``text`` as escaped HTML with ``words`` wrapped in ``<mark>``."""
    return mark(text, word_pattern(words)) if words else html.escape(text)
