"""The build being served: opened once per build, checked on every request.

Each request resolves ``index/CURRENT`` once and keeps that build on ``g``, so a reindex
that switches builds mid-request can never mix two builds in one answer, and the next
request picks the new build up without a restart.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from whoosh.index import EmptyIndexError

from kbsearch import builds, search, spelling
from kbsearch.ranker import ModelMismatch, TfidfRanker
from kbsearch.textstore import TextStore


class IndexNotBuilt(Exception):
    """No usable build: the message tells the operator what to run."""


@dataclass(frozen=True)
class LiveBuild:
    id: str
    path: Path
    manifest: dict[str, Any]
    index: search.FullText  # stateless, shared; searchers are opened per call
    ranker: TfidfRanker
    details: dict[str, dict[str, Any]]  # id -> title, type, category, subcategory, summary, updated
    vocabulary: dict[str, int]  # word -> number of articles using it, for "did you mean"
    texts: TextStore  # plain text by ranker row, for snippets


def init_app(app: Flask) -> None:
    app.extensions["kbsearch"] = {"live": None, "lock": threading.Lock()}


def get_build() -> LiveBuild:
    """The build this request uses.

    :raise IndexNotBuilt: there is none, or it was made for another audience or library versions.
    """
    if "kb_build" not in g:
        g.kb_build = _current()
    return g.kb_build


def _current() -> LiveBuild:
    state = current_app.extensions["kbsearch"]
    index_dir = Path(current_app.config["INDEX_DIR"])
    build_id = builds.current_build_id(index_dir)
    live = state["live"]
    if live is not None and live.id == build_id:
        return live
    with state["lock"]:
        live = state["live"]
        if live is None or live.id != build_id:
            live = state["live"] = _open(index_dir, build_id)
    return live


def _open(index_dir: Path, build_id: str | None) -> LiveBuild:
    hint = "run `kbsearch reindex`"
    path = builds.builds_dir(index_dir) / build_id if build_id else None
    if path is None or not (path / builds.MANIFEST).exists():
        raise IndexNotBuilt(f"no index has been built in {index_dir}: {hint}")
    manifest = builds.read_manifest(path)
    audience = current_app.config["AUDIENCE"]
    if manifest.get("audience") != audience:
        raise IndexNotBuilt(f"the index in {index_dir} was built for audience {manifest.get('audience')!r} "
                            f"but this server serves {audience!r}: {hint} with KBSEARCH_AUDIENCE={audience}")
    try:
        return load(path)
    except ModelMismatch as exc:
        raise IndexNotBuilt(f"the index in {index_dir} was built by other library versions ({exc}): {hint}") from exc
    except (EmptyIndexError, FileNotFoundError) as exc:
        raise IndexNotBuilt(f"the index in {index_dir} is incomplete ({exc}): {hint}") from exc


def load(path: Path) -> LiveBuild:
    """Open one build folder, outside any request (the server's and ``kbsearch evaluate``'s way in).

    :raise ModelMismatch, EmptyIndexError, FileNotFoundError: the build is unusable.
    """
    manifest = builds.read_manifest(path)
    ranker = TfidfRanker.load(path / "model.pickle")
    ix = search.open_index(path / "whoosh")
    details = json.loads((path / "catalog.json").read_text(encoding="utf-8"))
    vocabulary = spelling.load(path / "vocabulary.json")
    return LiveBuild(path.name, path, manifest, ix, ranker, details, vocabulary, TextStore(path))
