"""What a request uses: the build being served and a database connection.

Each request resolves ``index/CURRENT`` once and keeps that build on ``g``, so a reindex
that switches builds mid-request can never mix two builds in one answer, and the next
request picks the new build up without a restart. The database connection is opened per
request on ``g`` (SQLite connections must not cross threads) and closed at teardown, the
flaskr way; the schema is migrated the first time a process opens the database.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app, g

from kbsearch.cases import attachments, db
from kbsearch.index import layout
from kbsearch.index.opened import Build, IndexNotBuilt, open_current


def init_app(app: Flask) -> None:
    app.extensions["kbsearch"] = {"live": None, "lock": threading.Lock(), "migrated": False}
    app.teardown_appcontext(close_db)


def get_build() -> Build:
    """The build this request uses.

    :raise IndexNotBuilt: there is none, or it was made for another audience or library versions.
    """
    if "kb_build" not in g:
        g.kb_build = _current()
    return g.kb_build


def _current() -> Build:
    state = current_app.extensions["kbsearch"]
    index_dir = Path(current_app.config["INDEX_DIR"])
    build_id = layout.current_build_id(index_dir)
    live = state["live"]
    if live is not None and live.id == build_id:
        if not (live.path / layout.MANIFEST).exists():  # deleted under a running server
            state["live"] = None
            raise IndexNotBuilt(f"the served build {live.path} has vanished: run `kbsearch reindex`",
                                "the served index has vanished: run `kbsearch reindex`")
        return live
    with state["lock"]:
        live = state["live"]
        if live is None or live.id != build_id:
            live = state["live"] = open_current(index_dir, build_id, current_app.config["AUDIENCE"])
    return live


def get_db() -> db.Database:
    """This request's database connection, migrated on the first use in this process."""
    if "db" not in g:
        state = current_app.extensions["kbsearch"]
        g.db = db.open_db(current_app.config["DATABASE"])
        if not state["migrated"]:
            db.migrate(g.db)
            _sweep(g.db)
            state["migrated"] = True
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def attachments_dir() -> Path:
    """Where attachment files live: beside the database unless configured."""
    configured = current_app.config.get("ATTACHMENTS_DIR")
    return Path(configured) if configured else Path(current_app.config["DATABASE"]).parent / "attachments"


def _sweep(database: db.Database) -> None:
    """Publish or remove attachment files a crash left between writing and their case's commit."""
    def known(name: str) -> bool:
        return bool(list(database.query("select 1 from attachments where stored_as = ?", [name])))

    published, removed = attachments.sweep(known, attachments_dir())
    if published or removed:
        current_app.logger.warning("attachments: %d staged file(s) published, %d stale one(s) removed",
                                   published, removed)
