"""The reindex's cache: what an incremental build takes over from the build before it.

Data, never a pickle: ``cache.json`` (paths, string tables, labels) and ``cache.npz`` (arrays)
in the build folder, beside the row segments (``rowstore``). It lists every article file the
build kept, served or hidden, in folder order: its signature and content digest (an unchanged
file is not read again), a digest of its id (to find duplicates), and where its row is.
Rejected and duplicate files are not kept: every build parses them again, so their problems
are reported each time. A build folder may be copied to servers, so a hidden article is in it
only as digests of its path and id, never in words (``tests/test_visibility.py``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kbsearch.index.layout import CACHE
from kbsearch.index.strings import Strings

FORMAT = 2  # bump when the cache or the rows change: the next build is then a full one (2: rows hold pages' HTML)
CODED = ("type", "status", "audience")  # counted in the manifest for every kept article
_ARRAYS = ("hidden", "signatures", "digests", "id_keys", "id_lines", "codes", "segments", "rows",
           "word_counts", "title_counts")


def key(text: str) -> bytes:
    """A digest of a path or id: tells two apart without saying what they are."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@dataclass
class State:
    """Every kept article file of a build, in folder order, and the tables its rows use."""

    fingerprint: str
    paths: list[str]  # a served article's path; for a hidden one, the hex digest of its path
    hidden: np.ndarray  # bool
    signatures: np.ndarray  # (n, 5) int64: size, mtime, ctime, inode, device; -1 to read the file again
    digests: np.ndarray  # "S64": the hex sha256 of the file's bytes
    id_keys: np.ndarray  # "S16": ``key`` of the id
    id_lines: np.ndarray  # int32: where a duplicate id is reported
    codes: np.ndarray  # (n, 3) int32: CODED values, as positions in ``labels``
    segments: np.ndarray  # int32: the segment of the article's row; -1 when hidden (no row)
    rows: np.ndarray  # int32: its row in that segment
    terms: Strings = field(default_factory=Strings)
    words: Strings = field(default_factory=Strings)
    word_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # served articles using a word
    title_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # ... in their title
    labels: list[list[str]] = field(default_factory=lambda: [[] for _ in CODED])
    stored: dict[int, int] = field(default_factory=dict)  # rows each segment holds, used or not
    next_segment: int = 0

    @property
    def served(self) -> np.ndarray:
        """Positions of the served articles: rows of the model, texts and catalog, in this order."""
        return np.flatnonzero(self.segments >= 0)

    def code(self, k: int, value: str) -> int:
        """The code of ``value`` in column ``k`` of ``codes`` (a new value gets the next one)."""
        if value not in self.labels[k]:
            self.labels[k].append(value)
        return self.labels[k].index(value)


def save(state: State, folder: Path) -> None:
    meta = {"format": FORMAT, "fingerprint": state.fingerprint, "paths": state.paths, "labels": state.labels,
            "terms": state.terms.items, "words": state.words.items,
            "stored": {str(k): n for k, n in state.stored.items()}, "next_segment": state.next_segment}
    (folder / f"{CACHE}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with open(folder / f"{CACHE}.npz", "wb") as handle:
        np.savez(handle, term_order=state.terms.order, word_order=state.words.order,
                 **{name: getattr(state, name) for name in _ARRAYS})


def load(folder: Path, fingerprint: str | None = None) -> State | None:
    """The cache of build ``folder``, or None when it has none or it was made another way
    (another ``fingerprint``, when one is given)."""
    try:
        meta = json.loads((folder / f"{CACHE}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if meta.get("format") != FORMAT or fingerprint not in (None, meta.get("fingerprint")):
        return None
    with np.load(folder / f"{CACHE}.npz", allow_pickle=False) as arrays:
        loaded = {name: arrays[name] for name in _ARRAYS}
        terms = Strings(meta["terms"], arrays["term_order"])
        words = Strings(meta["words"], arrays["word_order"])
    return State(meta["fingerprint"], meta["paths"], terms=terms, words=words, labels=meta["labels"],
                 stored={int(k): n for k, n in meta["stored"].items()}, next_segment=meta["next_segment"], **loaded)
