"""The Whoosh full-text index: schema, writing a build, and searching it.

The only module that imports Whoosh. Callers get plain ``Candidate`` dataclasses, never
Whoosh objects, because hits are only readable while their searcher is open.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index, writing
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.qparser import MultifieldParser, OrGroup

from kbsearch.articles import Article

# Titles say what an article solves, summaries and tags say it in other words, and the
# body says everything else: weight them in that order (BM25F field boosts).
FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "tags": 2.0, "body": 1.0}


def make_schema() -> Schema:
    analyzer = StemmingAnalyzer()
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
    # A merge recomputes the field-length totals BM25F normalises by, and an incremental
    # update ends in one; ending the full build in one too makes both score identically.
    ix.optimize()
    return count


def update_index(directory: Path, changed: Iterable[Article], removed: Iterable[str]) -> None:
    """Apply an incremental change to a copy of a previous build's index.

    The commit merges everything into one segment so term statistics (and therefore scores)
    match a full build of the same articles.
    """
    ix = index.open_dir(str(directory))
    with ix.writer(limitmb=256) as writer:
        for article_id in removed:
            writer.delete_by_term("id", article_id)
        for article in changed:
            writer.update_document(**_document(article))
        writer.mergetype = writing.OPTIMIZE


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


def find(ix: index.Index, text: str, limit: int = 10) -> list[Candidate]:
    """Search title, summary, tags and body with OR-plus-coordination; best first."""
    parser = MultifieldParser(list(FIELD_BOOSTS), ix.schema, group=OrGroup.factory(0.9))
    query = parser.parse(text)
    with ix.searcher() as searcher:
        results = searcher.search(query, limit=limit, terms=True)
        results.fragmenter = ContextFragmenter(maxchars=200, surround=60)
        results.formatter = HtmlFormatter(tagname="mark")
        return [
            Candidate(
                id=hit["id"], title=hit["title"], type=hit["type"],
                category=hit["category"] or None, subcategory=hit["subcategory"] or None,
                summary=hit["summary"], snippet=hit.highlights("body") or html.escape(hit["summary"]),
                score=float(hit.score), updated=hit.get("updated"),
            )
            for hit in results
        ]
