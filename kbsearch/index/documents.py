"""What the full-text index is given for each article, where a build keeps its shards, and what a query found.

Kept apart from ``fulltext`` (the one module that imports Whoosh) because none of it needs
Whoosh: the fields of an article's document, the shard folders of a build's index, and the
plain data ``fulltext.find`` answers with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kbsearch.corpus import text
from kbsearch.corpus.articles import Article

# A customer's word is looked for in one field, ``text``: the title, summary, tags and body
# in that order. Matching then reads one posting list a word, not four; ranking is the model's.
# ``title`` is kept apart for ``title:`` queries (and the title boost of Whoosh's BM25F peer).
TITLE_BOOST = 3.0
GAP = 100  # positions between the parts of ``text``
MAX_EXPANSIONS = 64  # a prefix stands for at most this many words, the first in order


@dataclass(frozen=True)
class Found:
    """What ``fulltext.find`` found: plain data, read before its searcher closed."""

    docs: np.ndarray  # a mask over document numbers: those matched (deleted ones too)
    searched: list[tuple[str, str]]  # (field, word) pairs asked for, prefixes expanded, "-word" included


def as_str(term: str | bytes) -> str:
    """A term as Whoosh gives it (bytes from a lexicon, str from a query) as text."""
    return term.decode("utf-8") if isinstance(term, bytes) else term


def document(article: Article) -> dict:
    """``article`` as the fields of the schema: text fields as their words' positions
    (``text.positions``, one pass each), the rest as Whoosh stores them."""
    title = text.positions([article.title])
    words = text.positions([article.title, article.summary, " ".join(article.tags), article.text], GAP)
    return {
        "id": article.id,
        "title": title,
        "_stored_title": article.title,
        "text": words,

        "summary": article.summary,
        "type": article.type,
        "category": article.category or "",
        "subcategory": article.subcategory or "",
        "updated": article.updated.isoformat() if article.updated else None,
    }


def shards(directory: Path) -> list[Path]:
    """The shard folders of the index in ``directory`` (``0``, ``1``, …), in order."""
    return sorted((p for p in Path(directory).glob("[0-9]*") if p.name.isdigit()), key=lambda p: int(p.name))


def link_shard(shard: Path, target: Path) -> None:
    """Hard-link the files of ``shard`` into a new folder ``target`` (Whoosh never rewrites a file)."""
    target.mkdir(parents=True)
    for path in shard.iterdir():
        if path.is_file() and not path.name.endswith("LOCK"):
            os.link(path, target / path.name)


def documents_by_id(ix) -> dict[str, int]:
    """Each article id with its document number in ``ix`` (deleted documents left out), read from
    each segment's term table, where an id's one document is its ``min_id`` (postings: 7x slower)."""
    found = {}
    with ix.searcher() as searcher:
        for sub, offset in searcher.subsearchers or [(searcher, 0)]:
            reader = sub.reader()
            for term, info in reader.iter_field("id"):
                docs = [info.min_id()] if info.min_id() == info.max_id() else reader.postings("id", term).all_ids()
                found.update((as_str(term), offset + d) for d in docs if not reader.is_deleted(d))
    return found
