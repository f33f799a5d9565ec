"""The served articles as a reindex keeps them, one row each, in segments later builds hard-link.

Everything a build writes is a function of per-article parts: a text, the page's HTML, a
catalog entry, word counts (``weights.field_counts``), spelling words, and for the full-text
index the article and its analysis. A build keeps them as a row per served article, in
segments: a full build writes one segment with every row; an incremental build hard-links the
previous build's segments, writes one more with the changed articles' rows, and puts rows of
several segments together with a few slices (rows run in folder order). It reads and writes what changed,
plus the outputs. All of it is data: JSON, raw bytes and ``.npy`` arrays, never a pickle.

A segment is never written again once made (a published build is never modified): rows of
changed or removed articles stay in theirs, unused, until the reindex rewrites it
(``assemble``). Files: ``texts/<k>.bin`` and ``html/<k>.bin`` (served: ``textstore``) and
``rows/<k>.*`` (only the reindex reads them; ``rowread`` reads them back). An article's HTML
is rendered once, when its row is made: an incremental build renders the changed articles only.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kbsearch.corpus import render
from kbsearch.corpus.articles import Article
from kbsearch.corpus.words import ArticleWords, Counts
from kbsearch.index import textstore
from kbsearch.index.layout import ROWS
from kbsearch.index.strings import Strings
from kbsearch.ranking import weights
from kbsearch.ranking.model import FACETS

BLOBS = ("texts", "markdown", "catalog", "analysis", "html")  # byte strings: the offsets' first columns, in order
SERVED = ("texts", "html")  # of BLOBS, those the server reads (``textstore``): not in rows/
TERMS = len(BLOBS)  # the offsets' last column: where each row's word counts start
ARRAYS = ("offsets", "parts", "terms", "counts")
JSONS = ("meta", "articles")
# An article's analysis, verbatim: its fields' packed stems, its spelling words, its fields' counts
ANALYSIS = 10
FIELDS = ("title", "summary", "tags", "body")
# what ``articles`` holds of each, besides id, facets, text, Markdown and HTML
KEPT = ("title", "status", "audience", "language", "tags", "summary", "updated", "path", "id_line")


@dataclass
class Rows:
    """Served articles' parts, row after row: ``offsets[i]`` is where row ``i`` starts in each part."""

    ids: list[str]
    facets: dict[str, list[str]]  # type, category, subcategory of each row ("" for none)
    articles: list[list]  # KEPT fields of each row (category and subcategory are facets)
    offsets: np.ndarray  # (rows + 1, 6): in each of BLOBS, and in terms/counts
    texts: bytes | None  # plain texts, UTF-8 (served); None once in the segment's file (``encode``)
    markdown: bytes | None  # cleaned Markdown, UTF-8
    catalog: bytes | None  # ', "id": {details}' per row: catalog.json is these joined
    analysis: bytes | None  # each article's analysis, verbatim, in ANALYSIS pieces (``parts``)
    html: bytes | None  # the article page's body, rendered and sanitised (``render.article_html``), UTF-8
    parts: np.ndarray  # (rows, ANALYSIS): the lengths of each row's analysis pieces
    terms: np.ndarray  # term numbers (``Strings``); each row's in string order
    counts: np.ndarray  # (weights.FIELDS, terms): title, summary and tags, whole text (unsigned)


def details(article: Article) -> dict:
    """The display fields of an article, as the server keeps them in memory."""
    return {"title": article.title, "type": article.type, "category": article.category,
            "subcategory": article.subcategory, "summary": article.summary,
            "updated": article.updated.isoformat() if article.updated else None}


def encode(articles: Sequence[Article], words: Sequence[ArticleWords], terms: Strings, folder: Path,
           segment: int, html: Iterable[bytes | None] | None = None) -> Rows:
    """The rows of articles parsed by this build, for ``write``; their new words join the table of terms.

    Their texts, Markdown, catalog entries, analyses and HTML go straight to the segment's files
    in ``folder`` (a full build's are gigabytes): those parts of the rows are None.

    :param html: each article's page body (UTF-8), when a worker process rendered it already;
        the others (None, or all when ``html`` is None) are rendered here.
    """
    paths = files(folder, segment)
    for path in paths.values():
        path.parent.mkdir(exist_ok=True)
    parts = np.zeros((len(words), ANALYSIS), dtype=np.int64)
    at = [_stream(paths["texts"], (a.text.encode("utf-8") for a in articles)),
          _stream(paths["markdown"], (a.body.encode("utf-8") for a in articles)),
          _stream(paths["catalog"], (f", {json.dumps(a.id, ensure_ascii=False)}: "
                                     f"{json.dumps(details(a), ensure_ascii=False)}".encode() for a in articles)),
          _stream(paths["analysis"], (_analysis(w, parts[i]) for i, w in enumerate(words))),
          _stream(paths["html"], (h if h is not None else render.article_html(a.body).encode("utf-8")
                                  for a, h in zip(articles, [None] * len(articles) if html is None else html,
                                                  strict=True)))]
    if articles:
        names, indptr, columns, counts = weights.field_counts(words)
    else:
        names, indptr, columns, counts = [], np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros((3, 0), np.int32)
    counts = counts.astype(np.min_scalar_type(int(counts.max()) if counts.size else 0))  # most fit 16 bits
    kept = [[a.updated.isoformat() if k == "updated" and a.updated else getattr(a, k) for k in KEPT]
            for a in articles]
    return Rows([a.id for a in articles], {name: [getattr(a, name) or "" for a in articles] for name in FACETS},
                kept, np.column_stack([*at, indptr]), None, None, None, None, None, parts,
                terms.ids(names)[columns].astype(np.int32), counts)


def _stream(path: Path, pieces: Iterable[bytes]) -> np.ndarray:
    """Write the pieces one after the other; return where each starts."""
    lengths = []
    with open(path, "wb") as out:
        for piece in pieces:
            out.write(piece)
            lengths.append(len(piece))
    return starts(lengths)


def _analysis(words: ArticleWords, lengths: np.ndarray) -> bytes:
    """An article's analysis as one byte string; ``lengths`` gets the length of each of its ANALYSIS pieces."""
    fields = [getattr(words, name) for name in FIELDS]
    pieces = ([f.packed.encode("utf-8") for f in fields] + [words.packed_spelling.encode("utf-8"),
              words.packed_title_spelling.encode("utf-8")] + [f.counts for f in fields])
    lengths[:] = [len(p) for p in pieces]
    return b"".join(pieces)


def decode(analysis: bytes, parts: np.ndarray) -> ArticleWords:
    """One article's analysis, as the loader made it."""
    ends = np.cumsum(parts).tolist()
    piece = [analysis[start:end] for start, end in zip([0] + ends[:-1], ends)]
    fields = [Counts(piece[k].decode("utf-8"), bytes(piece[6 + k])) for k in range(len(FIELDS))]
    return ArticleWords(*fields, piece[4].decode("utf-8"), piece[5].decode("utf-8"))


def spelling_counts(words: Iterable[ArticleWords], table: Strings) -> tuple[np.ndarray, np.ndarray]:
    """How many of the articles use each word of ``table``, and have it in their title (new words join it)."""
    spelled = [w.spelling() for w in words]
    counted = [Counter(itertools.chain.from_iterable(s[k] for s in spelled)) for k in (0, 1)]
    names = sorted(counted[0])  # a title's words are among its article's
    numbers = table.ids(names)
    out = []
    for counter in counted:
        total = np.zeros(len(table), dtype=np.int64)
        total[numbers] = [counter.get(name, 0) for name in names]
        out.append(total)
    return out[0], out[1]


def starts(lengths: Iterable[int]) -> np.ndarray:
    """Where each of consecutive pieces of these lengths starts, and the end of the last."""
    lengths = np.fromiter(lengths, dtype=np.int64)
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def files(folder: Path, segment: int) -> dict[str, Path]:
    """Every file of one segment, by part."""
    rows = folder / ROWS
    return {**{name: textstore.segment_path(folder, segment, name) if name in SERVED else
               rows / f"{segment}.{name}.bin" for name in BLOBS},
            **{name: rows / f"{segment}.{name}.npy" for name in ARRAYS},
            **{name: rows / f"{segment}.{name}.json" for name in JSONS}}


def write(folder: Path, segment: int, rows: Rows) -> None:
    """Write ``rows`` as segment ``segment`` of the build in ``folder`` (parts that are None are written)."""
    (folder / ROWS).mkdir(exist_ok=True)
    paths = files(folder, segment)
    for name in BLOBS:
        if getattr(rows, name) is None:
            continue
        if name in SERVED:
            textstore.write_segment(folder, segment, getattr(rows, name), name)
        else:
            paths[name].write_bytes(getattr(rows, name))
    for name in ARRAYS:
        np.save(paths[name], getattr(rows, name))
    meta = {"meta": {"ids": rows.ids, "facets": rows.facets}, "articles": rows.articles}
    for name in JSONS:
        paths[name].write_text(json.dumps(meta[name], ensure_ascii=False), encoding="utf-8")


def link(source: Path, target: Path, segment: int) -> None:
    """Share a segment of build ``source`` with build ``target`` (hard links: neither is ever written again)."""
    new = files(target, segment)
    for name, old in files(source, segment).items():
        new[name].parent.mkdir(exist_ok=True)
        os.link(old, new[name])
