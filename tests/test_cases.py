"""Cases through the API: submitted as JSON or with attachments, stored whole, looked up with the secret."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import sqlite_utils.db

from kbsearch.web import current

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CASE = {"subject": "Locked out", "category": "access", "subcategory": "passwords",
        "description": "It says my account is locked.", "name": "Ada", "email": "ada@example.com"}


def form(*files, **changes):
    """A multipart body: the case fields plus (bytes, name) attachments."""
    return {**CASE, **changes, "attachments": [(io.BytesIO(data), name) for data, name in files]}


def stored(app):
    """Everything the store holds: case rows, attachment rows and files on disk."""
    with app.app_context():
        database = current.get_db()
        folder = current.attachments_dir()
        files = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
        return list(database.query("select * from cases")), list(database.query("select * from attachments")), files


def test_a_json_case_gets_a_number_secret_and_status_url(client):
    response = client.post("/api/cases", json=CASE)
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == "CS-000001" and len(body["secret"]) >= 20
    assert body["url"] == f"/cases/CS-000001?secret={body['secret']}" == response.headers["Location"]
    case = client.get("/api/cases/CS-000001", headers={"X-Case-Secret": body["secret"]}).get_json()
    assert case["status"] == "new" and case["subject"] == "Locked out" and case["attachments"] == []
    assert client.post("/api/cases", json=CASE).get_json()["number"] == "CS-000002"


def test_attachments_are_stored_under_server_names_with_their_metadata(app, client):
    log = b"2026-11-23 sign-in failed\n"
    response = client.post("/api/cases", data=form((PNG, "../../screen shot.png"), (log, "app.log")))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    case = client.get(f"/api/cases/{body['number']}?secret={body['secret']}").get_json()
    assert case["attachments"] == [
        {"name": "screen shot.png", "size": len(PNG), "type": "image/png", "sha256": hashlib.sha256(PNG).hexdigest()},
        {"name": "app.log", "size": len(log), "type": "text/plain", "sha256": hashlib.sha256(log).hexdigest()},
    ]
    _, rows, files = stored(app)
    assert sorted(r["stored_as"] for r in rows) == files and not any("shot" in f for f in files)
    with app.app_context():
        assert (current.attachments_dir() / rows[0]["stored_as"]).read_bytes() == PNG


@pytest.mark.parametrize("files, changes, field", [
    ([(b"MZ\x90\x00", "tool.exe")], {}, "attachments"),
    ([(b"not really a png", "shot.png")], {}, "attachments"),
    ([(b"", "empty.txt")], {}, "attachments"),
    ([(b"a\x00b", "binary.log")], {}, "attachments"),
    ([(b"not json", "data.json")], {}, "attachments"),
    ([(b"[1, 2]", "capture.har")], {}, "attachments"),  # a HAR file is one JSON object
    ([(b"plain text", "feed.xml")], {}, "attachments"),
    ([(b"a,b\n\xff\xfe,2", "export.csv")], {}, "attachments"),  # not UTF-8
    ([(PNG, f"s{i}.png") for i in range(6)], {}, "attachments"),
    ([(PNG, "fine.png")], {"email": "ada at example"}, "email"),
    ([(PNG, "fine.png")], {"subject": "   "}, "subject"),
    ([(PNG, "fine.png")], {"category": "nope"}, "category"),
    ([(PNG, "fine.png")], {"subcategory": "invoices"}, "subcategory"),
    ([(PNG, "fine.png")], {"session": "bad session!"}, "session"),
])
def test_a_rejected_case_stores_nothing_and_names_the_field(app, client, files, changes, field):
    response = client.post("/api/cases", data=form(*files, **changes))
    assert response.status_code == 400
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert stored(app) == ([], [], [])


def test_size_limits_per_file_and_in_total(app, client):
    app.config.update(ATTACHMENT_MAX_BYTES=100, ATTACHMENTS_MAX_TOTAL_BYTES=120)
    too_big = client.post("/api/cases", data=form((PNG + b"x" * 100, "big.png")))
    assert "big.png is larger than 100 bytes" == too_big.get_json()["errors"][0]["message"]
    too_much = client.post("/api/cases", data=form((PNG, "a.png"), (PNG, "b.png")))
    assert "attachments together must be at most 120 bytes" == too_much.get_json()["errors"][0]["message"]
    assert stored(app) == ([], [], [])


def test_a_body_over_the_request_limit_is_413_in_the_error_shape(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/cases", data=form((PNG + b"x" * 2000, "big.png")))
    assert response.status_code == 413 and response.get_json()["status"] == 413
    assert stored(app) == ([], [], [])


def test_all_missing_fields_are_named_at_once(client):
    response = client.post("/api/cases", json={})
    assert [e["field"] for e in response.get_json()["errors"]] == ["subject", "category", "description", "name",
                                                                   "email"]


def test_if_the_database_fails_the_files_are_removed_too(app, client, monkeypatch):
    real = sqlite_utils.db.Table.insert_all

    def broken(self, *args, **kwargs):
        if self.name == "attachments":  # after the case row is written: it must be rolled back
            raise RuntimeError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr("sqlite_utils.db.Table.insert_all", broken)
    with pytest.raises(RuntimeError):
        client.post("/api/cases", data=form((PNG, "a.png")))
    monkeypatch.undo()
    assert stored(app) == ([], [], [])


def test_the_secret_is_needed_and_only_its_hash_is_kept(app, client):
    body = client.post("/api/cases", json=CASE).get_json()
    for kwargs in ({}, {"headers": {"X-Case-Secret": "wrong"}}, {"query_string": {"secret": body["secret"][:-1]}}):
        response = client.get("/api/cases/CS-000001", **kwargs)
        assert response.status_code == 404 and response.get_json()["status"] == 404
    assert client.get("/api/cases/CS-999999", headers={"X-Case-Secret": body["secret"]}).status_code == 404
    rows, _, _ = stored(app)
    assert body["secret"] not in json.dumps(rows)


def test_shown_keeps_only_articles_the_build_serves(app, client):
    body = client.post("/api/cases", json={**CASE, "session": "form-session-1",
                                           "shown": ["locked-account", "internal-unlock", "made-up"]}).get_json()
    rows, _, _ = stored(app)
    assert json.loads(rows[0]["shown"]) == ["locked-account"]
    with app.app_context():
        events = list(current.get_db().query("select kind, case_number, session from events"))
    assert events == [{"kind": "submitted", "case_number": body["number"], "session": "form-session-1"}]


def test_a_browser_post_from_another_site_is_refused(app, client):
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/api/cases", json=CASE, headers=headers)
        assert response.status_code == 403 and response.get_json()["status"] == 403
    ours = client.post("/api/cases", json=CASE, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert ours.status_code == 201
    assert len(stored(app)[0]) == 1


def test_set_status_shows_the_solution_to_the_customer(client, runner):
    body = client.post("/api/cases", json=CASE).get_json()
    result = runner.invoke(args=["cases", "set-status", "CS-000001", "solved", "--solution", "Wait 15 minutes."])
    assert result.exit_code == 0 and "CS-000001: solved" in result.output
    case = client.get(body["url"].replace("/cases/", "/api/cases/")).get_json()
    assert case["status"] == "solved" and case["solution"] == "Wait 15 minutes."
    page = client.get(body["url"], follow_redirects=True).get_data(as_text=True)
    assert "Wait 15 minutes." in page and "Solved" in page
    missing = runner.invoke(args=["cases", "set-status", "CS-000404", "open"])
    assert missing.exit_code == 1 and "no case CS-000404" in missing.output


def test_a_write_failing_midway_leaves_no_file(tmp_path, monkeypatch):
    from kbsearch.cases import attachments

    real, calls = attachments.os.fsync, []

    def failing(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(fd)

    monkeypatch.setattr(attachments.os, "fsync", failing)
    files = [attachments.Accepted("a.png", "image/png", PNG), attachments.Accepted("b.png", "image/png", PNG)]
    with pytest.raises(OSError):
        attachments.stage(files, tmp_path / "files")
    assert list((tmp_path / "files").iterdir()) == []


def test_data_files_customers_send_support_are_accepted_when_their_content_matches(app, client):
    files = [(b"id,name\n1,Ada\n", "users.csv"), (b'\n  {"log": {"entries": []}}', "network.har"),
             (b'\xef\xbb\xbf[{"a": 1}]', "export.json"), (b'<?xml version="1.0"?><feed/>', "feed.xml")]
    response = client.post("/api/cases", data=form(*files))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    case = client.get(f"/api/cases/{body['number']}", headers={"X-Case-Secret": body["secret"]}).get_json()
    types = {a["name"]: a["type"] for a in case["attachments"]}
    assert types == {"users.csv": "text/csv", "network.har": "application/json",
                     "export.json": "application/json", "feed.xml": "application/xml"}
