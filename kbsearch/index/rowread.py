"""Reading rows back from a build's segments (``rowstore``): a few slices per stretch of rows.

Rows are asked for as runs, stretches of consecutive rows of one segment; a build's rows
are in folder order, so an incremental build's rows are a few long runs of the previous
segments with the changed articles' rows between them, and putting them together is a copy
of each part rather than work per article. Files are mapped, not read, until sliced.
"""

from __future__ import annotations

import datetime as dt
import json
import mmap
from pathlib import Path

import numpy as np

from kbsearch.corpus.articles import Article
from kbsearch.corpus.words import ArticleWords
from kbsearch.index.rowstore import (
    ANALYSIS,
    BLOBS,
    KEPT,
    TERMS,
    Rows,
    decode,
    files,
    starts,
)
from kbsearch.ranking.model import FACETS

Run = tuple[int, int, int]  # segment, first row, end row


def runs(segments: np.ndarray, rows: np.ndarray) -> list[Run]:
    """Rows as stretches of consecutive rows of one segment: a few slices to copy rather than a row each."""
    if not len(rows):
        return []
    breaks = np.flatnonzero((np.diff(segments) != 0) | (np.diff(rows) != 1)) + 1
    first, end = np.r_[0, breaks], np.r_[breaks, len(rows)]
    return list(zip(segments[first].tolist(), rows[first].tolist(), (rows[end - 1] + 1).tolist()))


class Store:
    """The segments of one build folder, opened as they are needed."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._open: dict[tuple[int, str], object] = {}

    def part(self, segment: int, name: str):
        """One part of one segment: JSON parsed, bytes and arrays mapped."""
        if (segment, name) not in self._open:
            path = files(self.folder, segment)[name]
            if path.suffix == ".json":
                value = json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".npy":
                value = np.load(path, mmap_mode="r", allow_pickle=False)
            else:
                with open(path, "rb") as handle:
                    value = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""
            self._open[segment, name] = value
        return self._open[segment, name]

    def _pieces(self, runs: list[Run], column: int, name: str) -> tuple[list, np.ndarray]:
        """Each run's slice of one part, and the length of each row in it."""
        pieces, lengths = [], []
        for segment, first, end in runs:
            offsets = self.part(segment, "offsets")[first:end + 1, column]
            data, start, stop = self.part(segment, name), int(offsets[0]), int(offsets[-1])
            pieces.append(data[..., start:stop] if isinstance(data, np.ndarray) else data[start:stop])
            lengths.append(np.diff(offsets))
        return pieces, np.concatenate(lengths) if lengths else np.zeros(0, np.int64)

    def joined(self, runs: list[Run], name: str) -> bytes:
        """One of BLOBS (texts, catalog entries, ...) of these rows, joined."""
        return b"".join(self._pieces(runs, BLOBS.index(name), name)[0])

    def counts(self, runs: list[Run]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Term numbers, counts and row pointers of these rows, as ``weights.field_counts`` gives them."""
        terms, lengths = self._pieces(runs, TERMS, "terms")
        counts = self._pieces(runs, TERMS, "counts")[0]
        return np.concatenate(terms), np.concatenate(counts, axis=1), starts(lengths)

    def text_rows(self, runs: list[Run], name: str = "texts") -> np.ndarray:
        """Where each row's text (or, for ``html``, its page) is: (segment, start, end), as ``textstore`` reads it."""
        parts = [np.zeros((0, 3), np.int64)]
        for segment, first, end in runs:
            offsets = self.part(segment, "offsets")[first:end + 1, BLOBS.index(name)]
            parts.append(np.column_stack([np.full(end - first, segment), offsets[:-1], offsets[1:]]))
        return np.concatenate(parts).astype(np.int64)

    def _listed(self, runs: list[Run], name: str, key: str | None = None) -> list:
        out: list = []
        for segment, first, end in runs:
            value = self.part(segment, name)
            out += (value[key] if key else value)[first:end]
        return out

    def meta(self, runs: list[Run]) -> tuple[list[str], dict[str, list[str]]]:
        """The ids and facet values of these rows."""
        facets = {name: [] for name in FACETS}
        for segment, first, end in runs:
            for name in FACETS:
                facets[name] += self.part(segment, "meta")["facets"][name][first:end]
        return self._listed(runs, "meta", "ids"), facets

    def analyses(self, runs: list[Run]) -> list[ArticleWords]:
        """Each row's analysis, as the loader made it."""
        parts = np.concatenate([self.part(segment, "parts")[first:end] for segment, first, end in runs]
                               or [np.zeros((0, ANALYSIS), np.int64)])
        blob, ends = self.joined(runs, "analysis"), starts(parts.sum(axis=1)).tolist()
        return [decode(blob[ends[i]:ends[i + 1]], parts[i]) for i in range(len(parts))]

    def articles(self, runs: list[Run]) -> list[Article]:
        """Each row's article, as the loader parsed it (``extra``, the unknown front-matter keys, left out)."""
        ids, facets = self.meta(runs)
        kept = self._listed(runs, "articles")
        texts, markdown = (self._split(runs, name) for name in ("texts", "markdown"))
        out = []
        for i, values in enumerate(kept):
            fields = dict(zip(KEPT, values))
            updated, tags = fields.pop("updated"), tuple(fields.pop("tags"))
            out.append(Article(id=ids[i], type=facets["type"][i], category=facets["category"][i] or None,
                               subcategory=facets["subcategory"][i] or None, body=markdown[i], text=texts[i],
                               updated=dt.date.fromisoformat(updated) if updated else None, tags=tags, **fields))
        return out

    def _split(self, runs: list[Run], name: str) -> list[str]:
        pieces, lengths = self._pieces(runs, BLOBS.index(name), name)
        blob, ends = b"".join(pieces), starts(lengths).tolist()
        return [blob[ends[i]:ends[i + 1]].decode("utf-8") for i in range(len(lengths))]

    def rows(self, runs: list[Run]) -> Rows:
        """These rows as one batch, to write them again as a new segment."""
        ids, facets = self.meta(runs)
        blobs = [self._pieces(runs, column, name) for column, name in enumerate(BLOBS)]
        terms, counts, indptr = self.counts(runs)
        parts = np.concatenate([self.part(segment, "parts")[first:end] for segment, first, end in runs]
                               or [np.zeros((0, ANALYSIS), np.int64)])
        offsets = np.column_stack([starts(lengths) for _, lengths in blobs] + [indptr])
        return Rows(ids, facets, self._listed(runs, "articles"), offsets, *(b"".join(p) for p, _ in blobs),
                    parts, terms, counts)
