"""After a case is opened: comments and status changes queue who must hear of them; tokens; find my cases."""

from __future__ import annotations

import json
import time

import pytest

from kbsearch.cases import conversation, finding, outbox, tokens
from kbsearch.cases.fields import ValidationError
from kbsearch.cases.store import CaseInput, CaseNotFound, create_case

ON = outbox.Settings(smtp_host="127.0.0.1", support_email="queue@example.com",
                     public_url="https://support.example.com", webhook_url="http://127.0.0.1:9/hook")




def open_case(database, tmp_path, email="ada@example.com"):
    case = CaseInput("Locked out", "access", "passwords", "It says my account is locked.", "Ada", email)
    return create_case(database, case, tmp_path / "files", delivery=ON)


def queued(database, after: int = 0) -> list[dict]:
    return [dict(r, body=json.loads(r["payload"])) for r in database.query(
        "select * from outbox where id > ? order by id", [after])]


def last_id(database) -> int:
    return next(database.query("select coalesce(max(id), 0) as n from outbox"))["n"]


def test_a_team_comment_is_mailed_to_the_customer_and_fires_the_webhook(database, tmp_path):
    created = open_case(database, tmp_path)
    mark = last_id(database)
    conversation.add_comment(database, created.number, "staff", "Reset it from Settings > Security.", "grace",
                             delivery=ON)
    mail, hook = queued(database, mark)
    assert (mail["channel"], mail["target"], mail["event"]) == ("email", "ada@example.com", "case.comment")
    assert "Reset it from Settings > Security." in mail["body"]["text"]
    assert "https://support.example.com/cases/CS-000001" in mail["body"]["text"]
    assert (hook["channel"], hook["event"]) == ("webhook", "case.comment")
    assert hook["body"]["comment"]["body"] == "Reset it from Settings > Security."
    assert [c["author"] for c in hook["body"]["case"]["comments"]] == ["staff"]
    assert created.secret not in json.dumps([mail, hook])


def test_a_customer_reply_reopens_a_waiting_case_and_tells_the_team(database, tmp_path):
    created = open_case(database, tmp_path)
    conversation.update_case(database, created.number, conversation.Change(status="waiting"), ON)
    mark = last_id(database)
    conversation.add_comment(database, created.number, "customer", "Still locked.", delivery=ON)
    mail, hook = queued(database, mark)
    assert (mail["target"], mail["body"]["reply_to"]) == ("queue@example.com", "Ada <ada@example.com>")
    assert "Still locked." in mail["body"]["text"] and hook["event"] == "case.comment"
    row = conversation.owner_row(database, created.number, created.secret)
    view = conversation.customer_view(database, row)
    assert view["status"] == "open"
    assert [(c["author"], c["body"]) for c in view["comments"]] == [("customer", "Still locked.")]
    assert "name" not in view["comments"][0]  # the customer's view names no one on the team


def test_a_closed_case_takes_no_reply(database, tmp_path):
    created = open_case(database, tmp_path)
    conversation.update_case(database, created.number, conversation.Change(status="closed"), ON)
    mark = last_id(database)
    with pytest.raises(conversation.CaseClosed):
        conversation.add_comment(database, created.number, "customer", "Hello?", delivery=ON)
    assert queued(database, mark) == []
    assert list(database.query("select * from comments")) == []


def test_an_update_names_what_changed_and_only_a_served_article_solves(database, tmp_path):
    created = open_case(database, tmp_path)
    with pytest.raises(ValidationError) as bad:
        conversation.read_change({"status": "done", "solved_by": "no-such-article"}, {"reset-password": {}})
    assert [e["field"] for e in bad.value.errors] == ["status", "solved_by"]
    change = conversation.read_change({"status": "solved", "solved_by": "reset-password"}, {"reset-password": {}})
    mark = last_id(database)
    assert conversation.update_case(database, created.number, change, ON) == {
        "status": "solved", "solved_by": "reset-password"}
    mail, hook = queued(database, mark)
    assert mail["target"] == "ada@example.com" and "solved" in mail["body"]["subject"]
    assert hook["body"]["changes"] == {"status": "solved", "solved_by": "reset-password"}
    assert conversation.update_case(database, created.number, change, ON) == {}  # nothing new: nothing sent
    assert queued(database, mark + 2) == []
    with pytest.raises(CaseNotFound):
        conversation.update_case(database, "CS-999999", change, ON)


def test_the_customer_marking_it_solved_tells_the_team_not_the_customer(database, tmp_path):
    created = open_case(database, tmp_path)
    mark = last_id(database)
    conversation.update_case(database, created.number, conversation.Change(status="solved", by="customer"), ON)
    mail, hook = queued(database, mark)
    assert mail["target"] == "queue@example.com" and hook["body"]["by"] == "customer"


def test_a_wrong_secret_reads_nothing(database, tmp_path):
    created = open_case(database, tmp_path)
    for secret in ("", "x" * 24, created.secret[:-1]):
        with pytest.raises(CaseNotFound):
            conversation.owner_row(database, created.number, secret)


def test_a_token_is_shown_once_stored_hashed_and_revocable(database):
    token = tokens.create(database, "grace")
    assert token.startswith("kbs_") and len(token) > 40
    stored = list(database.query("select * from staff_tokens"))
    assert token not in json.dumps(stored)
    assert tokens.check(database, token) == "grace"
    assert tokens.check(database, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert tokens.check(database, "") is None
    with pytest.raises(tokens.TokenError):
        tokens.create(database, "grace")
    with pytest.raises(tokens.TokenError):
        tokens.create(database, "has space")
    tokens.revoke(database, "grace")
    assert tokens.check(database, token) is None
    with pytest.raises(tokens.TokenError):
        tokens.revoke(database, "grace")
    assert [t["name"] for t in tokens.listing(database)] == ["grace"]
    assert "token_hash" not in tokens.listing(database)[0]


def test_find_my_cases_mails_only_an_address_with_cases_three_times_an_hour(database, tmp_path):
    open_case(database, tmp_path, "ada@example.com")
    open_case(database, tmp_path, "Ada@Example.com")
    mark = last_id(database)

    def link(email: str) -> str:
        return f"https://support.example.com/cases/mine?token=signed-{email}"

    assert finding.request_link(database, ON, "nobody@example.com", link) is False
    sent = [finding.request_link(database, ON, "ADA@example.com", link) for _ in range(4)]
    assert sent == [True, True, True, False]
    mails = queued(database, mark)
    assert len(mails) == 3 and {m["target"] for m in mails} == {"ada@example.com"}
    assert "(2)" in mails[0]["body"]["text"] and mails[0]["secret"] == link("ada@example.com")
    later = time.time() + 3601
    assert finding.request_link(database, ON, "ada@example.com", link, clock=lambda: later) is True
    assert [c["number"] for c in finding.cases_for(database, "ada@EXAMPLE.com")] == ["CS-000002", "CS-000001"]
