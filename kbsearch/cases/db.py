"""The case store: one SQLite database through sqlite-utils, the only module that imports it.

The schema comes from
``MIGRATIONS``, applied in order once per database and recorded in ``_migrations``; each
process checks them the first time it opens the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

Migration = Callable[[Database], None]
MIGRATIONS: list[Migration] = []


def migration(function: Migration) -> Migration:
    """Register a schema step; steps run in the order they are defined and never twice."""
    MIGRATIONS.append(function)
    return function


@migration
def create_cases(db: Database) -> None:
    db["cases"].create({
        "id": int, "number": str, "secret_hash": str, "subject": str, "category": str,
        "subcategory": str, "description": str, "name": str, "email": str, "status": str,
        "solution": str, "session": str, "shown": str, "created": str, "updated": str,
    }, pk="id", not_null={"number", "secret_hash", "subject", "description", "status", "created"})
    db["cases"].create_index(["number"], unique=True)
    db["cases"].create_index(["session"])
    db["attachments"].create({
        "id": int, "case_id": int, "name": str, "stored_as": str, "size": int, "type": str, "sha256": str,
    }, pk="id", foreign_keys=[("case_id", "cases", "id")])
    db["attachments"].create_index(["case_id"])


@migration
def create_events(db: Database) -> None:
    db["events"].create({
        "id": int, "session": str, "kind": str, "article_id": str, "articles": str,
        "case_number": str, "query": str, "created": str,
    }, pk="id", not_null={"session", "kind", "created"})
    db["events"].create_index(["session"])
    db["events"].create_index(["created"])


def now() -> str:
    """The current UTC time as stored: ISO 8601 to the second, sortable as text."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) the database at ``path`` with durable commits.

    ``synchronous=FULL`` makes each commit survive a power cut in WAL mode too, so a
    case number handed out is a case stored.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=15)
    db = Database(conn)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA synchronous=FULL")
    return db


@contextmanager
def writing(db: Database) -> Iterator[Database]:
    """A write transaction that takes SQLite's write lock at its start (``BEGIN IMMEDIATE``).

    sqlite-utils' ``atomic()`` begins a deferred transaction; when it first reads (a table's
    columns) and then writes while another process writes, SQLite refuses the upgrade at
    once with "database is locked" instead of waiting. Taking the lock first makes writers
    queue for up to the connection's timeout. All writes, or none, are committed.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def migrate(db: Database) -> list[str]:
    """Apply the migrations this database lacks, in one transaction; return their names.

    The write lock is taken before reading what is applied, so two server processes
    starting together cannot both run a step.
    """
    db.enable_wal()  # WAL lets readers go on while a case is written; it must be set outside a transaction
    applied_now: list[str] = []
    with writing(db):
        if "_migrations" not in db.table_names():
            db["_migrations"].create({"name": str, "applied": str}, pk="name")
        applied = {row["name"] for row in db["_migrations"].rows}
        for step in MIGRATIONS:
            if step.__name__ not in applied:
                step(db)
                db["_migrations"].insert({"name": step.__name__, "applied": now()})
                applied_now.append(step.__name__)
    return applied_now
