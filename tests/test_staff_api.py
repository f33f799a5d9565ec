"""The staff API (/api/staff/): bearer tokens, reading and answering cases, downloads, what each change queues.

Everything goes through the real app and database; the end-to-end test at the bottom mails the
customer through a real SMTP server (aiosmtpd on loopback, the fixtures of tests/test_delivery.py).
"""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from test_delivery import deliver, deliver_app, receiver, smtp  # noqa: F401 (fixtures)
from test_error_shape import assert_canonical

from kbsearch import create_app
from kbsearch.cases import store, tokens
from kbsearch.web import current

CASE = {"subject": "Locked out", "category": "access", "subcategory": "passwords",
        "description": "It says my account is locked.", "name": "Ada", "email": "ada@example.com"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LOG = b"2026-11-23 09:30 sign-in failed for ada\n"


def make_token(app, name: str = "grace") -> str:
    with app.app_context():
        return tokens.create(current.get_db(), name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(app) -> dict[str, str]:
    """The headers of a live token called grace."""
    return bearer(make_token(app))


def open_case(client, *files: tuple[bytes, str], **changes) -> dict:
    """A case opened by a customer through the public API; its number and secret."""
    if files:
        data = {**CASE, **changes, "attachments": [(io.BytesIO(content), name) for content, name in files]}
        response = client.post("/api/cases", data=data, content_type="multipart/form-data")
    else:
        response = client.post("/api/cases", json={**CASE, **changes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def outbox(app) -> list[dict]:
    with app.app_context():
        return [dict(r, body=json.loads(r["payload"]))
                for r in current.get_db().query("select * from outbox order by id")]


# -- who may ask --------------------------------------------------------------------------------------------

ROUTES = [("get", "/api/staff/cases", None), ("get", "/api/staff/cases/CS-000001", None),
          ("get", "/api/staff/cases/CS-000001/attachments/1", None),
          ("post", "/api/staff/cases/CS-000001/comments", {"body": "Try again now."}),
          ("patch", "/api/staff/cases/CS-000001", {"status": "closed"})]


@pytest.mark.parametrize("method, path, body", ROUTES)
@pytest.mark.parametrize("credentials", ["none", "wrong", "other scheme", "revoked", "empty"])
def test_without_a_live_token_every_staff_route_is_401(app, client, method, path, body, credentials):
    open_case(client, (LOG, "app.log"))
    token = make_token(app)
    headers = {"none": {}, "wrong": bearer("kbs_" + "x" * 43), "other scheme": {"Authorization": f"Basic {token}"},
               "revoked": bearer(token), "empty": {"Authorization": "Bearer "}}[credentials]
    if credentials == "revoked":
        worked = getattr(client, method)(path, json=body, headers=headers, buffered=True)
        assert worked.status_code in (200, 201)
        with app.app_context():
            tokens.revoke(current.get_db(), "grace")
    response = getattr(client, method)(path, json=body, headers=headers)
    assert_canonical(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    if credentials != "revoked":  # nothing of the refused request happened
        with app.app_context():
            case = current.get_db()["cases"].get(1)
            assert case["status"] == "new" and not list(current.get_db().query("select * from comments"))


def test_a_token_records_when_it_was_last_used(app, client, staff):
    with app.app_context():
        assert tokens.listing(current.get_db())[0]["last_used"] is None
    assert client.get("/api/staff/cases", headers=staff).status_code == 200
    with app.app_context():
        assert tokens.listing(current.get_db())[0]["last_used"] is not None


def test_a_cross_site_browser_write_is_refused_even_with_a_token(client, staff):
    open_case(client)
    response = client.post("/api/staff/cases/CS-000001/comments", json={"body": "x"},
                           headers={**staff, "Origin": "https://elsewhere.example"})
    assert_canonical(response, 403)


# -- reading ---------------------------------------------------------------------------------------------------

def test_the_list_is_newest_first_and_filtered(app, client, staff):
    for subject in ("first", "second", "third"):
        open_case(client, subject=subject)
    assert client.patch("/api/staff/cases/CS-000002", json={"status": "waiting"}, headers=staff).status_code == 200
    everything = client.get("/api/staff/cases", headers=staff)
    assert everything.status_code == 200 and everything.headers["Cache-Control"] == "no-store"
    body = everything.get_json()
    assert [c["subject"] for c in body["cases"]] == ["third", "second", "first"]
    assert (body["total"], body["page"], body["pages"]) == (3, 1, 1)
    assert set(body["cases"][0]) == {"number", "status", "subject", "category", "subcategory", "name", "email",
                                     "created", "updated", "solved_by"}
    waiting = client.get("/api/staff/cases?status=waiting", headers=staff).get_json()
    assert [c["number"] for c in waiting["cases"]] == ["CS-000002"] and waiting["total"] == 1
    assert client.get("/api/staff/cases?status=", headers=staff).get_json()["total"] == 3  # empty: all
    with app.app_context():  # the first case was opened long ago
        current.get_db().execute("update cases set created = '2025-01-10T08:00:00Z' where number = 'CS-000001'")
        current.get_db().conn.commit()
    for since, total in (("2025-01-10", 3), ("2025-01-10T08:00:01Z", 2), ("2025-01-10T09:00:00+01:00", 3),
                         ("2025-01-10T08:00:00.5Z", 2), ("2999-01-01", 0), ("", 3)):
        answer = client.get("/api/staff/cases", query_string={"since": since}, headers=staff).get_json()
        assert answer["total"] == total, since


def test_a_page_past_the_last_is_an_empty_list(app, client, staff):
    with app.app_context():
        for i in range(51):
            store.create_case(current.get_db(), store.CaseInput(f"case {i}", "access", None, "d", "Ada",
                                                                "ada@example.com"), current.attachments_dir())
    first = client.get("/api/staff/cases", headers=staff).get_json()
    assert (len(first["cases"]), first["total"], first["pages"]) == (50, 51, 2)
    second = client.get("/api/staff/cases?page=2", headers=staff).get_json()
    assert [c["subject"] for c in second["cases"]] == ["case 0"]
    beyond = client.get("/api/staff/cases?page=3", headers=staff)
    assert beyond.status_code == 200 and beyond.get_json() == {"cases": [], "total": 51, "page": 3, "pages": 2}


def test_bad_list_parameters_are_all_named_at_once(client, staff):
    response = client.get("/api/staff/cases?status=lost&since=2026-02-30&page=0", headers=staff)
    assert [e["field"] for e in assert_canonical(response, 400)["errors"]] == ["status", "since", "page"]
    for since in ("yesterday", "2026-1-5", "2026-01-05T10:00", "2026-01-05 10:00:00Z", "٢٠٢٦-01-05"):
        response = client.get("/api/staff/cases", query_string={"since": since}, headers=staff)
        assert [e["field"] for e in assert_canonical(response, 400)["errors"]] == ["since"], since
    for page in ("", "1.5", "-1", "x"):
        response = client.get("/api/staff/cases", query_string={"page": page}, headers=staff)
        assert [e["field"] for e in assert_canonical(response, 400)["errors"]] == ["page"], page


def test_a_case_holds_everything_the_team_needs(app, client, staff):
    assert client.post("/api/events", json={"session": "form-session-1", "kind": "clicked",
                                            "article_id": "locked-account"}).status_code == 201
    opened = open_case(client, (PNG, "screen shot.png"), (LOG, "app.log"), session="form-session-1",
                       shown="locked-account,sso-setup")
    answer = client.post(f"/api/cases/{opened['number']}/comments", json={"body": "Still locked."},
                         headers={"X-Case-Secret": opened["secret"]})
    assert answer.status_code == 201, answer.get_json()
    client.post("/api/staff/cases/CS-000001/comments", json={"body": "Try now."}, headers=staff)
    response = client.get("/api/staff/cases/CS-000001", headers=staff)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    case = response.get_json()
    assert case["description"] == CASE["description"] and case["email"] == "ada@example.com"
    assert [(a["name"], a["size"], a["type"]) for a in case["attachments"]] == [
        ("screen shot.png", len(PNG), "image/png"), ("app.log", len(LOG), "text/plain")]
    assert [a["url"] for a in case["attachments"]] == [f"/api/staff/cases/CS-000001/attachments/{a['id']}"
                                                       for a in case["attachments"]]
    assert case["tried"] == {"shown": ["locked-account", "sso-setup"], "opened": ["locked-account"],
                             "dismissed": []}
    assert [(c["author"], c["name"], c["body"]) for c in case["comments"]] == [
        ("customer", None, "Still locked."), ("staff", "grace", "Try now.")]
    assert case["solved_by"] is None and case["status"] == "new"


def test_an_unknown_case_is_404(client, staff):
    assert_canonical(client.get("/api/staff/cases/CS-999999", headers=staff), 404)
    assert_canonical(client.patch("/api/staff/cases/CS-999999", json={"status": "open"}, headers=staff), 404)
    assert_canonical(client.post("/api/staff/cases/CS-999999/comments", json={"body": "x"}, headers=staff), 404)


def test_an_attachment_downloads_as_the_exact_bytes_under_its_name(client, staff):
    open_case(client, (PNG, "screen shot.png"), (LOG, "app.log"))
    open_case(client, (LOG, "other.log"))
    files = client.get("/api/staff/cases/CS-000001", headers=staff).get_json()["attachments"]
    png = client.get(files[0]["url"], headers=staff, buffered=True)
    assert png.status_code == 200 and png.data == PNG
    assert hashlib.sha256(png.data).hexdigest() == files[0]["sha256"]
    assert png.headers["Content-Disposition"] == 'attachment; filename="screen shot.png"'
    assert png.mimetype == "image/png" and png.headers["X-Content-Type-Options"] == "nosniff"
    assert png.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in png.headers["Content-Security-Policy"]  # nothing exempted
    log = client.get(files[1]["url"], headers=staff, buffered=True)
    assert log.data == LOG and log.mimetype == "text/plain"
    assert log.headers["Content-Disposition"] == "attachment; filename=app.log"
    open_case(client, (PNG, "écran d'accueil.png"))
    accented = client.get("/api/staff/cases/CS-000003", headers=staff).get_json()["attachments"][0]
    named = client.get(accented["url"], headers=staff, buffered=True).headers["Content-Disposition"]
    assert named == "attachment; filename=\"ecran d'accueil.png\"; filename*=UTF-8''%C3%A9cran%20d%27accueil.png"
    other = client.get("/api/staff/cases/CS-000002", headers=staff).get_json()["attachments"][0]
    assert client.get(f"/api/staff/cases/CS-000002/attachments/{other['id']}", headers=staff, buffered=True).data == LOG
    for path in (f"/api/staff/cases/CS-000001/attachments/{other['id']}",  # the other case's file
                 "/api/staff/cases/CS-000001/attachments/999", "/api/staff/cases/CS-000001/attachments/" + "9" * 30,
                 f"/api/staff/cases/CS-999999/attachments/{files[0]['id']}"):
        assert_canonical(client.get(path, headers=staff), 404)


def test_a_staff_response_never_holds_the_case_secret(client, staff):
    opened = open_case(client, (LOG, "app.log"))
    secret, digest = opened["secret"], hashlib.sha256(opened["secret"].encode()).hexdigest()
    answers = [client.post("/api/staff/cases/CS-000001/comments", json={"body": "Hello"}, headers=staff),
               client.patch("/api/staff/cases/CS-000001", json={"status": "waiting", "solution": "Reset it."},
                            headers=staff),
               client.get("/api/staff/cases", headers=staff), client.get("/api/staff/cases/CS-000001", headers=staff)]
    answers.append(client.get(answers[-1].get_json()["attachments"][0]["url"], headers=staff, buffered=True))
    for response in answers:
        assert response.status_code in (200, 201)
        text = response.get_data(as_text=True) + str(response.headers)
        assert secret not in text and digest not in text


# -- answering and moving ------------------------------------------------------------------------------------

def test_a_comment_is_the_team_members_and_the_customer_sees_it_unnamed(client, staff):
    opened = open_case(client)
    response = client.post("/api/staff/cases/CS-000001/comments", json={"body": "  Reset it from Settings.  "},
                           headers=staff)
    assert response.status_code == 201 and response.headers["Location"] == "/api/staff/cases/CS-000001"
    comment = response.get_json()
    assert (comment["author"], comment["name"], comment["body"], comment["attachments"]) == (
        "staff", "grace", "Reset it from Settings.", [])
    mine = client.get("/api/cases/CS-000001", headers={"X-Case-Secret": opened["secret"]}).get_json()
    assert mine["comments"] == [{"id": comment["id"], "author": "staff", "body": "Reset it from Settings.",
                                 "created": comment["created"], "attachments": []}]


@pytest.mark.parametrize("body, fields", [
    ({}, ["body"]), ({"body": " \n\t"}, ["body"]), ({"body": "x" * 20_001}, ["body"]), ({"body": 7}, ["body"]),
    ({"body": "fine", "author": "customer", "name": "x"}, ["author", "name"]),
])
def test_a_bad_comment_names_its_fields_and_stores_nothing(app, client, staff, body, fields):
    open_case(client)
    response = client.post("/api/staff/cases/CS-000001/comments", json=body, headers=staff)
    assert [e["field"] for e in assert_canonical(response, 400)["errors"]] == fields
    with app.app_context():
        assert not list(current.get_db().query("select * from comments"))


def test_a_comment_that_is_not_json_is_415(client, staff):
    open_case(client)
    response = client.post("/api/staff/cases/CS-000001/comments", data={"body": "x"}, headers=staff)
    assert_canonical(response, 415)


def test_a_change_answers_what_changed_and_the_case(client, staff):
    open_case(client)
    change = {"status": "solved", "solution": "Reset the password.", "solved_by": "locked-account"}
    response = client.patch("/api/staff/cases/CS-000001", json=change, headers=staff)
    assert response.status_code == 200
    body = response.get_json()
    assert body["changed"] == ["status", "solution", "solved_by"]
    assert {k: body["case"][k] for k in change} == change
    again = client.patch("/api/staff/cases/CS-000001", json=change, headers=staff).get_json()
    assert again["changed"] == [] and again["case"] == body["case"]
    assert client.patch("/api/staff/cases/CS-000001", json={}, headers=staff).get_json()["changed"] == []


@pytest.mark.parametrize("change, fields", [
    ({"solved_by": "no-such-article"}, ["solved_by"]),
    ({"solved_by": "internal-unlock"}, ["solved_by"]),  # exists, but this build does not serve it
    ({"status": "lost", "solution": 5}, ["status", "solution"]),
    ({"status": "open", "solvedby": "sso-setup"}, ["solvedby"]),
])
def test_a_bad_change_names_its_fields_and_changes_nothing(client, staff, change, fields):
    open_case(client)
    response = client.patch("/api/staff/cases/CS-000001", json=change, headers=staff)
    assert [e["field"] for e in assert_canonical(response, 400)["errors"]] == fields
    case = client.get("/api/staff/cases/CS-000001", headers=staff).get_json()
    assert (case["status"], case["solution"], case["solved_by"]) == ("new", None, None)


@pytest.fixture
def queuing(config, app):
    """The test app with email and the webhook on (nothing listens: this only looks at what is queued)."""
    return create_app({**config, "SMTP_HOST": "127.0.0.1", "SUPPORT_EMAIL": "queue@example.com",
                       "PUBLIC_URL": "https://support.example.com", "WEBHOOK_URL": "http://127.0.0.1:9/hook"})


def test_a_staff_comment_queues_the_customers_mail_and_the_webhook(queuing):
    client = queuing.test_client()
    open_case(client)
    before = len(outbox(queuing))
    headers = bearer(make_token(queuing))
    assert client.post("/api/staff/cases/CS-000001/comments", json={"body": "Reset it from Settings."},
                       headers=headers).status_code == 201
    mail, hook = outbox(queuing)[before:]
    assert (mail["channel"], mail["event"], mail["target"]) == ("email", "case.comment", "ada@example.com")
    assert "Reset it from Settings." in mail["body"]["text"] and "grace" not in mail["body"]["text"]
    assert (hook["channel"], hook["event"]) == ("webhook", "case.comment")
    assert hook["body"]["comment"]["body"] == "Reset it from Settings."
    assert hook["body"]["case"]["number"] == "CS-000001"


def test_a_staff_change_queues_the_customers_mail_and_case_updated(queuing):
    client = queuing.test_client()
    open_case(client)
    before = len(outbox(queuing))
    headers = bearer(make_token(queuing))
    client.patch("/api/staff/cases/CS-000001", json={"status": "solved", "solution": "Reset it."}, headers=headers)
    mail, hook = outbox(queuing)[before:]
    assert (mail["event"], mail["target"], hook["event"]) == ("case.updated", "ada@example.com", "case.updated")
    assert "Reset it." in mail["body"]["text"]
    assert client.patch("/api/staff/cases/CS-000001", json={"status": "solved"}, headers=headers).status_code == 200
    assert len(outbox(queuing)) == before + 2  # nothing changed, nothing sent


def test_an_agent_answers_from_the_command_line_and_the_customer_gets_the_mail(deliver_app, smtp):  # noqa: F811
    """README's loop with real parts: `kbsearch cases comment`, then `kbsearch deliver --once`, through SMTP."""
    client = deliver_app.test_client()
    opened = open_case(client)
    deliver(deliver_app, "--once")  # the receipt and the team's notification
    smtp[1].mails.clear()
    result = deliver_app.test_cli_runner().invoke(args=[
        "cases", "comment", opened["number"], "Reset it from Settings > Security, then sign in.", "--as", "grace"])
    assert result.exit_code == 0, result.output
    assert "queued an email to the customer and the case.comment webhook" in result.output
    assert "2 sent" in deliver(deliver_app, "--once")  # the mail and the webhook
    [(recipients, mail)] = smtp[1].mails
    assert recipients == ["ada@example.com"]
    assert "Reset it from Settings > Security, then sign in." in mail.get_body(("plain",)).get_content()
    assert mail["Subject"].startswith(f"[{opened['number']}]") and opened["secret"] not in mail.as_string()
    mine = client.get(f"/api/cases/{opened['number']}", headers={"X-Case-Secret": opened["secret"]}).get_json()
    assert [(c["author"], c["body"]) for c in mine["comments"]] == [
        ("staff", "Reset it from Settings > Security, then sign in.")]
