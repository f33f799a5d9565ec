"""The batch build: articles folder -> a new index build -> switched live atomically.

One function, ``build``, serves ``kbsearch reindex``, ``flask --app kbsearch reindex``,
``scripts/reindex.py``, ``kbsearch serve`` (first start) and the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy

from kbsearch.corpus.articles import AUDIENCES, Article, Problem, visible_to
from kbsearch.corpus.loader import Skipped, load_folder, taxonomy_path
from kbsearch.corpus.synonyms import SynonymsError, load_synonyms
from kbsearch.corpus.taxonomy import TaxonomyError, load_taxonomy
from kbsearch.index import assemble, cache, fulltext, incremental, layout, rowstore, space
from kbsearch.index.workers import Workers, default_count
from kbsearch.ranking.learned import Case

LOADER_VERSION = 3  # bump when parsing or analysis changes, so incremental builds re-read every file


class BuildError(Exception):
    """The build could not produce anything to serve; nothing was switched."""


class NoSpace(BuildError):
    """The index folder's volume is too full for the build (or the quota is spent); nothing was switched."""

    def __init__(self, needed: int, free: int):
        super().__init__(f"no space (needs ~{space.megabytes(needed)} MB, {space.megabytes(free)} MB free)")
        self.needed, self.free = needed, free


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
          progress: Callable[[int], None] | None = None, workers: int | None = None,
          cases: Sequence[Case] | None = None) -> BuildReport:
    """Validate every article, build an index of the visible ones, and switch to it.

    Rejected files are left out and the rest goes live; with ``strict`` nothing is switched
    when any file was rejected. ``incremental`` re-parses only added or changed files (by
    content hash), takes every unchanged article's rows over from the previous build's cache
    (``kbsearch.index.cache``, data rather than a pickle), and patches the previous full-text
    index: every file served equals a full build's, and it costs what changed.

    Before anything is written, ``layout.clear`` removes what no request can still use; a
    build that cannot be written for want of space leaves nothing of itself behind.

    :param workers: processes for parsing and for the full-text index (one per core by
        default; 1 keeps all the work in this process). Small builds never start any.
    :param cases: solved cases linked to an article, to learn from (``kbsearch.ranking.learned``);
        those of an article this build does not serve teach nothing. None: the build learns nothing.
    :raise BuildError: nothing to build (no folder, bad taxonomy, no visible article).
    :raise NoSpace: the volume is clearly too full to start, or filled up while writing.
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
        synonyms = load_synonyms(articles_dir)  # broken: the served build keeps its list, as with categories.yml
    except (TaxonomyError, SynonymsError) as exc:
        raise BuildError(str(exc)) from exc
    ignore = tuple(sorted(ignore_keys))
    fingerprint = _fingerprint(articles_dir, ignore, audience)

    with layout.locked(index_dir):
        previous = _previous(index_dir, fingerprint) if incremental else None
        needed, least = space.needed(index_dir, None if previous else articles_dir)
        layout.clear(index_dir, needed)
        if space.free_bytes(index_dir) < least / 2:  # only when clearly short: a build that fits is never refused
            raise NoSpace(needed, space.free_bytes(index_dir))
        build_id = layout.new_build_id()
        partial = layout.builds_dir(index_dir) / (build_id + layout.PARTIAL)
        try:
            layout.start(index_dir, build_id)
            report = _build_into(partial, articles_dir, taxonomy, audience, fingerprint, previous,
                                 strict, ignore, progress, workers, cases)
            if report.indexed:
                # written by every build, incremental too: no article's parse depends on it, so it is
                # not in the fingerprint and a changed list never forces a full build
                (partial / layout.SYNONYMS).write_text(json.dumps(synonyms.to_data(), ensure_ascii=False), "utf-8")
                layout.write_manifest(partial, _manifest(build_id, articles_dir, audience, report, taxonomy))
                layout.publish(index_dir, partial)
                report.build_id, report.switched = build_id, True
        except BaseException as exc:
            written = space.size_of(partial, new_only=True) if partial.is_dir() else 0
            shutil.rmtree(partial, ignore_errors=True)
            if space.ran_out(exc):  # it had not finished: it needs more than it wrote before the volume filled
                raise NoSpace(max(needed, written * 5 // 4), space.free_bytes(index_dir)) from exc
            raise
        if report.switched:
            layout.prune(index_dir)
        else:
            shutil.rmtree(partial, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _build_into(partial: Path, articles_dir: Path, taxonomy, audience: str, fingerprint: str,
                previous: Previous | None, strict: bool, ignore: tuple[str, ...],
                progress: Callable[[int], None] | None, workers: int | None,
                cases: Sequence[Case] | None = None) -> BuildReport:
    """Load the articles and write every index into ``partial``; ``indexed`` is 0 if nothing should go live."""
    count = workers if workers is not None else default_count()
    with Workers(count, partial / layout.FULL_TEXT, audience, taxonomy, ignore) as pool, ThreadPoolExecutor(1) as side:
        if previous is not None:  # parses only what changed, here; patches the full-text index
            update = incremental.refresh(previous.state, articles_dir, taxonomy, ignore, progress)
            if strict and update.problems:
                return _report(update, True)
            added = [(f.article, f.words) for f in update.fresh if visible_to(f.article, audience)]
            if not added and not (previous.state.segments[update.carried[update.carried >= 0]] >= 0).any():
                raise BuildError(f"no article in {articles_dir} is visible to audience {audience!r}: nothing to serve")
            removed = incremental.removed_ids(previous.state, previous.path, update)
            # beside the rest: Whoosh is Python, the model's arithmetic numpy, and there are two cores
            patched = side.submit(fulltext.patch_index, previous.path / layout.FULL_TEXT, partial / layout.FULL_TEXT,
                                  removed, added)
        else:  # a large folder is parsed, and its full-text shards written, by worker processes
            update = incremental.from_loaded(load_folder(articles_dir, taxonomy, ignore, None, progress, pool.parse),
                                             pool.rendered)
            if strict and update.problems:
                return _report(update, False)
            shown = [(f.article, f.words) for f in update.fresh if visible_to(f.article, audience)]
            if not shown:
                raise BuildError(f"no article in {articles_dir} is visible to audience {audience!r}: nothing to serve")
            if not pool.started:
                fulltext.write_index(shown, partial / layout.FULL_TEXT)
        state = assemble.next_state(previous.state if previous else None, previous.path if previous else None,
                                    update, audience, fingerprint, partial)
        report = _report(update, previous is not None)
        report.indexed = assemble.write_outputs(state, partial, previous.path if previous else None, cases)
        if previous is not None and not patched.result():  # deletions would pile up: written whole, from the rows
            fulltext.write_index(assemble.served_articles(partial, state), partial / layout.FULL_TEXT)
        elif pool.started and pool.finish() != report.indexed:
            # the workers' shards hold every visible file, so a duplicate id too: rewrite them
            shutil.rmtree(partial / layout.FULL_TEXT)
            fulltext.write_index(shown, partial / layout.FULL_TEXT)
    return report


def _report(update: incremental.Update, was_incremental: bool) -> BuildReport:
    return BuildReport(None, False, len(update.files), 0, update.parsed, update.problems, update.skipped, 0.0,
                       was_incremental, update.counts)


def catalog(visible: list[Article]) -> dict[str, dict]:
    """The display fields of each visible article, as the server keeps them in memory."""
    return {a.id: rowstore.details(a) for a in visible}


@dataclass(frozen=True)
class Previous:
    """The served build, when made the same way as this one: what an incremental build reuses."""

    path: Path
    state: cache.State


def _previous(index_dir: Path, fingerprint: str) -> Previous | None:
    current = layout.current_build(index_dir)
    state = cache.load(current, fingerprint) if current is not None else None
    return Previous(current, state) if state is not None else None


def _fingerprint(articles_dir: Path, ignore: tuple[str, ...], audience: str) -> str:
    path = taxonomy_path(articles_dir)
    taxonomy = path.read_bytes() if path.exists() else b""
    parts = [str(LOADER_VERSION), audience, ",".join(ignore), hashlib.sha256(taxonomy).hexdigest()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


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
        # categories.yml's own order: the manifest's JSON sorts keys, and the pages list categories as written
        "taxonomy_order": [[c.id, list(c.subcategories)] for c in taxonomy.categories.values()] if taxonomy else None,
        "versions": {"python": platform.python_version(), "whoosh": metadata.version("whoosh-reloaded"),
                     "loader": LOADER_VERSION,
                     "numpy": np.__version__, "scipy": scipy.__version__},
    }
