"""The Whoosh full-text index: schema, writing a build, and searching it.

The only module that imports Whoosh. Callers get plain ``Candidate`` dataclasses, never
Whoosh objects, because hits are only readable while their searcher is open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import index, query
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from kbsearch.articles import Article
from kbsearch.text import STOP_WORDS

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
        body=TEXT(analyzer=analyzer),  # plain text for snippets is in the build's texts.bin
        type=ID(stored=True),
        category=ID(stored=True),
        subcategory=ID(stored=True),
        updated=STORED(),
        markdown=STORED(),  # the cleaned Markdown, for the article page
    )


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


MAX_TERMS = 32  # a pasted essay still answers quickly: its first distinct words are enough
_WORD = re.compile(r"\w+")


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


def rank(ix: index.Index, text: str, limit: int = 10) -> list[tuple[str, float]]:
    """Whoosh's own BM25F ranking of ``text``: (id, score) pairs, best first.

    Not on the serving path (pages and suggestions rank on the model's matrices); kept as a
    peer for ``kbsearch evaluate --peers``.
    """
    q = build_query(ix, text)
    if q is None:
        return []
    with ix.searcher() as searcher:
        return [(hit["id"], float(hit.score)) for hit in searcher.search(q, limit=limit)]
