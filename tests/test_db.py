"""The case database: migrations apply once, WAL is on, commits are durable."""

from __future__ import annotations

from kbsearch.cases import db


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


def test_concurrent_writers_queue_instead_of_failing(tmp_path):
    """Several connections creating cases at once (as gunicorn workers do): every case is stored."""
    from concurrent.futures import ThreadPoolExecutor

    from kbsearch.cases.store import CaseInput, create_case

    path = tmp_path / "cases.sqlite"
    setup = db.open_db(path)
    db.migrate(setup)
    setup.close()

    def submit(worker: int) -> list[str]:
        database = db.open_db(path)
        try:
            return [create_case(database, CaseInput(f"case {worker}-{i}", "access", "", "d", "n", "n@example.com",
                                                    session=f"session-{worker:04d}"), tmp_path / "files").number
                    for i in range(15)]
        finally:
            database.close()

    with ThreadPoolExecutor(8) as pool:
        numbers = [n for batch in pool.map(submit, range(8)) for n in batch]
    assert len(set(numbers)) == 120
    check = db.open_db(path)
    assert next(check.query("select count(*) as n from cases"))["n"] == 120
    check.close()
