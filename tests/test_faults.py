"""Faults lose nothing and say what happened: a locked database, a full disk, a retried case, a crash."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kbsearch import create_app
from kbsearch.cases import attachments
from kbsearch.index.reindex import build
from kbsearch.web import current

CASE = {"subject": "Locked out", "category": "access", "description": "It says locked.", "name": "Ada",
        "email": "ada@example.com"}


def test_a_locked_database_answers_503_with_retry_after_and_searches_never_wait(app, client, tmp_path):
    client.get("/api/status")
    with app.app_context():
        current.get_db()  # created and migrated
    holder = sqlite3.connect(tmp_path / "kbsearch.sqlite")
    holder.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        started = time.monotonic()
        response = client.post("/api/cases", json=CASE)
        waited = time.monotonic() - started
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert response.get_json()["status"] == 503 and 1.5 < waited < 3.0
        started = time.monotonic()
        assert client.get("/api/search?q=password").status_code == 200
        assert time.monotonic() - started < 0.5
    finally:
        holder.rollback()
        holder.close()
    assert client.post("/api/cases", json=CASE).status_code == 201


def test_an_idempotency_key_returns_the_first_case_on_a_retry(client):
    first = client.post("/api/cases", json=CASE, headers={"Idempotency-Key": "a1b2c3"})
    again = client.post("/api/cases", json=CASE, headers={"Idempotency-Key": "a1b2c3"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/cases", json=CASE, headers={"Idempotency-Key": "d4e5f6"})
    assert other.get_json()["number"] != first.get_json()["number"]
    reused = client.post("/api/cases", json={**CASE, "subject": "Something else"}, headers={"Idempotency-Key": "a1b2c3"})
    assert reused.status_code == 422 and reused.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert client.post("/api/cases", json=CASE, headers={"Idempotency-Key": "bad key"}).status_code == 400


def test_a_resent_form_finds_its_case_instead_of_opening_another(client):
    client.get("/cases/new")
    with client.session_transaction() as session:
        token = session["csrf"]
    form = {**CASE, "csrf_token": token, "session": "form-session-1"}
    first, again = client.post("/cases/new", data=form), client.post("/cases/new", data=form)
    assert first.headers["Location"] == again.headers["Location"] == "/cases/CS-000001"


def test_attachments_left_between_write_and_commit_are_finished_or_swept(app, client, tmp_path):
    files = [attachments.Accepted("a.log", "text/plain", b"one\n"), attachments.Accepted("b.log", "text/plain", b"2\n")]
    with app.app_context():
        folder = current.attachments_dir()
        committed, orphan = attachments.stage(files, folder)  # as a worker killed right after its commit leaves
        current.get_db().execute("insert into attachments (case_id, name, stored_as, size, type, sha256) values "
                                 "(null, 'a.log', ?, 4, 'text/plain', '')", [committed])
    old = time.time() - attachments.STALE_SECONDS - 10
    os.utime(folder / (orphan + attachments.PART), (old, old))
    fresh = attachments.stage(files[:1], folder)[0]  # a request still writing: left alone
    app.extensions["kbsearch"]["migrated"] = False  # as a new worker process starts
    with app.app_context():
        current.get_db()
    assert sorted(p.name for p in folder.iterdir()) == sorted([committed, fresh + attachments.PART])


def can_mount_tmpfs(target: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(target)],
                          capture_output=True).returncode == 0


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB volume for the database and attachments; skipped where this machine cannot mount one."""
    volume = tmp_path / "small"
    volume.mkdir()
    if not can_mount_tmpfs(volume):
        pytest.skip("mounting a 2 MB tmpfs needs root and mount(8); this machine allows neither")
    yield volume
    subprocess.run(["umount", str(volume)], check=False)


def test_a_full_disk_answers_507_and_stores_nothing_half(kb, index_dir, full_disk):
    build(kb, index_dir, audience="customer")
    app = create_app({"TESTING": True, "ARTICLES_DIR": str(kb), "INDEX_DIR": str(index_dir),
                      "AUDIENCE": "customer", "DATABASE": str(full_disk / "cases.sqlite"),
                      "SECRET_KEY": "k" * 32, "RATE_LIMIT_CASES": "off", "RATE_LIMIT_UPLOAD_BYTES": "off"})
    client = app.test_client()
    assert client.post("/api/cases", json=CASE).status_code == 201
    log = b"x" * (400 * 1024)  # under werkzeug's test client's 500 kB spooling, which leaks its temporary file
    statuses = []
    for _ in range(8):  # 3.2 MB of attachments into a 2 MB volume
        response = client.post("/api/cases", data={**CASE, "attachments": [(io.BytesIO(log), "a.log")]})
        statuses.append(response.status_code)
        if response.status_code == 507:
            assert response.get_json()["status"] == 507 and "disk is full" in response.get_json()["error"]
    assert 507 in statuses and set(statuses) <= {201, 507}
    check = sqlite3.connect(full_disk / "cases.sqlite")
    assert check.execute("pragma integrity_check").fetchone()[0] == "ok"
    cases = check.execute("select count(*) from cases").fetchone()[0]
    rows = check.execute("select stored_as from attachments").fetchall()
    check.close()
    assert cases == 1 + statuses.count(201)
    on_disk = sorted(p.name for p in (full_disk / "attachments").iterdir())
    assert on_disk == sorted(r[0] for r in rows)  # no half-written file, no file without its case


SERVER = textwrap.dedent("""
    import os, signal, sys
    from werkzeug.serving import make_server
    from kbsearch import create_app

    app = create_app({"TESTING": True, "ARTICLES_DIR": sys.argv[1], "INDEX_DIR": sys.argv[2],
                      "AUDIENCE": "customer", "DATABASE": sys.argv[3], "SECRET_KEY": "s" * 40})
    inner = app.wsgi_app

    def die_before_answering(environ, start_response):
        body = inner(environ, start_response)
        if environ.get("HTTP_X_TEST_DIE_AFTER_COMMIT"):
            os.kill(os.getpid(), signal.SIGKILL)  # the case is committed; its answer is never sent
        return body

    app.wsgi_app = die_before_answering
    make_server("127.0.0.1", int(sys.argv[4]), app).serve_forever()
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: Path, kb: Path, index_dir: Path, database: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, str(script), str(kb), str(index_dir), str(database), str(port)])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=1)
            return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the test server did not start")


def post(port: int, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/cases", data=json.dumps(CASE).encode(),
                                     headers={"Content-Type": "application/json", **headers}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_a_case_committed_by_a_server_killed_before_answering_is_not_duplicated_by_the_retry(kb, index_dir, tmp_path):
    build(kb, index_dir, audience="customer")
    script, database, port = tmp_path / "server.py", tmp_path / "cases.sqlite", free_port()
    script.write_text(SERVER, encoding="utf-8")
    server = start(script, kb, index_dir, database, port)
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError, http_client_errors())):
            post(port, {"Idempotency-Key": "retry-me-1", "X-Test-Die-After-Commit": "1"})
        assert server.wait(timeout=10) == -signal.SIGKILL
        server = start(script, kb, index_dir, database, port)
        status, body = post(port, {"Idempotency-Key": "retry-me-1"})  # the client's retry
        assert status == 201 and body["number"] == "CS-000001"
        check = sqlite3.connect(database)
        assert check.execute("select count(*) from cases").fetchone()[0] == 1
        check.close()
        case = urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{port}/api/cases/CS-000001", headers={"X-Case-Secret": body["secret"]}), timeout=5)
        assert json.loads(case.read())["subject"] == CASE["subject"]  # the secret given again opens it
    finally:
        server.kill()
        server.wait()


def http_client_errors() -> type[Exception]:
    import http.client

    return http.client.HTTPException
