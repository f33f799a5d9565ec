"""The support team's commands: `kbsearch tokens ...` and `kbsearch cases list|show|comment|set-status`."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest

from kbsearch.web import current

CASE = {"subject": "Locked out", "category": "access", "subcategory": "passwords",
        "description": "It says my account is locked.", "name": "Ada", "email": "ada@example.com"}


def invoke(runner, *args: str, code: int = 0) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == code, result.output
    return result.output


def open_cases(client, *subjects: str) -> list[dict]:
    opened = []
    for subject in subjects:
        response = client.post("/api/cases", json={**CASE, "subject": subject})
        assert response.status_code == 201
        opened.append(response.get_json())
    return opened


# -- tokens ----------------------------------------------------------------------------------------------------

def test_a_new_token_is_printed_once_as_the_last_line_and_works(app, client, runner):
    output = invoke(runner, "tokens", "create", "grace")
    *explanation, token = output.strip().splitlines()
    assert "shown this once" in " ".join(explanation) and token.startswith("kbs_") and " " not in token
    assert client.get("/api/staff/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = invoke(runner, "tokens", "list")
    assert "grace" in listed and token not in listed
    assert hashlib.sha256(token.encode()).hexdigest() not in listed
    with app.app_context():  # only the hash is stored
        [row] = current.get_db().query("select * from staff_tokens")
        assert token not in json.dumps(row) and row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_list_shows_when_each_token_was_made_used_and_revoked(client, runner):
    assert invoke(runner, "tokens", "list").startswith("no tokens")
    token = invoke(runner, "tokens", "create", "grace").strip().splitlines()[-1]
    invoke(runner, "tokens", "create", "helpdesk-sync")
    client.get("/api/staff/cases", headers={"Authorization": f"Bearer {token}"})
    invoke(runner, "tokens", "revoke", "helpdesk-sync")
    header, grace, sync = invoke(runner, "tokens", "list").strip().splitlines()
    assert header.split() == ["name", "created", "last", "used", "revoked"]
    assert grace.split()[0] == "grace" and grace.split()[2] != "never" and grace.split()[3] == "-"
    assert sync.split()[0] == "helpdesk-sync" and sync.split()[2] == "never" and sync.split()[3] != "-"


def test_a_revoked_token_stops_working(client, runner):
    token = invoke(runner, "tokens", "create", "grace").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/staff/cases", headers=headers).status_code == 200
    assert "revoked" in invoke(runner, "tokens", "revoke", "grace")
    assert client.get("/api/staff/cases", headers=headers).status_code == 401
    assert "no live token called grace" in invoke(runner, "tokens", "revoke", "grace", code=1)


@pytest.mark.parametrize("name, message", [("grace", "already a token called grace"),
                                           ("has space", "a token name is"), (".x", "a token name is")])
def test_a_taken_or_bad_name_is_refused(runner, name, message):
    invoke(runner, "tokens", "create", "grace")
    assert message in invoke(runner, "tokens", "create", name, code=1)


# -- cases -----------------------------------------------------------------------------------------------------

def test_cases_list_in_each_format(client, runner):
    assert invoke(runner, "cases", "list").strip() == "no cases"
    open_cases(client, "first", "second")
    invoke(runner, "cases", "set-status", "CS-000001", "solved", "--article", "locked-account")
    table = invoke(runner, "cases", "list").splitlines()
    assert table[0].split() == ["number", "status", "opened", "from", "subject"]
    assert [line.split()[:2] for line in table[2:4]] == [["CS-000002", "new"], ["CS-000001", "solved"]]
    assert table[-1] == "2 case(s)" and "Ada <ada@example.com>" in table[2]
    listed = json.loads(invoke(runner, "cases", "list", "--format", "json"))
    assert [(c["number"], c["subject"], c["solved_by"]) for c in listed] == [
        ("CS-000002", "second", None), ("CS-000001", "first", "locked-account")]
    rows = list(csv.DictReader(io.StringIO(invoke(runner, "cases", "list", "--format", "csv"))))
    assert [(r["number"], r["status"], r["email"], r["solved_by"]) for r in rows] == [
        ("CS-000002", "new", "ada@example.com", ""), ("CS-000001", "solved", "ada@example.com", "locked-account")]
    solved = json.loads(invoke(runner, "cases", "list", "--status", "solved", "--format", "json"))
    assert [c["number"] for c in solved] == ["CS-000001"]
    assert json.loads(invoke(runner, "cases", "list", "--since", "2999-01-01", "--format", "json")) == []
    assert "--since" in invoke(runner, "cases", "list", "--since", "last week", code=2)


def test_cases_show_as_json_is_the_staff_view(client, runner):
    [opened] = open_cases(client, "Locked out")
    client.post("/api/cases/CS-000001/comments", json={"body": "Still locked."},
                headers={"X-Case-Secret": opened["secret"]})
    invoke(runner, "cases", "comment", "CS-000001", "Try again now.", "--as", "grace")
    case = json.loads(invoke(runner, "cases", "show", "CS-000001", "--format", "json"))
    assert case["number"] == "CS-000001" and case["description"] == CASE["description"]
    assert [(c["author"], c["name"], c["body"]) for c in case["comments"]] == [
        ("customer", None, "Still locked."), ("staff", "grace", "Try again now.")]
    assert set(case) >= {"tried", "solved_by", "attachments", "solution"} and opened["secret"] not in json.dumps(case)


def test_cases_show_as_text_reads_oldest_first(client, runner):
    [opened] = open_cases(client, "Locked out")
    client.post("/api/cases/CS-000001/comments", json={"body": "Still locked."},
                headers={"X-Case-Secret": opened["secret"]})
    invoke(runner, "cases", "comment", "CS-000001", "Try again now.")
    text = invoke(runner, "cases", "show", "CS-000001")
    assert text.startswith("CS-000001  Locked out\nstatus: new    category: access / passwords")
    assert CASE["description"] in text and "from: Ada <ada@example.com>" in text
    assert text.index("the customer:") < text.index("Still locked.") < text.index("the team (support):") < text.index(
        "Try again now.")
    assert "no case CS-999999" in invoke(runner, "cases", "show", "CS-999999", code=1)


def test_cases_comment_refuses_an_empty_text_or_an_unknown_case(app, client, runner):
    open_cases(client, "Locked out")
    assert "TEXT is required" in invoke(runner, "cases", "comment", "CS-000001", "   ", code=1)
    assert "no case CS-999999" in invoke(runner, "cases", "comment", "CS-999999", "Hello", code=1)
    with app.app_context():
        assert not list(current.get_db().query("select * from comments"))


def test_set_status_with_an_unknown_article_fails_naming_it(app, client, runner):
    open_cases(client, "Locked out")
    output = invoke(runner, "cases", "set-status", "CS-000001", "solved", "--article", "no-such-article", code=1)
    assert "--article no-such-article" in output and "Traceback" not in output
    with app.app_context():
        case = current.get_db()["cases"].get(1)
        assert (case["status"], case["solved_by"]) == ("new", None)
    assert "solved_by, status changed" in invoke(runner, "cases", "set-status", "CS-000001", "solved", "--article",
                                                 "sso-setup")
    with app.app_context():
        assert current.get_db()["cases"].get(1)["solved_by"] == "sso-setup"
