"""The customer's side of a case: the conversation on the status page, replies (page and API), "This is
solved" / "Reopen", and "find my cases" — with the real SMTP server and webhook receiver of
``test_delivery`` where mail and webhooks are what is checked.
"""

from __future__ import annotations

import hashlib
import io
import re
import time

import pytest
import test_delivery as delivery

from kbsearch import create_app
from kbsearch.cases import conversation
from kbsearch.web import current

smtp, receiver = delivery.smtp, delivery.receiver  # the real SMTP server and webhook receiver, as fixtures
CASE = {"subject": "Locked out", "category": "access", "subcategory": "passwords",
        "description": "It says my account is locked.", "name": "Ada Lovelace", "email": "ada@example.com"}
QUEUED = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9, "SUPPORT_EMAIL": "queue@example.com",
          "PUBLIC_URL": "https://support.example.com/", "WEBHOOK_URL": "http://127.0.0.1:9/hook"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"https://support\.example\.com(/cases/\S+?\?(?:secret|token)=[\w.-]+)")


@pytest.fixture
def queued_app(app, config):
    """The test app with email and the webhook on: messages are queued (nothing sends them here)."""
    return create_app({**config, **QUEUED})


def open_case(client, **changes) -> str:
    """A case through the API, then its status link opened in ``client`` (which keeps the cookie)."""
    body = client.post("/api/cases", json={**CASE, **changes}).get_json()
    assert client.get(body["url"]).status_code == 303
    return body["number"]


def token_of(client, path: str) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def run(app, function, *args, **kwargs):
    with app.app_context():
        return function(current.get_db(), *args, **kwargs)


def rows(app, sql: str, *params) -> list[dict]:
    with app.app_context():
        return list(current.get_db().query(sql, list(params)))


def outbox_after(app, mark: int) -> list[tuple[str, str, str]]:
    return [(r["channel"], r["event"], r["target"]) for r in rows(app, "select * from outbox where id > ? order by id",
                                                                 mark)]


def last_outbox(app) -> int:
    return rows(app, "select coalesce(max(id), 0) as n from outbox")[0]["n"]


# -- the status page ----------------------------------------------------------------------------------------

def test_the_page_shows_both_sides_of_the_conversation_oldest_first(app, client):
    number = open_case(client)
    run(app, conversation.add_comment, number, "staff", "First answer from the team.", "grace")
    reply = client.post(f"/cases/{number}/reply", data={"csrf_token": token_of(client, f"/cases/{number}"),
                                                        "body": "Second: my reply."})
    assert reply.status_code == 303 and reply.headers["Location"] == f"/cases/{number}"
    run(app, conversation.add_comment, number, "staff", "Third: the team again.", "grace")
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert "Your reply was added" in page  # the flash after the redirect
    conversation_html = page[page.index('<ol class="conversation">'):page.index("</ol>")]
    articles = re.findall(r"<article class=\"comment comment-(\w+)\".*?<h3[^>]*>(.*?)<span.*?<div class=\"rendered\">"
                          r"(.*?)</div>", conversation_html, re.S)
    assert [(side, who.strip(), re.sub(r"<[^>]+>", "", body).strip()) for side, who, body in articles] == [
        ("staff", "Support team", "First answer from the team."), ("customer", "You", "Second: my reply."),
        ("staff", "Support team", "Third: the team again.")]
    assert "grace" not in page  # no one on the team is named to the customer
    readable = r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC</time>'
    assert len(re.findall(readable, conversation_html)) == 3


def test_readable_times():
    from kbsearch.web.case_pages import when

    assert when("2026-12-06T14:05:09Z") == "6 Dec 2026, 14:05 UTC"
    assert when("not a time") == "not a time"


def test_a_reply_from_the_page_is_stored_reopens_a_waiting_case_and_tells_the_team(queued_app):
    client = queued_app.test_client()
    number = open_case(client)
    run(queued_app, conversation.update_case, number, conversation.Change(status="waiting"))
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'for="body"' in page and 'enctype="multipart/form-data"' in page and "<script" not in page
    mark = last_outbox(queued_app)
    response = client.post(f"/cases/{number}/reply", data={
        "csrf_token": TOKEN.search(page).group(1), "body": "Still locked, see the log.",
        "attachments": [(io.BytesIO(b"09:14 locked\n"), "sign-in.log")]})
    assert response.status_code == 303
    shown = client.get(f"/cases/{number}").get_data(as_text=True)
    assert "Your reply was added" in shown and "sign-in.log" in shown and "Still locked, see the log." in shown
    [case] = rows(queued_app, "select * from cases")
    assert case["status"] == "open"
    [comment] = rows(queued_app, "select * from comments")
    assert (comment["author"], comment["body"]) == ("customer", "Still locked, see the log.")
    assert [r["name"] for r in rows(queued_app, "select name from attachments where comment_id = ?",
                                    comment["id"])] == ["sign-in.log"]
    assert outbox_after(queued_app, mark) == [("email", "case.comment", "queue@example.com"),
                                              ("webhook", "case.comment", QUEUED["WEBHOOK_URL"])]


def test_a_reply_without_the_form_token_is_refused(app, client):
    number = open_case(client)
    client.get(f"/cases/{number}")  # the session has a token; the forged form does not carry it
    assert client.post(f"/cases/{number}/reply", data={"body": "forged"}).status_code == 400
    assert client.post(f"/cases/{number}/status", data={"status": "solved"}).status_code == 400
    assert rows(app, "select * from comments") == [] and rows(app, "select status from cases")[0]["status"] == "new"


def test_a_bad_reply_shows_the_page_again_with_the_text_kept_and_the_message_beside_the_field(app, client):
    number = open_case(client)
    token = token_of(client, f"/cases/{number}")
    bad_file = client.post(f"/cases/{number}/reply", data={
        "csrf_token": token, "body": "Here is <my> log", "attachments": [(io.BytesIO(b"MZ\x00\x00"), "tool.exe")]})
    text = bad_file.get_data(as_text=True)
    assert bad_file.status_code == 400
    assert ">Here is &lt;my&gt; log</textarea>" in text and 'id="attachments-error"' in text and "tool.exe" in text
    blank = client.post(f"/cases/{number}/reply", data={"csrf_token": token, "body": "  \n "})
    assert blank.status_code == 400 and re.search(r'id="body-error">is required<', blank.get_data(as_text=True))
    assert 'aria-invalid="true"' in blank.get_data(as_text=True)
    assert rows(app, "select * from comments") == [] and rows(app, "select * from attachments") == []


def test_this_is_solved_and_reopen_change_the_status_and_tell_the_team(queued_app):
    client = queued_app.test_client()
    number = open_case(client)
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert ">This is solved</button>" in page and ">Reopen</button>" not in page
    mark = last_outbox(queued_app)
    solved = client.post(f"/cases/{number}/status", data={"csrf_token": TOKEN.search(page).group(1),
                                                          "status": "solved"})
    assert solved.status_code == 303 and solved.headers["Location"] == f"/cases/{number}"
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert rows(queued_app, "select status from cases")[0]["status"] == "solved"
    assert "Marked as solved" in page and ">Reopen</button>" in page and ">This is solved</button>" not in page
    assert outbox_after(queued_app, mark) == [("email", "case.updated", "queue@example.com"),
                                              ("webhook", "case.updated", QUEUED["WEBHOOK_URL"])]
    token = TOKEN.search(page).group(1)
    assert client.post(f"/cases/{number}/status", data={"csrf_token": token, "status": "open"}).status_code == 303
    assert rows(queued_app, "select status from cases")[0]["status"] == "open"
    assert "Reopened" in client.get(f"/cases/{number}").get_data(as_text=True)
    # a status the customer may not set
    assert client.post(f"/cases/{number}/status", data={"csrf_token": token, "status": "closed"}).status_code == 400
    assert rows(queued_app, "select status from cases")[0]["status"] == "open"


def test_a_closed_case_takes_no_reply_and_no_button(app, client):
    number = open_case(client)
    token = token_of(client, f"/cases/{number}")
    run(app, conversation.update_case, number, conversation.Change(status="closed"))
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert 'id="body"' not in page and "This is solved" not in page and "open a new case" in page
    refused = client.post(f"/cases/{number}/reply", data={"csrf_token": token, "body": "One more thing"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "This case is closed" in text and "One more thing" in text
    assert client.post(f"/cases/{number}/status", data={"csrf_token": token, "status": "open"}).status_code == 409
    assert rows(app, "select * from comments") == [] and rows(app, "select status from cases")[0]["status"] == "closed"


def test_links_in_comments_and_solutions_are_links_and_nothing_else_runs(app, client):
    number = open_case(client)
    run(app, conversation.add_comment, number, "staff",
        "Read [the guide](https://help.example.com/guide) or https://help.example.com/bare_page.\n"
        "<script>alert(1)</script> [bad](javascript:alert(2)) <img src=x onerror=alert(3)> `https://in.code/`")
    run(app, conversation.update_case, number, conversation.Change(solution="See https://help.example.com/fix."))
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert '<a href="https://help.example.com/guide" rel="noopener noreferrer">the guide</a>' in page
    bare = "https://help.example.com/bare_page"
    assert f'<a href="{bare}" rel="noopener noreferrer">{bare}</a>.' in page  # the full stop is the sentence's
    assert '<a href="https://help.example.com/fix" rel="noopener noreferrer">' in page  # the solution's link
    assert "<code>https://in.code/</code>" in page  # code stays code
    assert "<script>alert" not in page and "javascript:" not in page and "onerror" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_without_its_cookie_the_page_is_a_404_that_says_how_to_get_back_in(app, client):
    number = open_case(app.test_client())
    for path in (f"/cases/{number}", f"/cases/{number}?secret=wrong", "/cases/CS-999999"):
        response = client.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert "first email" in text and '<a href="/cases/find">' in text
    assert client.post(f"/cases/{number}/reply", data={"body": "x", "csrf_token": token_of(client, "/cases/find")}
                       ).status_code == 404
    assert rows(app, "select * from comments") == []


# -- the API ------------------------------------------------------------------------------------------------

def api_case(client) -> tuple[str, dict]:
    body = client.post("/api/cases", json=CASE).get_json()
    return body["number"], {"X-Case-Secret": body["secret"]}


def test_a_comment_through_the_api(app, client):
    number, secret = api_case(client)
    run(app, conversation.update_case, number, conversation.Change(status="waiting"))
    response = client.post(f"/api/cases/{number}/comments", json={"body": " Still locked. "}, headers=secret)
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    comment = response.get_json()
    assert set(comment) == {"id", "author", "body", "created", "attachments"}
    assert (comment["author"], comment["body"], comment["attachments"]) == ("customer", "Still locked.", [])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", comment["created"])
    case = client.get(f"/api/cases/{number}", headers=secret).get_json()
    assert case["status"] == "open" and case["comments"] == [comment]


def test_a_comment_with_an_attachment(app, client):
    number, secret = api_case(client)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    response = client.post(f"/api/cases/{number}/comments", headers=secret, data={
        "body": "Screenshot attached.", "attachments": [(io.BytesIO(png), "screen.png")]})
    assert response.status_code == 201
    expected = [{"name": "screen.png", "size": len(png), "type": "image/png",
                 "sha256": hashlib.sha256(png).hexdigest()}]
    assert response.get_json()["attachments"] == expected
    assert client.get(f"/api/cases/{number}", headers=secret).get_json()["comments"][0]["attachments"] == expected
    [stored] = rows(app, "select stored_as from attachments")
    assert (current_dir(app) / stored["stored_as"]).read_bytes() == png


def current_dir(app):
    with app.app_context():
        return current.attachments_dir()


@pytest.mark.parametrize("headers", [{}, {"X-Case-Secret": "wrong"}])
def test_a_comment_needs_the_secret(app, client, headers):
    number, _ = api_case(client)
    response = client.post(f"/api/cases/{number}/comments", json={"body": ""}, headers=headers)
    body = response.get_json()
    assert response.status_code == 404 and body["status"] == 404 and set(body) == {"error", "errors", "status"}
    assert rows(app, "select * from comments") == []


def test_a_comment_on_a_closed_case_is_409(app, client):
    number, secret = api_case(client)
    run(app, conversation.update_case, number, conversation.Change(status="closed"))
    response = client.post(f"/api/cases/{number}/comments", json={"body": "Hello?"}, headers=secret)
    body = response.get_json()
    assert response.status_code == 409 and body["status"] == 409 and "closed" in body["error"]
    assert rows(app, "select * from comments") == []


@pytest.mark.parametrize("body, fields", [
    ({"body": "  "}, ["body"]),
    ({}, ["body"]),
    ({"body": 7}, ["body"]),
    ({"body": "x" * 20_001}, ["body"]),
    ({"body": "fine", "author": "staff", "status": "open"}, ["author", "status"]),
])
def test_a_bad_comment_is_400_naming_the_fields(app, client, body, fields):
    number, secret = api_case(client)
    response = client.post(f"/api/cases/{number}/comments", json=body, headers=secret)
    assert response.status_code == 400 and [e["field"] for e in response.get_json()["errors"]] == fields
    assert rows(app, "select * from comments") == []


def test_comments_are_rate_limited(app, config):
    client = create_app({**config, "RATE_LIMIT_COMMENTS": "2 per hour"}).test_client()
    number, secret = api_case(client)
    codes = [client.post(f"/api/cases/{number}/comments", json={"body": "hi"}, headers=secret).status_code
             for _ in range(3)]
    refused = client.post(f"/api/cases/{number}/comments", json={"body": "hi"}, headers=secret)
    assert codes == [201, 201, 429] and refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many comments" in refused.get_json()["error"]


# -- find my cases ------------------------------------------------------------------------------------------

def test_find_answers_the_same_with_or_without_cases(app, client):
    client.post("/api/cases", json=CASE)
    answers = [client.post("/api/cases/find", json={"email": email}) for email in ("ada@example.com",
                                                                                  "nobody@example.com")]
    assert [a.status_code for a in answers] == [202, 202] and answers[0].data == answers[1].data
    assert answers[0].get_json() == {"message": "If this address has cases, we have sent it a link to them."}
    forms = []
    for email in ("ADA@example.com", "nobody@example.com"):
        response = client.post("/cases/find", data={"csrf_token": token_of(client, "/cases/find"), "email": email})
        forms.append((response.status_code, response.headers["Location"],
                      client.get(response.headers["Location"]).get_data(as_text=True)))
    assert forms[0] == forms[1] and forms[0][0] == 303 and "we have sent it a link" in forms[0][2]
    bad = client.post("/api/cases/find", json={"email": "not an address"})
    assert bad.status_code == 400 and [e["field"] for e in bad.get_json()["errors"]] == ["email"]
    page = client.post("/cases/find", data={"csrf_token": token_of(client, "/cases/find"), "email": "nope"})
    assert page.status_code == 400 and 'id="email-error"' in page.get_data(as_text=True)
    assert client.post("/cases/find", data={"email": "ada@example.com"}).status_code == 400  # no form token
    wrong_method = client.get("/api/cases/find")  # not a case named "find"
    assert wrong_method.status_code == 405 and "GET" not in wrong_method.headers["Allow"]


@pytest.fixture
def mail_app(app, config, smtp):
    controller, _ = smtp
    return create_app({**config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port,
                       "SUPPORT_EMAIL": "queue@example.com", "PUBLIC_URL": "https://support.example.com/"})


def deliver(app) -> str:
    result = app.test_cli_runner().invoke(args=["deliver", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_find_mail_links_to_the_address_cases_at_most_three_an_hour(mail_app, smtp):
    mailbox = smtp[1]
    asker = mail_app.test_client()
    for case in (CASE, {**CASE, "subject": "Invoice missing"}, {**CASE, "email": "grace@example.com",
                                                                 "subject": "Grace's own"}):
        asker.post("/api/cases", json=case)
    deliver(mail_app)
    mailbox.mails.clear()
    for email in ("ada@example.com", "nobody@example.com"):
        assert asker.post("/api/cases/find", json={"email": email}).status_code == 202
    assert "1 sent" in deliver(mail_app)
    [(to, mail)] = mailbox.mails
    assert to == ["ada@example.com"] and mail["Subject"] == "Your support cases"
    path = LINK.search(mail.get_body(("plain",)).get_content()).group(1)
    assert path.startswith("/cases/mine?token=")

    browser = mail_app.test_client()  # another device: no case cookie
    opened = browser.get(path)
    cookie = opened.headers["Set-Cookie"]
    assert opened.status_code == 303 and opened.headers["Location"] == "/cases/mine"
    assert cookie.startswith("cases_email=") and "Path=/cases" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Secure" in cookie
    assert 86_000 < int(re.search(r"Max-Age=(\d+)", cookie).group(1)) <= 86_400
    listing = browser.get("/cases/mine")
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and listing.headers["Cache-Control"] == "no-store"
    assert re.findall(r'<a href="/cases/(CS-\d+)">', text) == ["CS-000002", "CS-000001"]
    assert "Invoice missing" in text and "Grace's own" not in text

    # the cookie opens each of the address's cases, replies included, and no one else's
    page = browser.get("/cases/CS-000001")
    assert page.status_code == 200 and "Locked out" in page.get_data(as_text=True)
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    assert browser.post("/cases/CS-000001/reply", data={"csrf_token": token, "body": "Found it again."}
                        ).status_code == 303
    assert browser.get("/cases/CS-000003").status_code == 404
    assert browser.post("/cases/CS-000003/reply", data={"csrf_token": token, "body": "x"}).status_code == 404
    with mail_app.app_context():
        assert [c["body"] for c in current.get_db().query("select body from comments")] == ["Found it again."]

    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    refused = mail_app.test_client().get(tampered)
    assert refused.status_code == 400 and 'href="/cases/find"' in refused.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers
    assert mail_app.test_client().get("/cases/mine").status_code == 404  # no link opened in this browser

    # 3 mails an hour to one address: the 4th request (of 5) queues nothing
    for _ in range(3):
        assert asker.post("/api/cases/find", json={"email": "ada@example.com"}).status_code == 202
    assert deliver(mail_app).count("cases.find email") == 2
    assert [to for to, m in mailbox.mails if m["Subject"] == "Your support cases"] == [["ada@example.com"]] * 3


def test_a_find_link_expires_after_24_hours(mail_app, smtp, monkeypatch):
    client = mail_app.test_client()
    client.post("/api/cases", json=CASE)
    deliver(mail_app)
    client.post("/api/cases/find", json={"email": "ada@example.com"})
    deliver(mail_app)
    path = LINK.search(smtp[1].mails[-1][1].get_body(("plain",)).get_content()).group(1)
    browser = mail_app.test_client()
    assert browser.get(path).status_code == 303 and browser.get("/cases/mine").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 24 * 3600 + 5)
    assert browser.get("/cases/mine").status_code == 404  # the cookie's address is signed with its time
    assert browser.get("/cases/CS-000001").status_code == 404
    expired = mail_app.test_client().get(path)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_find_requests_are_rate_limited(app, config):
    client = create_app({**config, "RATE_LIMIT_FIND": "2 per hour"}).test_client()
    codes = [client.post("/api/cases/find", json={"email": f"a{i}@example.com"}).status_code for i in range(3)]
    assert codes == [202, 202, 429]


# -- end to end: the "Done when" --------------------------------------------------------------------

def test_a_case_from_the_form_reaches_both_sides_and_the_customer_replies_from_the_page(app, config, smtp,
                                                                                        receiver):
    controller, mailbox = smtp
    portal = create_app({**config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port,
                         "SUPPORT_EMAIL": "queue@example.com", "PUBLIC_URL": "https://support.example.com/",
                         "WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": delivery.HOOK_SECRET})
    form_client = portal.test_client()
    form = form_client.get("/cases/new").get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    submitted = form_client.post("/cases/new", data={**hidden, **CASE})
    assert submitted.status_code == 303 and submitted.headers["Location"] == "/cases/CS-000001"

    assert "3 sent" in deliver(portal)
    mails = {to[0]: mail for to, mail in mailbox.mails}
    assert set(mails) == {"ada@example.com", "queue@example.com"}
    assert "CS-000001" in mails["queue@example.com"]["Subject"]
    [(headers, raw)] = receiver.got
    hook = delivery.verified(headers, raw)  # signed with WEBHOOK_SECRET over the raw body
    assert hook["event"] == "case.created" and hook["case"]["number"] == "CS-000001"

    # the customer follows the link from their confirmation, on another device
    status_link = LINK.search(mails["ada@example.com"].get_body(("plain",)).get_content()).group(1)
    customer = portal.test_client()
    assert customer.get(status_link).status_code == 303
    secret = status_link.rpartition("secret=")[2]

    result = portal.test_cli_runner().invoke(args=["cases", "set-status", "CS-000001", "waiting"])
    assert result.exit_code == 0, result.output
    deliver(portal)
    page = customer.get("/cases/CS-000001").get_data(as_text=True)
    assert "Waiting for your reply" in page
    mailbox.mails.clear()
    replied = customer.post("/cases/CS-000001/reply", data={"csrf_token": TOKEN.search(page).group(1),
                                                            "body": "The unlock email never came."})
    assert replied.status_code == 303
    assert "An engineer is working on it" in customer.get("/cases/CS-000001").get_data(as_text=True)
    assert "2 sent" in deliver(portal)
    [(to, team)] = mailbox.mails
    assert to == ["queue@example.com"] and "The unlock email never came." in team.get_body(("plain",)).get_content()
    headers, raw = receiver.got[-1]
    hook = delivery.verified(headers, raw)
    assert hook["event"] == "case.comment" and hook["comment"]["body"] == "The unlock email never came."
    assert secret not in raw.decode() and secret not in team.as_string()
