"""Each article's plain text in one file, read by position: snippets without opening an index.

The build writes the texts in the ranker's row order into ``texts.bin`` with their byte
offsets in ``texts.offsets.npy``; the server maps the file, so a snippet reads just its
article's bytes and the page cache is shared by every worker.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kbsearch.index.layout import TEXT_OFFSETS as OFFSETS
from kbsearch.index.layout import TEXTS as DATA


def write(folder: Path, texts: Iterable[str]) -> None:
    offsets = [0]
    with open(folder / DATA, "wb") as out:
        for text in texts:
            data = text.encode("utf-8")
            out.write(data)
            offsets.append(offsets[-1] + len(data))
    np.save(folder / OFFSETS, np.array(offsets, dtype=np.int64))


class TextStore:
    """Read-only access to a build's texts by row."""

    def __init__(self, folder: Path):
        self.offsets = np.load(folder / OFFSETS)
        with open(folder / DATA, "rb") as handle:
            # an empty file cannot be mapped; a build always has at least one article, but it may be blank
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if self.offsets[-1] else b""

    def get(self, row: int) -> str:
        return self._data[self.offsets[row]:self.offsets[row + 1]].decode("utf-8")
