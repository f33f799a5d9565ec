"""The case store: one SQLite database through sqlite-utils, the only module that imports it.

The schema comes from
``MIGRATIONS``, applied in order once per database and recorded in ``_migrations``; each
process checks them the first time it opens the database.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
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


@migration
def add_idempotency_keys(db: Database) -> None:
    # the hash of a client's Idempotency-Key (or the form's session id): a retry finds its case
    db["cases"].add_column("idempotency_hash", str)
    db["cases"].create_index(["idempotency_hash"], unique=True)  # NULLs (no key) never collide


@migration
def create_outbox(db: Database) -> None:
    # every message a change causes, written in that change's transaction (cases/outbox.py)
    db["outbox"].create({
        "id": int, "delivery_id": str, "channel": str, "event": str, "case_number": str, "target": str,
        "payload": str, "secret": str, "status": str, "attempts": int, "queued_at": float,
        "next_attempt": float, "lease_until": float, "claim": str, "last_error": str, "created": str,
        "sent": str,
    }, pk="id", not_null={"delivery_id", "channel", "event", "target", "payload", "status", "attempts",
                          "queued_at", "next_attempt", "created"})
    db["outbox"].create_index(["delivery_id"], unique=True)
    db["outbox"].create_index(["status", "next_attempt"])


@migration
def create_conversations(db: Database) -> None:
    # the conversation on a case: the customer's replies and the team's comments, oldest first
    db["comments"].create({
        "id": int, "case_id": int, "author": str, "name": str, "body": str, "created": str,
    }, pk="id", foreign_keys=[("case_id", "cases", "id")], not_null={"case_id", "author", "body", "created"})
    db["comments"].create_index(["case_id"])
    db["attachments"].add_column("comment_id", int)  # NULL: sent with the case itself
    # the article that solved the case: the link the knowledge loop and learning read
    db["cases"].add_column("solved_by", str)
    db["cases"].create_index(["email"])
    # the support team's API tokens, kept only as hashes
    db["staff_tokens"].create({
        "id": int, "name": str, "token_hash": str, "created": str, "last_used": str, "revoked": str,
    }, pk="id", not_null={"name", "token_hash", "created"})
    db["staff_tokens"].create_index(["name"], unique=True)


@migration
def record_the_knowledge_loop(db: Database) -> None:
    # each search submitted on the search page (or by an API caller naming a session): what was
    # asked, how many results, and later the result opened and its rank; no address, no agent
    db["searches"].create({
        "id": int, "session": str, "query": str, "filters": str, "total": int, "clicked": str, "rank": int,
        "created": str,
    }, pk="id", not_null={"session", "query", "filters", "total", "created"})
    db["searches"].create_index(["created"])
    db["searches"].create_index(["session", "created"])
    # the article page's "No" may say why (at most 500 characters)
    db["events"].add_column("reason", str)
    db["events"].create_index(["article_id", "kind"])


def now() -> str:
    """The current UTC time as stored: ISO 8601 to the second, sortable as text."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) the database at ``path`` with durable commits.

    ``synchronous=FULL`` makes each commit survive a power cut in WAL mode too, so a
    case number handed out is a case stored.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # customers' words: this user's only
    # No wait inside SQLite: a held lock is retried in ``writing`` with Python sleeps, which
    # an event-loop server turns into switches, so other requests go on meanwhile.
    conn = sqlite3.connect(path, timeout=0)
    # chmod, not opening the file ourselves: closing any descriptor of it would drop every POSIX
    # lock this process holds on it, under its other connections. SQLite gives -wal and -shm
    # the database's mode, and the folder is this user's alone anyway.
    os.chmod(path, 0o600)
    db = Database(conn)
    _retry_while_locked(lambda: db.execute("PRAGMA foreign_keys=ON"))
    _retry_while_locked(lambda: db.execute("PRAGMA synchronous=FULL"))
    return db


BUSY_SECONDS = 2.0  # then the request is answered 503 with Retry-After, not left hanging


class DatabaseBusy(Exception):
    """Another process held the write lock for longer than ``BUSY_SECONDS``: retry shortly."""


class StorageFull(Exception):
    """The disk holding the database or attachments is full; nothing was stored."""


def is_full(exc: BaseException) -> bool:
    """Whether ``exc`` is the disk being full, from SQLite or from writing a file."""
    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc) or "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _retry_while_locked(step: Callable[[], object], busy_seconds: float | None = None) -> None:
    """Run ``step``, again every few milliseconds while another process holds the lock it needs.

    :raise DatabaseBusy: still locked after ``busy_seconds`` (``BUSY_SECONDS`` by default).
    """
    deadline = time.monotonic() + (BUSY_SECONDS if busy_seconds is None else busy_seconds)
    pause = 0.005
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise DatabaseBusy("the case database is busy; try again in a moment") from exc
            time.sleep(pause)  # cooperative under an event-loop server
            pause = min(pause * 2, 0.1)


@contextmanager
def writing(db: Database, busy_seconds: float | None = None) -> Iterator[Database]:
    """A write transaction that takes SQLite's write lock at its start (``BEGIN IMMEDIATE``).

    sqlite-utils' ``atomic()`` begins a deferred transaction; when it first reads (a table's
    columns) and then writes while another process writes, SQLite refuses the upgrade at
    once with "database is locked" instead of waiting. Taking the lock first makes writers
    queue: the lock is asked for again every few milliseconds for ``BUSY_SECONDS``. All
    writes, or none, are committed.

    :raise DatabaseBusy: the lock stayed taken.
    :raise StorageFull: the disk is full (the transaction is rolled back).
    """
    _retry_while_locked(lambda: db.execute("BEGIN IMMEDIATE"), busy_seconds)
    try:
        yield db
        db.execute("COMMIT")
    except BaseException as exc:
        db.rollback()
        if is_full(exc):
            raise StorageFull("the server's disk is full: nothing was stored") from exc
        raise


def migrate(db: Database) -> list[str]:
    """Apply the migrations this database lacks, in one transaction; return their names.

    The write lock is taken before reading what is applied, so two server processes
    starting together cannot both run a step.
    """
    # WAL lets readers go on while a case is written; it must be set outside a transaction,
    # and a server's workers starting together may meet each other's locks
    _retry_while_locked(db.enable_wal, busy_seconds=15)
    applied_now: list[str] = []
    with writing(db, busy_seconds=15):
        if "_migrations" not in db.table_names():
            db["_migrations"].create({"name": str, "applied": str}, pk="name")
        applied = {row["name"] for row in db["_migrations"].rows}
        for step in MIGRATIONS:
            if step.__name__ not in applied:
                step(db)
                db["_migrations"].insert({"name": step.__name__, "applied": now()})
                applied_now.append(step.__name__)
    return applied_now
