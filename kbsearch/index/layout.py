"""The layout of the index folder, and the atomic switch from one build to the next.

::

    index/CURRENT              the id of the build being served (replaced atomically)
    index/.lock                held by the one reindex allowed to run at a time
    index/builds/<id>/         one complete, never-modified build: manifest.json is written last
    index/builds/<id>.partial/ a build under construction; never served, removed if abandoned

and in each build folder, the names below (``MODEL`` and the others).

A server reads CURRENT on each request and opens everything from that one directory, so it
never mixes two builds; a reindex killed at any point leaves CURRENT naming the old build.

Space: between reindexes the folder holds the current build and the previous one; a reindex
first removes every ``.partial`` folder and the previous build (``clear``), so while it writes
the folder holds the current build and the new one: a volume that holds two builds is enough.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from kbsearch.durable import fsync_dir, fsync_tree, write_durably

POINTER = "CURRENT"
PARTIAL = ".partial"
# every file of a build folder
MANIFEST = "manifest.json"  # written last: a build without it is incomplete
MODEL = "model"  # model.npz and model.json: the ranking model's arrays and words
FULL_TEXT = "whoosh"  # one Whoosh index per shard: whoosh/0, whoosh/1, ...
CATALOG = "catalog.json"  # display fields of the visible articles, read once per build by the server
SYNONYMS = "synonyms.json"  # articles/synonyms.yml as parsed and validated by the reindex (kbsearch.corpus.synonyms)
VOCABULARY = "vocabulary.json"  # the visible articles' words, for "did you mean"
LEARNED = "learned"  # learned.npz and learned.json: solved cases' words by article, scored but never shown
TEXTS = "texts.bin"  # each article's plain text, for snippets (builds made before text segments) ...
TEXT_OFFSETS = "texts.offsets.npy"  # ... and where each starts
TEXT_SEGMENTS = "texts"  # each article's plain text, for snippets, in segments texts/0.bin, texts/1.bin, ...
TEXT_ROWS = "texts.rows.npy"  # ... and the segment and byte range of each row's text
HTML_SEGMENTS = "html"  # each article page's body, rendered and sanitised by the reindex: html/0.bin, ...
HTML_ROWS = "html.rows.npy"  # ... and the segment and byte range of each row's HTML
ROWS = "rows"  # the reindex's per-article rows (counts, words, catalog entries), in segments; never served
CACHE = "cache"  # cache.json and cache.npz: what the next incremental reindex reuses; never read by a server
# what an incremental build hard-links from the build it starts from (adding a segment); the rest it writes anew
LINKED = (FULL_TEXT, ROWS, TEXT_SEGMENTS, HTML_SEGMENTS, CATALOG)
# A request keeps the build it started on; none uses one this long after the switch away from it
# (searches take milliseconds, and optional work has a budget well under a second).
GRACE_SECONDS = 10.0


class BuildLocked(Exception):
    """Another reindex holds the index folder's lock."""


def builds_dir(index_dir: Path) -> Path:
    return Path(index_dir) / "builds"


def new_build_id() -> str:
    """Sortable by time, unique across concurrent machines sharing a folder."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def current_build_id(index_dir: Path) -> str | None:
    try:
        return (Path(index_dir) / POINTER).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def current_build(index_dir: Path) -> Path | None:
    """The directory of the build being served, or None when there is none yet."""
    build_id = current_build_id(index_dir)
    if build_id is None:
        return None
    path = builds_dir(index_dir) / build_id
    return path if (path / MANIFEST).exists() else None


def read_manifest(build: Path) -> dict:
    return json.loads((build / MANIFEST).read_text(encoding="utf-8"))


def write_manifest(build: Path, manifest: dict) -> None:
    write_durably(build / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def locked(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's writer lock; the kernel frees it if the process dies.

    A POSIX record lock (``lockf``) belongs to this process only, so no child process a
    library forks can keep it alive after the reindex itself was killed.

    :raise BuildLocked: another reindex is running.
    """
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(index_dir) / ".lock", "a+b") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise BuildLocked(f"another reindex is running on {index_dir}") from exc
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def start(index_dir: Path, build_id: str) -> Path:
    """Create the partial directory a new build is written into (call under ``locked``)."""
    partial = builds_dir(index_dir) / (build_id + PARTIAL)
    partial.mkdir(parents=True)
    return partial


def publish(index_dir: Path, partial: Path) -> Path:
    """Make a finished partial build the one served, atomically; return its final path."""
    fsync_tree(partial)
    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    os.replace(partial, final)
    try:
        fsync_dir(final.parent)
        write_durably(Path(index_dir) / POINTER, final.name + "\n")
    except BaseException:  # e.g. no space for the pointer: a build CURRENT does not name is removed
        if current_build_id(index_dir) != final.name:
            (Path(index_dir) / (POINTER + ".tmp")).unlink(missing_ok=True)
            shutil.rmtree(final, ignore_errors=True)
        raise
    return final


def prune(index_dir: Path, keep: int = 2) -> None:
    """After a switch: remove abandoned partial builds and all but the ``keep`` newest finished builds.

    The previous build is kept so requests that started on it can finish (each search opens the
    Whoosh files of its request's build anew); ``clear`` removes it before the next build is
    written. Call under ``locked``.
    """
    current = current_build_id(index_dir)
    finished = []
    for path in sorted(builds_dir(index_dir).iterdir()):
        if path.name.endswith(PARTIAL):
            shutil.rmtree(path, ignore_errors=False)
        elif path.is_dir():
            finished.append(path)
    for path in finished[:-keep]:
        if path.name != current:
            shutil.rmtree(path)


def clear(index_dir: Path, needed: int, grace: float = GRACE_SECONDS) -> None:
    """Before a build is written: remove the folders no request can still use, to make room for it.

    Every ``.partial`` folder goes (under ``locked`` no reindex is writing one: they are a killed
    reindex's), and so does every finished build but the current one. A request resolves CURRENT
    once, when it starts, and opens Whoosh's files from that build for each search, so the build
    CURRENT named before the last switch stays only while a request may still be on it: for
    ``grace`` seconds after the switch. Within them it is kept when ``needed`` bytes are free
    anyway, else this waits out the rest of ``grace`` and removes it (reindexes back to back on a
    nearly full volume; cron's are minutes apart). Files a server has open or mapped stay
    readable after their removal (Linux frees them when the last handle closes). Call under ``locked``.
    """
    folder = builds_dir(index_dir)
    if not folder.is_dir():
        return
    current = current_build_id(index_dir)
    others = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith(PARTIAL):
            shutil.rmtree(path)
        elif path.is_dir() and path.name != current:
            others.append(path)
    for path in others[:-1]:  # older than the previous build: no request is on it
        shutil.rmtree(path)
    if others:
        since = _since_switch(index_dir)
        if since < grace:
            if shutil.disk_usage(index_dir).free >= needed:
                return  # room enough: it stays for requests that may still be on it
            time.sleep(grace - since)
        shutil.rmtree(others[-1])


def _since_switch(index_dir: Path) -> float:
    """Seconds since CURRENT last changed (replaced whole, so its time is the switch's)."""
    try:
        return max(0.0, time.time() - (Path(index_dir) / POINTER).stat().st_mtime)
    except FileNotFoundError:
        return float("inf")
