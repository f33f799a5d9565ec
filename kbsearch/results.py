"""The search page's results: ranked, filtered, counted and paged on the build's matrices.

The same scoring as the suggestions panel (TF-IDF cosine fused with BM25F), over the
query's own word columns, so a page costs the articles sharing its words: totals and
facet counts are exact, and only the shown page reads article text, for snippets.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass

import numpy as np

from kbsearch import highlight as highlighting
from kbsearch import spelling, suggest, text
from kbsearch.live import LiveBuild

FACETS = ("type", "category", "subcategory")


@dataclass(frozen=True)
class Candidate:
    id: str
    title: str
    type: str
    category: str | None
    subcategory: str | None
    summary: str
    snippet: str
    score: float
    updated: str | None


@dataclass(frozen=True)
class SearchPage:
    results: list[Candidate]
    total: int
    page: int
    pages: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None


MAX_WORDS = 32  # a pasted essay still answers quickly: its first distinct words are enough
SNIPPET_CHARS = 240
FRAGMENTS = 2


def search_page(build: LiveBuild, q: str, filters: dict[str, str | None] | None = None, page: int = 1,
                per_page: int = 10) -> SearchPage:
    """One page of results for ``q``: best first, with facet counts and a "did you mean"."""
    ranker = build.ranker
    words = text.analyze_words(q)
    allowed = set(list(dict.fromkeys(stem for stem, _ in words))[:MAX_WORDS])
    words = [w for w in words if w[0] in allowed]
    scored = suggest.score(ranker, words, [], min_score=0.0)
    if scored is None:
        scores = np.zeros(len(ranker.ids_), dtype=np.float32)
    else:
        scores = scored[0]
    mask = scores > 0
    for name in FACETS:
        wanted = (filters or {}).get(name)
        if wanted:
            mask &= ranker.in_facet(name, wanted)
    matched = np.flatnonzero(mask)
    facets = {name: {str(labels[c]): int(n) for c, n in enumerate(np.bincount(codes[matched], minlength=len(labels)))
                     if n and labels[c]}
              for name, (labels, codes) in ranker.facets_.items()}
    total = len(matched)
    best = page_rows(matched, scores, page, per_page)
    prefixes = sorted({part for pair in words for part in pair}, key=len, reverse=True)  # longest match wins
    results = []
    for i in best:
        article_id = ranker.ids_[i]
        details = build.details[article_id]
        results.append(Candidate(
            id=article_id, title=details["title"], type=details["type"], category=details["category"] or None,
            subcategory=details["subcategory"] or None, summary=details["summary"],
            snippet=snippet(build.texts.get(i), prefixes) or html.escape(details["summary"]),
            score=float(scores[i]), updated=details["updated"]))
    suggestion = spelling.suggest_text(q, build.vocabulary) if build.vocabulary and total < 3 else None
    return SearchPage(results, total, page, (total + per_page - 1) // per_page, facets, suggestion)


def page_rows(matched: np.ndarray, scores: np.ndarray, page: int, per_page: int) -> np.ndarray:
    """The rows of one page of ``matched``, best first; ties in score go by row, so the pages
    of one query never repeat or skip an article."""
    shown = page * per_page
    candidates = matched
    if len(matched) > shown:  # every row scoring at least the page's last score, ties included
        cut = -np.partition(-scores[matched], shown - 1)[shown - 1]
        candidates = matched[scores[matched] >= cut]
    return candidates[np.lexsort((candidates, -scores[candidates]))][(page - 1) * per_page:shown]


def snippet(body: str, prefixes: list[str]) -> str:
    """Up to two passages of ``body`` holding the most distinct query words, escaped, words in ``<mark>``.

    A word matches when it starts with a query word or its stem ("administrator" finds
    "administrators"); one regular-expression pass finds them all.
    """
    if not body or not prefixes:
        return ""
    pattern = highlighting.word_pattern(prefixes)
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
    marked = highlighting.mark(body[start:end], pattern)
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
