"""The search page's results: ranked, filtered, counted and paged on the build's matrices.

The same scoring as the suggestions panel (TF-IDF cosine fused with BM25F), over the
query's own word columns, so a page costs the articles sharing its words: totals and
facet counts are exact, and only the shown page reads article text, for snippets.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass

import numpy as np

from kbsearch.corpus import text
from kbsearch.ranking import snippets, spelling
from kbsearch.ranking.model import FACETS
from kbsearch.ranking.served import Served
from kbsearch.ranking.suggest import added_synonyms


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
OPTIONAL_SECONDS = 0.25  # spent on ranking already: skip the optional "did you mean"


def search_page(build: Served, q: str, filters: dict[str, str | None] | None = None, page: int = 1,
                per_page: int = 10) -> SearchPage:
    """One page of results for ``q``: best first, with facet counts and a "did you mean".

    "Did you mean" is optional work: a request that already spent ``OPTIONAL_SECONDS`` goes
    without it rather than keep a worker longer.
    """
    started = time.perf_counter()
    ranker = build.ranker
    words = text.analyze_words(q)
    allowed = set(list(dict.fromkeys(stem for stem, _ in words))[:MAX_WORDS])
    words = [w for w in words if w[0] in allowed]
    added = added_synonyms(ranker, build.synonyms, {"q": (q, words)})
    if added:  # as many as the words: a pasted essay does not grow without bound
        added["q"] = dict(list(added["q"].items())[:MAX_WORDS])
    scored = ranker.score({"q": words}, added=added)
    scores = scored.scores if scored is not None else np.zeros(len(ranker), dtype=np.float32)
    scores = build.learned.boost((s for s, _ in words), scores, scored) if build.learned else scores  # never shown
    mask = scores > 0
    for name in FACETS:
        wanted = (filters or {}).get(name)
        if wanted:
            mask &= ranker.in_facet(name, wanted)
    matched = np.flatnonzero(mask)
    facets = ranker.facet_counts(matched)
    total = len(matched)
    best = page_rows(matched, scores, page, per_page)
    prefixes = sorted({part for pair in words for part in pair}, key=len, reverse=True)  # longest match wins
    results = []
    for i in best:
        article_id = ranker.article_id(i)
        details = build.details[article_id]
        results.append(Candidate(
            id=article_id, title=details["title"], type=details["type"], category=details["category"] or None,
            subcategory=details["subcategory"] or None, summary=details["summary"],
            snippet=snippets.snippet(build.texts.get(i), prefixes) or html.escape(details["summary"]),
            score=float(scores[i]), updated=details["updated"]))
    within_budget = time.perf_counter() - started < OPTIONAL_SECONDS
    suggestion = spelling.suggest_text(q, build.vocabulary) if build.vocabulary and total < 3 and within_budget \
        else None
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
