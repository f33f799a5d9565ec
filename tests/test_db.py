"""The case database: migrations apply once, WAL is on, commits are durable."""

from __future__ import annotations

from kbsearch import db


def test_migrations_apply_once_and_are_recorded(tmp_path):
    database = db.open_db(tmp_path / "sub" / "cases.sqlite")
    assert db.migrate(database) == [step.__name__ for step in db.MIGRATIONS]
    assert db.migrate(database) == []
    assert {"cases", "attachments", "events", "_migrations"} <= set(database.table_names())
    assert database.journal_mode == "wal"
    assert database.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    database.close()


def test_init_db_command(runner, app, tmp_path):
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and "applied create_cases, create_events" in first.output
    assert "up to date" in runner.invoke(args=["init-db"]).output


def test_the_server_creates_the_database_on_first_use(app, client, tmp_path):
    assert not (tmp_path / "kbsearch.sqlite").exists()
    client.post("/api/events", json={"session": "form-session-1", "kind": "clicked", "article_id": "locked-account"})
    assert (tmp_path / "kbsearch.sqlite").exists()
