"""The Whoosh full-text index: schema, writing a build, and searching it.

The only module that imports Whoosh. Callers get plain ``Candidate`` dataclasses, never
Whoosh objects, because hits are only readable while their searcher is open.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index, query, sorting
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter

from kbsearch.text import STOP_WORDS
from kbsearch import spelling
from kbsearch.articles import Article

# Titles say what an article solves, summaries and tags say it in other words, and the
# body says everything else: weight them in that order (BM25F field boosts).
FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "tags": 2.0, "body": 1.0}


def make_schema() -> Schema:
    analyzer = StemmingAnalyzer(stoplist=STOP_WORDS)  # the same words as the suggestions model
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(stored=True, analyzer=analyzer, field_boost=FIELD_BOOSTS["title"]),
        summary=TEXT(stored=True, analyzer=analyzer, field_boost=FIELD_BOOSTS["summary"]),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True, field_boost=FIELD_BOOSTS["tags"]),
        body=TEXT(stored=True, analyzer=analyzer),
        type=ID(stored=True),
        category=ID(stored=True),
        subcategory=ID(stored=True),
        updated=STORED(),
        markdown=STORED(),  # the cleaned Markdown, for the article page
    )


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


def _document(article: Article) -> dict:
    return {
        "id": article.id,
        "title": article.title,
        "summary": article.summary,
        "tags": ",".join(article.tags),
        "body": article.text,
        "type": article.type,
        "category": article.category or "",
        "subcategory": article.subcategory or "",
        "updated": article.updated.isoformat() if article.updated else None,
        "markdown": article.body,
    }


def write_index(articles: Iterable[Article], directory: Path,
                progress: Callable[[int], None] | None = None) -> int:
    """Write a complete index of ``articles`` into an empty ``directory``; return the count.

    Only ever called on a fresh build directory: rebuilding a live index in place would show
    readers an empty index until the commit (see STYLE.md).
    """
    directory.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(directory), make_schema())
    count = 0
    with ix.writer(limitmb=256) as writer:
        for article in articles:
            writer.add_document(**_document(article))
            count += 1
            if progress:
                progress(1)
    return count


def open_index(directory: Path) -> index.Index:
    """Open a build's index.

    :raise whoosh.index.EmptyIndexError: no index in ``directory`` (the caller reports it).
    """
    return index.open_dir(str(directory))


def get_document(ix: index.Index, article_id: str) -> dict | None:
    """The stored fields of one article, or None when the build does not hold it."""
    with ix.searcher() as searcher:
        fields = searcher.document(id=article_id)
        return dict(fields) if fields else None


@dataclass(frozen=True)
class SearchPage:
    results: list[Candidate]
    total: int
    page: int
    pages: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None


MAX_TERMS = 32  # a pasted essay still answers quickly: its first distinct words are enough
FACETS = ("type", "category", "subcategory")
_WORD = re.compile(r"\w+")
_MARK = re.compile(r'<mark class="[^"]*">')  # Whoosh numbers its classes; plain <mark> is all we allow


def build_query(ix: index.Index, text: str) -> query.Query | None:
    """An OR over the words of ``text`` in every field, rewarding documents that match more.

    Built from analysed words, not parsed: no input can be a syntax error, and operators or
    field names a customer types are just words.
    """
    analyzer = ix.schema["body"].analyzer
    stems = list(dict.fromkeys(t.text for t in analyzer(text)))[:MAX_TERMS]
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))[:MAX_TERMS]
    clauses = []
    for stem in stems:
        clauses.extend(query.Term(f, stem) for f in ("title", "summary", "body"))
    clauses.extend(query.Term("tags", w) for w in words)
    if not stems and not words:
        return None
    return query.Or(clauses, scale=0.9)


def search_articles(ix: index.Index, text: str, filters: dict[str, str] | None = None,
                    page: int = 1, per_page: int = 10,
                    vocabulary: dict[str, int] | None = None) -> SearchPage:
    """One page of results for ``text``, with facet counts.

    :param vocabulary: the build's words; when given and results are few, ``suggestion``
        holds the text with unknown words corrected ("did you mean").
    """
    q = build_query(ix, text)
    if q is None:
        return SearchPage([], 0, page, 0, {f: {} for f in FACETS}, None)
    filter_q = query.And([query.Term(k, v) for k, v in (filters or {}).items() if v]) if filters else None
    with ix.searcher() as searcher:
        facets = sorting.Facets()
        for name in FACETS:
            facets.add_field(name)
        results = searcher.search(q, filter=filter_q or None, limit=page * per_page, terms=True,
                                  groupedby=facets, maptype=sorting.Count)
        results.fragmenter = ContextFragmenter(maxchars=240, surround=80)
        results.formatter = HtmlFormatter(tagname="mark")
        total = len(results)
        hits = [_candidate(hit) for hit in results[(page - 1) * per_page: page * per_page]]
        counts = {name: {k: v for k, v in sorted(results.groups(name).items()) if k}
                  for name in FACETS}
        suggestion = spelling.suggest_text(text, vocabulary) if vocabulary and total < 3 else None
    pages = (total + per_page - 1) // per_page
    return SearchPage(hits, total, page, pages, counts, suggestion)


def _candidate(hit) -> Candidate:
    return Candidate(
        id=hit["id"], title=hit["title"], type=hit["type"],
        category=hit["category"] or None, subcategory=hit["subcategory"] or None,
        summary=hit["summary"], snippet=_MARK.sub("<mark>", hit.highlights("body", top=2)) or html.escape(hit["summary"]),
        score=float(hit.score), updated=hit.get("updated"),
    )


def find(ix: index.Index, text: str, limit: int = 10) -> list[Candidate]:
    """The ``limit`` best matches for ``text``, best first."""
    return search_articles(ix, text, per_page=limit).results
