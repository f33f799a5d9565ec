"""Each article's plain text, read by position: snippets without opening an index.

Texts live in segment files ``texts/<k>.bin``, and ``texts.rows.npy`` says, for each row of
the ranker, which segment holds its text and between which byte offsets. A full build
writes one segment; an incremental build hard-links the previous build's segments and adds
one with the changed articles' texts, so it writes what changed rather than every text (a
segment is never written again once made). The server maps each segment, so a snippet reads
just its article's bytes and the page cache is shared by every worker.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kbsearch.index.layout import TEXT_OFFSETS, TEXT_ROWS, TEXT_SEGMENTS, TEXTS


def segment_path(folder: Path, segment: int) -> Path:
    return folder / TEXT_SEGMENTS / f"{segment}.bin"


def write_segment(folder: Path, segment: int, data: bytes) -> None:
    (folder / TEXT_SEGMENTS).mkdir(exist_ok=True)
    segment_path(folder, segment).write_bytes(data)


def write_rows(folder: Path, rows: np.ndarray) -> None:
    """Say where each row's text is: ``rows[i]`` is (segment, start, end)."""
    np.save(folder / TEXT_ROWS, np.asarray(rows, dtype=np.int64).reshape(-1, 3))


def write(folder: Path, texts: Iterable[str]) -> None:
    """Write ``texts`` as the rows of a store of one segment."""
    data = [text.encode("utf-8") for text in texts]
    ends = np.cumsum([len(d) for d in data], dtype=np.int64)
    write_segment(folder, 0, b"".join(data))
    write_rows(folder, np.column_stack([np.zeros(len(data), np.int64), ends - [len(d) for d in data], ends]))


class TextStore:
    """Read-only access to a build's texts by row."""

    def __init__(self, folder: Path):
        if not (folder / TEXT_ROWS).exists() and (folder / TEXT_OFFSETS).exists():  # a build made before segments
            offsets = np.load(folder / TEXT_OFFSETS)
            self.rows = np.column_stack([np.zeros(len(offsets) - 1, np.int64), offsets[:-1], offsets[1:]])
            self._data = {0: _mapped(folder / TEXTS)}
            return
        self.rows = np.load(folder / TEXT_ROWS)
        self._data = {int(k): _mapped(segment_path(folder, int(k))) for k in np.unique(self.rows[:, 0])}

    def get(self, row: int) -> str:
        segment, start, end = self.rows[row].tolist()
        return self._data[segment][start:end].decode("utf-8")


def _mapped(path: Path) -> mmap.mmap | bytes:
    with open(path, "rb") as handle:
        # an empty file cannot be mapped; a build always has at least one article, but it may be blank
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""
