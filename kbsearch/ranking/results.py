"""The search page's results: matched by the full-text index, ranked, counted and paged on the matrices.

The build's ``match`` (Whoosh, through ``kbsearch.index.matching``) says which articles a
query matches: all its words, else any, with phrases, fields, ``-word`` and ``prefix*``.
They are ordered by the suggestions panel's scoring (TF-IDF cosine fused with BM25F) of the
words searched for; totals and facet counts are those of the match set, exact, and only the
shown page reads article text, for snippets.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field

import numpy as np

from kbsearch.corpus import text
from kbsearch.ranking import snippets, spelling
from kbsearch.ranking.model import FACETS, TfidfRanker
from kbsearch.ranking.served import Matched, Served
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
    mode: str = "all"  # "any": no article had all the words; these have some (the page says so)
    more: list[Candidate] = field(default_factory=list)  # fewer than a page had all the words: some of them


NOTHING = Matched(np.zeros(0, dtype=np.int64), "all", [], [], np.zeros(0, dtype=np.int64))  # a query of no words
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
    found = build.match(q) or NOTHING
    stems = found.stems[:MAX_WORDS]
    searched = [(stem, stem) for stem in stems]
    added = added_synonyms(ranker, build.synonyms, {"q": (q, searched)})
    if added:  # as many as the words: a pasted essay does not grow without bound
        added["q"] = dict(list(added["q"].items())[:MAX_WORDS])
    scored = ranker.score({"q": searched}, added=added)
    scores = scored.scores if scored is not None else np.zeros(len(ranker), dtype=np.float32)
    scores = build.learned.boost(stems, scores, scored) if build.learned else scores  # never shown
    matched = _filtered(ranker, found.rows, filters)
    facets = ranker.facet_counts(matched)
    total = len(matched)
    best = page_rows(matched, scores, page, per_page)
    more = page_rows(_filtered(ranker, found.also, filters), scores, 1, per_page - len(best)) \
        if page == 1 and len(best) < per_page and len(found.also) else NOTHING.also
    wanted = set(found.stems + found.prefixes)
    typed = [word for stem, word in text.analyze_words(q) if stem in wanted]  # as written: "administrators"
    prefixes = sorted(wanted.union(typed), key=len, reverse=True)  # longest match wins

    def candidate(i: int) -> Candidate:
        article_id = ranker.article_id(i)
        details = build.details[article_id]
        return Candidate(
            id=article_id, title=details["title"], type=details["type"], category=details["category"] or None,
            subcategory=details["subcategory"] or None, summary=details["summary"],
            snippet=snippets.snippet(build.texts.get(i), prefixes, wanted) or html.escape(details["summary"]),
            score=float(scores[i]), updated=details["updated"])
    within_budget = time.perf_counter() - started < OPTIONAL_SECONDS
    suggestion = spelling.suggest_text(q, build.vocabulary, known=ranker.knows) if build.vocabulary and total < 3 and within_budget \
        else None
    return SearchPage([candidate(i) for i in best], total, page, (total + per_page - 1) // per_page, facets,
                      suggestion, found.mode, [candidate(i) for i in more])


def _filtered(ranker: TfidfRanker, rows: np.ndarray, filters: dict[str, str | None] | None) -> np.ndarray:
    """``rows`` in every facet ``filters`` asks for, ascending."""
    if not any((filters or {}).values()):
        return rows
    mask = np.zeros(len(ranker), dtype=bool)
    mask[rows] = True
    for name in FACETS:
        wanted = (filters or {}).get(name)
        if wanted:
            mask &= ranker.in_facet(name, wanted)
    return np.flatnonzero(mask)


def page_rows(matched: np.ndarray, scores: np.ndarray, page: int, per_page: int) -> np.ndarray:
    """The rows of one page of ``matched``, best first; ties in score go by row, so the pages
    of one query never repeat or skip an article."""
    shown = page * per_page
    candidates = matched
    if len(matched) > shown:  # every row scoring at least the page's last score, ties included
        cut = -np.partition(-scores[matched], shown - 1)[shown - 1]
        candidates = matched[scores[matched] >= cut]
    return candidates[np.lexsort((candidates, -scores[candidates]))][(page - 1) * per_page:shown]
