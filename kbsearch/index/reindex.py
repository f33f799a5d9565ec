"""The batch build: articles folder -> a new index build -> switched live atomically.

One function, ``build``, serves ``kbsearch reindex``, ``flask --app kbsearch reindex``,
``scripts/reindex.py``, ``kbsearch serve`` (first start) and the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import platform
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy

from kbsearch.corpus.articles import AUDIENCES, Article, Problem, visible_to
from kbsearch.corpus.loader import Entry, Signature, Skipped, load_folder, taxonomy_path
from kbsearch.corpus.taxonomy import TaxonomyError, load_taxonomy
from kbsearch.corpus.words import ArticleWords
from kbsearch.index import fulltext, layout, textstore
from kbsearch.index.workers import Workers, default_count
from kbsearch.ranking import spelling
from kbsearch.ranking.model import TfidfRanker

LOADER_VERSION = 3  # bump when parsing or analysis changes, so incremental builds re-read every file


class BuildError(Exception):
    """The build could not produce anything to serve; nothing was switched."""


@dataclass
class BuildReport:
    build_id: str | None
    switched: bool
    files: int
    indexed: int
    parsed: int
    problems: list[Problem]
    skipped: list[Skipped]
    seconds: float
    incremental: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rejected_files(self) -> list[str]:
        return sorted({p.path for p in self.problems})

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


def build(articles_dir: Path, index_dir: Path, *, audience: str = "customer", incremental: bool = False,
          strict: bool = False, ignore_keys: Iterable[str] = (),
          progress: Callable[[int], None] | None = None, workers: int | None = None) -> BuildReport:
    """Validate every article, build an index of the visible ones, and switch to it.

    Rejected files are left out and the rest goes live; with ``strict`` nothing is switched
    when any file was rejected. ``incremental`` re-parses only added or changed files (by
    content hash), reuses every unchanged article as parsed and analysed before, and patches
    the previous full-text index: search pages and suggestions equal a full build's.

    :param workers: processes for parsing and for the full-text index (one per core by
        default; 1 keeps all the work in this process). Small builds never start any.
    :raise BuildError: nothing to build (no folder, bad taxonomy, no visible article).
    :raise layout.BuildLocked: another reindex is running.
    """
    started = time.perf_counter()
    articles_dir, index_dir = Path(articles_dir), Path(index_dir)
    if audience not in AUDIENCES:
        raise BuildError(f"unknown audience {audience!r} (expected one of: {', '.join(AUDIENCES)})")
    if not articles_dir.is_dir():
        raise BuildError(f"articles folder {articles_dir} does not exist")
    try:
        taxonomy = load_taxonomy(articles_dir)
    except TaxonomyError as exc:
        raise BuildError(str(exc)) from exc
    ignore = tuple(sorted(ignore_keys))
    fingerprint = _fingerprint(articles_dir, ignore, audience)

    with layout.locked(index_dir):
        previous = _previous(index_dir, fingerprint) if incremental else None
        build_id = layout.new_build_id()
        partial = layout.start(index_dir, build_id)
        try:
            report = _build_into(partial, articles_dir, taxonomy, audience, fingerprint, previous,
                                 strict, ignore, progress, workers)
            if report.indexed:
                layout.write_manifest(partial, _manifest(build_id, articles_dir, audience, report, taxonomy))
                layout.publish(index_dir, partial)
                report.build_id, report.switched = build_id, True
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        if report.switched:
            layout.prune(index_dir)
        else:
            shutil.rmtree(partial, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _build_into(partial: Path, articles_dir: Path, taxonomy, audience: str, fingerprint: str,
                previous: Previous | None, strict: bool, ignore: tuple[str, ...],
                progress: Callable[[int], None] | None, workers: int | None) -> BuildReport:
    """Load the articles and write every index into ``partial``; ``indexed`` is 0 if nothing should go live."""
    count = workers if workers is not None else default_count()
    with Workers(count, partial / layout.FULL_TEXT, audience, taxonomy, ignore) as pool:
        # A full build of a large folder is parsed, and its full-text shards written, by
        # worker processes; an incremental build parses only what changed, here.
        loaded = load_folder(articles_dir, taxonomy, ignore, previous.entries if previous else None, progress,
                             pool.parse if previous is None else None, previous.signatures if previous else None)
        report = BuildReport(None, False, len(loaded.entries), 0, loaded.parsed, loaded.problems,
                             loaded.skipped, 0.0, previous is not None, _counts(loaded.articles))
        shown = [(a, w) for a, w in zip(loaded.articles, loaded.words) if visible_to(a, audience)]
        visible = [a for a, _ in shown]
        if strict and loaded.problems:
            return report
        if not visible:
            raise BuildError(f"no article in {articles_dir} is visible to audience {audience!r}: nothing to serve")
        # the version of each served document: its file's digest and path (a category may
        # come from the folder)
        served = {a.id: f"{loaded.entries[a.path][0]} {a.path}" for a in visible}
        if not pool.started and not _patched(partial / layout.FULL_TEXT, previous, served, shown):
            fulltext.write_index(shown, partial / layout.FULL_TEXT)
        TfidfRanker().fit(visible, [w for _, w in shown]).save(partial / layout.MODEL)
        _write_catalog(partial / layout.CATALOG, visible)
        textstore.write(partial, (a.text for a in visible))  # rows in the ranker's order
        spelling.save(spelling.build_vocabulary(w.spelling() for _, w in shown),
                      partial / layout.VOCABULARY)
        with open(partial / layout.ENTRIES, "wb") as handle:
            pickle.dump({"fingerprint": fingerprint, "entries": loaded.entries, "served": served,
                         "signatures": loaded.signatures}, handle, protocol=5)
        if pool.started and pool.finish() != len(shown):
            # the workers' shards hold every visible file, so a duplicate id too: rewrite them
            shutil.rmtree(partial / layout.FULL_TEXT)
            fulltext.write_index(shown, partial / layout.FULL_TEXT)
    report.indexed = len(visible)
    return report


def _patched(directory: Path, previous: Previous | None, served: dict[str, str],
             shown: list[tuple[Article, ArticleWords]]) -> bool:
    """Write the full-text index by patching the previous build's; False when it must be written whole.

    Its statistics then count deleted articles until Whoosh merges segments, so its own
    ranking (a peer in ``kbsearch evaluate``, never served) differs a little from a full build's.
    """
    if previous is None:
        return False
    removed = [i for i, version in previous.served.items() if served.get(i) != version]
    added = [(a, w) for a, w in shown if previous.served.get(a.id) != served[a.id]]
    return fulltext.patch_index(previous.path / layout.FULL_TEXT, directory, removed, added)


def catalog(visible: list[Article]) -> dict[str, dict]:
    """The display fields of each visible article, as the server keeps them in memory."""
    return {a.id: {"title": a.title, "type": a.type, "category": a.category, "subcategory": a.subcategory,
                   "summary": a.summary, "updated": a.updated.isoformat() if a.updated else None}
            for a in visible}


def _write_catalog(path: Path, visible: list[Article]) -> None:
    path.write_text(json.dumps(catalog(visible), ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True)
class Previous:
    """The served build, when made the same way as this one: what an incremental build reuses."""

    path: Path
    entries: dict[str, Entry]  # relpath -> (digest, article or problems, words)
    served: dict[str, str]  # id -> digest and path of the file, for each article it serves
    signatures: dict[str, Signature]  # relpath -> size, mtime, inode: unchanged files are not read


def _previous(index_dir: Path, fingerprint: str) -> Previous | None:
    current = layout.current_build(index_dir)
    if current is None or not (current / layout.ENTRIES).exists():
        return None
    with open(current / layout.ENTRIES, "rb") as handle:
        saved = pickle.load(handle)  # our own file, written by _build_into
    if saved.get("fingerprint") != fingerprint or "signatures" not in saved:
        return None
    return Previous(current, saved["entries"], saved["served"], saved["signatures"])


def _fingerprint(articles_dir: Path, ignore: tuple[str, ...], audience: str) -> str:
    path = taxonomy_path(articles_dir)
    taxonomy = path.read_bytes() if path.exists() else b""
    parts = [str(LOADER_VERSION), audience, ",".join(ignore), hashlib.sha256(taxonomy).hexdigest()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _counts(articles: list[Article]) -> dict[str, dict[str, int]]:
    return {key: dict(sorted(Counter(getattr(a, key) for a in articles).items()))
            for key in ("type", "status", "audience")}


def _manifest(build_id: str, articles_dir: Path, audience: str, report: BuildReport, taxonomy) -> dict:
    return {
        "build_id": build_id,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "audience": audience,
        "articles_dir": str(articles_dir.resolve()),
        "incremental": report.incremental,
        "files": report.files,
        "indexed": report.indexed,
        "rejected": len(report.rejected_files),
        "skipped": len(report.skipped),
        "counts": report.counts,
        "taxonomy": taxonomy.as_dict() if taxonomy else None,
        "versions": {"python": platform.python_version(), "whoosh": metadata.version("whoosh-reloaded"),
                     "loader": LOADER_VERSION,
                     "numpy": np.__version__, "scipy": scipy.__version__},
    }
