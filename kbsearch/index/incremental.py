"""What an incremental build parses, and what it takes over unchanged from the previous build's cache.

Like git, a file whose size, times, inode and device are those the previous build saw is not
even read; one whose bytes hash as before is not parsed. Those are carried over as the
previous build kept them (``cache.State``), as positions into its arrays rather than as
parsed articles, so a build costs the changed files plus a few array operations per folder.
A full build's load is expressed the same way (``from_loaded``: everything parsed now), so
both end in the same code and an incremental build gives exactly what a full one gives.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kbsearch.corpus import loader
from kbsearch.corpus.articles import Article, Problem, content_hash
from kbsearch.corpus.loader import Loaded, Skipped
from kbsearch.corpus.taxonomy import Taxonomy
from kbsearch.corpus.words import ArticleWords
from kbsearch.index.cache import CODED, State, key
from kbsearch.index.rowread import Store, runs
from kbsearch.index.textstore import Spool

UNTRUSTED = (-1, -1, -1, -1, -1)  # a signature no file has: read the file again next time


@dataclass(frozen=True)
class Fresh:
    """An article this build parsed."""

    rel: str
    digest: str
    article: Article
    words: ArticleWords


@dataclass
class Update:
    """The articles a build keeps, in folder order: carried over from the previous build, or fresh."""

    files: list[str]
    skipped: list[Skipped]
    problems: list[Problem]
    parsed: int
    carried: np.ndarray  # per kept article: its position in the previous cache, or -1 when fresh
    signatures: np.ndarray  # (kept, 5): what the next build may trust (UNTRUSTED: read it again)
    fresh: list[Fresh]  # the kept articles parsed now, in order (where ``carried`` is -1)
    dropped: np.ndarray  # positions in the previous cache not kept: removed, changed, now a duplicate
    counts: dict[str, dict[str, int]]  # kept articles by type, status and audience
    rendered: Spool | None = None  # pages worker processes rendered, by path; ``rowstore`` renders the rest


def from_loaded(loaded: Loaded, rendered: Spool | None = None) -> Update:
    """A full build's load: every article is fresh.

    :param rendered: page bodies the worker processes rendered, by path (``Workers.rendered``).
    """
    fresh = [Fresh(a.path, loaded.entries[a.path][0], a, w) for a, w in zip(loaded.articles, loaded.words)]
    signatures = np.array([loaded.signatures.get(a.path, UNTRUSTED) for a in loaded.articles],
                          dtype=np.int64).reshape(-1, 5)
    return Update(list(loaded.entries), loaded.skipped, loaded.problems, loaded.parsed,
                  np.full(len(fresh), -1, dtype=np.int64), signatures, fresh, np.zeros(0, np.int64),
                  _counts(None, np.zeros(0, np.int64), fresh), rendered)


def refresh(previous: State, root: Path, taxonomy: Taxonomy | None, ignore: tuple[str, ...],
            progress: Callable[[int], None] | None = None) -> Update:
    """Load ``root`` again, parsing only the files added or changed since ``previous``.

    Files modified in the last ``loader.RECENT_NS`` are read again by the next build (their
    time could still move without the signature changing).
    """
    settled = time.time_ns() - loader.RECENT_NS
    files, skipped, found = loader.scan_signatures(root)
    signatures = np.array(found, dtype=np.int64).reshape(-1, 5)
    where = {path: i for i, path in enumerate(previous.paths)}
    match = np.fromiter((where.get(rel, -1) for rel in files), dtype=np.int64, count=len(files))
    if previous.hidden.any():  # hidden articles are kept under a digest of their path
        for j in np.flatnonzero(match < 0).tolist():
            match[j] = where.get(key(files[j]).hex(), -1)
    same = match >= 0
    same[same] = (signatures[same] == previous.signatures[match[same]]).all(axis=1)
    changed: list[tuple[str, bytes]] = []
    for j in np.flatnonzero(~same).tolist():
        data = loader._read(os.path.join(root, files[j]))
        if match[j] >= 0 and previous.digests[match[j]] == content_hash(data).encode():
            same[j] = True
        else:
            match[j] = -1
            changed.append((files[j], data))
    if progress:
        progress(int(same.sum()))
    parsed: dict[str, loader.Entry] = {}
    for chunk in loader.parse_files(changed, taxonomy, ignore):
        parsed.update(chunk)
        if progress:
            progress(len(chunk))
    return _keep(previous, files, skipped, same, match, parsed, np.where(signatures[:, 1:2] < settled, signatures,
                                                                     np.array(UNTRUSTED)), len(changed))


def _keep(previous: State, files: list[str], skipped: list[Skipped], same: np.ndarray, match: np.ndarray,
          parsed: dict[str, loader.Entry], signatures: np.ndarray, count: int) -> Update:
    """Keep the first article with each id, in folder order; report rejected files and duplicates."""
    keys = np.zeros(len(files), dtype="S16")
    keys[same] = previous.id_keys[match[same]]
    problems: dict[int, list[Problem]] = {}
    for j in np.flatnonzero(~same).tolist():
        outcome = parsed[files[j]][1]
        if isinstance(outcome, Article):
            keys[j] = key(outcome.id)
        else:
            problems[j] = list(outcome)
    candidates = np.flatnonzero(same | (keys != b""))
    unique, first = np.unique(keys[candidates], return_index=True)
    kept = np.zeros(len(candidates), dtype=bool)
    kept[first] = True
    for d in np.flatnonzero(~kept).tolist():
        j = int(candidates[d])
        holder = int(candidates[first[np.searchsorted(unique, keys[j])]])
        article = parsed[files[j]][1] if not same[j] else parsed[files[holder]][1]  # one of the two is fresh
        line = article.id_line if not same[j] else int(previous.id_lines[match[j]])
        problems[j] = [Problem(files[j], line, f"duplicate id {article.id!r}: already used by {files[holder]}")]
    kept_at = candidates[kept]
    carried = np.where(same[kept_at], match[kept_at], -1)
    fresh = [Fresh(files[j], parsed[files[j]][0], parsed[files[j]][1], parsed[files[j]][2])
             for j in kept_at[~same[kept_at]].tolist()]
    dropped = np.setdiff1d(np.arange(len(previous.paths)), carried[carried >= 0])
    return Update(files, skipped, [p for j in sorted(problems) for p in problems[j]], count, carried,
                  signatures[kept_at], fresh, dropped, _counts(previous, carried[carried >= 0], fresh))


def _counts(previous: State | None, carried: np.ndarray, fresh: list[Fresh]) -> dict[str, dict[str, int]]:
    out = {}
    for k, name in enumerate(CODED):
        counted: Counter[str] = Counter(getattr(f.article, name) for f in fresh)
        if previous is not None and len(carried):
            for code, n in enumerate(np.bincount(previous.codes[carried, k]).tolist()):
                counted[previous.labels[k][code]] += n
        out[name] = dict(sorted((value, n) for value, n in counted.items() if n))
    return out


def removed_ids(previous: State, folder: Path, update: Update) -> list[str]:
    """The ids the previous build served that this one does not serve from the same file version."""
    dropped = update.dropped[previous.segments[update.dropped] >= 0]
    return Store(folder).meta(runs(previous.segments[dropped], previous.rows[dropped]))[0]
