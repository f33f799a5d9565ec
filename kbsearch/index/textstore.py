"""Each article's plain text and its page's HTML, read by position: no index opened, nothing parsed.

Two parts, stored alike: plain texts (for snippets) in segment files ``texts/<k>.bin``, with
``texts.rows.npy`` saying, for each row of the ranker, which segment holds its text and
between which byte offsets; and the article pages' bodies, rendered and sanitised once by the
reindex, in ``html/<k>.bin`` and ``html.rows.npy``. A full build writes one segment of each;
an incremental build hard-links the previous build's segments and adds one with the changed
articles', so it writes (and renders) what changed rather than every article (a segment is
never written again once made). The server maps each segment, so a snippet or a page reads
just its article's bytes and the page cache is shared by every worker.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kbsearch.index.layout import HTML_ROWS, HTML_SEGMENTS, TEXT_OFFSETS, TEXT_ROWS, TEXT_SEGMENTS, TEXTS

# each part's segment folder and its rows file
PARTS = {"texts": (TEXT_SEGMENTS, TEXT_ROWS), "html": (HTML_SEGMENTS, HTML_ROWS)}


def segment_path(folder: Path, segment: int, part: str = "texts") -> Path:
    return folder / PARTS[part][0] / f"{segment}.bin"


def write_segment(folder: Path, segment: int, data: bytes, part: str = "texts") -> None:
    (folder / PARTS[part][0]).mkdir(exist_ok=True)
    segment_path(folder, segment, part).write_bytes(data)


def write_rows(folder: Path, rows: np.ndarray, part: str = "texts") -> None:
    """Say where each row's text (or HTML) is: ``rows[i]`` is (segment, start, end)."""
    np.save(folder / PARTS[part][1], np.asarray(rows, dtype=np.int64).reshape(-1, 3))


def write(folder: Path, texts: Iterable[str], part: str = "texts") -> None:
    """Write ``texts`` as the rows of a store of one segment."""
    data = [text.encode("utf-8") for text in texts]
    ends = np.cumsum([len(d) for d in data], dtype=np.int64)
    write_segment(folder, 0, b"".join(data), part)
    write_rows(folder, np.column_stack([np.zeros(len(data), np.int64), ends - [len(d) for d in data], ends]), part)


class TextStore:
    """Read-only access to one part of a build (``texts`` or ``html``) by row.

    :raise FileNotFoundError: the build has no such part (``html``: made before pages were rendered).
    """

    def __init__(self, folder: Path, part: str = "texts"):
        segments, rows = PARTS[part]
        if part == "texts" and not (folder / rows).exists() and (folder / TEXT_OFFSETS).exists():
            offsets = np.load(folder / TEXT_OFFSETS)  # a build made before segments
            self.rows = np.column_stack([np.zeros(len(offsets) - 1, np.int64), offsets[:-1], offsets[1:]])
            self._data = {0: _mapped(folder / TEXTS)}
            return
        self.rows = np.load(folder / rows)
        self._data = {int(k): _mapped(segment_path(folder, int(k), part)) for k in np.unique(self.rows[:, 0])}

    def get(self, row: int) -> str:
        segment, start, end = self.rows[row].tolist()
        return self._data[segment][start:end].decode("utf-8")


def _mapped(path: Path) -> mmap.mmap | bytes:
    with open(path, "rb") as handle:
        # an empty file cannot be mapped; a build always has at least one article, but it may be blank
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""


class Spool:
    """Byte strings kept by key in an unnamed temporary file in ``folder``, not in memory, read back one by one.

    A full build's pages, rendered by the worker processes, are hundreds of megabytes: they
    wait here until the rows are written (``rowstore.encode``). The file has no name, so
    nothing of it is left in the build, and its space is free again once it is closed.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._file = None
        self._where: dict[str, tuple[int, int]] = {}
        self._size = 0

    def add(self, key: str, data: bytes) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self.folder)
        self._file.write(data)
        self._where[key] = (self._size, len(data))
        self._size += len(data)

    def get(self, key: str) -> bytes | None:
        """The bytes added under ``key``, or None."""
        if key not in self._where:
            return None
        self._file.flush()  # nothing to do once written out
        start, length = self._where[key]
        return os.pread(self._file.fileno(), length, start)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
