"""The layout of the index folder, and the atomic switch from one build to the next.

::

    index/CURRENT              the id of the build being served (replaced atomically)
    index/.lock                held by the one reindex allowed to run at a time
    index/builds/<id>/         one complete, never-modified build: manifest.json is written last
    index/builds/<id>.partial/ a build under construction; never served, removed if abandoned

and in each build folder, the names below (``MODEL`` and the others).

A server reads CURRENT on each request and opens everything from that one directory, so it
never mixes two builds; a reindex killed at any point leaves CURRENT naming the old build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
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
VOCABULARY = "vocabulary.json"  # the visible articles' words, for "did you mean"
TEXTS = "texts.bin"  # each article's plain text, for snippets (builds made before text segments) ...
TEXT_OFFSETS = "texts.offsets.npy"  # ... and where each starts
TEXT_SEGMENTS = "texts"  # each article's plain text, for snippets, in segments texts/0.bin, texts/1.bin, ...
TEXT_ROWS = "texts.rows.npy"  # ... and the segment and byte range of each row's text
ENTRIES = "entries.pickle"  # full builds: the served articles as parsed, for `kbsearch evaluate --peers`
ROWS = "rows"  # the reindex's per-article rows (counts, words, catalog entries), in segments; never served
CACHE = "cache"  # cache.json and cache.npz: what the next incremental reindex reuses; never read by a server


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
    fsync_dir(final.parent)
    write_durably(Path(index_dir) / POINTER, final.name + "\n")
    return final


def prune(index_dir: Path, keep: int = 2) -> None:
    """Remove abandoned partial builds and all but the ``keep`` newest finished builds.

    The previous build is kept so requests that started on it can finish. Call under ``locked``.
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
