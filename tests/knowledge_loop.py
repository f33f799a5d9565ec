"""A scripted day of the knowledge loop on the test knowledge base, through the real app.

Searches from two visitors and an API caller, eight case-form sessions (what their panels
showed, clicks, "Not relevant", "This solved my problem", votes with a reason), a reader's vote
changed, six cases of which two are solved (one naming the article that solved it). Everything
is then moved one day back, so implicit deflections are settled. The expected counts are in
``tests/test_loop_reports.py``.
"""

from __future__ import annotations

import re

from kbsearch.cases import conversation
from kbsearch.web import current

CASE = {"name": "Ada Lovelace", "email": "ada@example.com"}


def search(client, q: str, click: str | None = None) -> int:
    """Submit ``q`` on the search page, open ``click`` through its result link; the search's id."""
    page = client.get("/", query_string={"q": q}).get_data(as_text=True)
    found = re.search(r'href="/search/click\?s=(\d+)', page)
    if click is not None:
        link = re.search(r'href="(/search/click\?[^"]*a=' + re.escape(click) + ')"', page).group(1)
        assert client.get(link.replace("&amp;", "&")).status_code == 303
    return int(found.group(1)) if found else 0


def event(client, session: str, kind: str, **body) -> None:
    response = client.post("/api/events", json={"session": session, "kind": kind, **body})
    assert response.status_code == 201, response.get_json()


def vote(client, article: str, kind: str, session: str | None = None, reason: str | None = None) -> None:
    form = {"kind": kind, **({"session": session} if session else {}), **({"reason": reason} if reason else {})}
    response = client.post(f"/articles/{article}/vote", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)


def case(client, session: str | None, subject: str, category: str, description: str, shown: list[str],
         subcategory: str | None = None) -> str:
    body = {**CASE, "subject": subject, "category": category, "description": description, "shown": shown,
            **({"session": session} if session else {}), **({"subcategory": subcategory} if subcategory else {})}
    response = client.post("/api/cases", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["number"]


def run(app) -> dict[str, str]:
    """Play the day; return the case numbers by name."""
    a, b, c, panel = app.test_client(), app.test_client(), app.test_client(), app.test_client()
    # searches: visitor A, visitor B, an API caller; instant results (no session) are not recorded
    search(a, "locked account", click="locked-account")
    search(a, "Account  Locked")  # the same words in another order and case: found, nothing opened
    search(a, "zorblatt refund")  # a draft's words: no results
    search(b, "Refunds zorblatt")  # the same search, by stems and word order
    search(b, "quendrix")
    first = search(b, "invoice", click="invoice-download")
    assert search(b, "invoice") == first  # a reload is the same search
    assert b.get("/api/search", query_string={"q": "password"}).status_code == 200  # instant: not recorded
    assert a.get("/api/search", query_string={"q": "frobnitz", "session": "api-caller-1"}).get_json()["total"] == 0
    # the case form's panel, eight sessions
    event(panel, "form-session-1", "shown", articles=["locked-account", "expired-password"], query="Locked out")
    event(panel, "form-session-1", "clicked", article_id="locked-account")
    vote(panel, "locked-account", "helpful", session="form-session-1")
    event(panel, "form-session-1", "deflected", article_id="locked-account")
    event(panel, "form-session-2", "shown", articles=[], query="zorblatt refund")
    event(panel, "form-session-3", "shown", articles=[], query="Refunds")
    event(panel, "form-session-3", "shown", articles=["invoice-download"], query="Refunds for invoices")
    event(panel, "form-session-3", "dismissed", article_id="invoice-download")
    event(panel, "form-session-4", "shown", articles=["locked-account"], query="Account locked")
    event(panel, "form-session-4", "clicked", article_id="locked-account")
    vote(panel, "locked-account", "not_helpful", session="form-session-4",
         reason="It does not say how to unlock it myself")
    event(panel, "form-session-5", "shown", articles=["locked-account", "expired-password"], query="locked again")
    event(panel, "form-session-5", "clicked", article_id="locked-account")
    event(panel, "form-session-6", "shown", articles=["sso-setup"], query="SAML login")
    event(panel, "form-session-6", "dismissed", article_id="sso-setup")
    event(panel, "form-session-7", "shown", articles=[], query="quendrix portal")
    event(panel, "form-session-8", "shown", articles=["locked-account"], query="My account is locked")
    # a reader of an article (no form), who changes their mind: one vote, the latest
    vote(c, "expired-password", "helpful")
    vote(c, "expired-password", "not_helpful", reason="The screenshots are outdated")
    numbers = {
        "zorblatt": case(panel, "form-session-2", "Zorblatt refund status", "billing",
                         "When will the zorblatt refund arrive?", []),
        "refund": case(panel, "form-session-3", "Refund for a duplicate invoice", "billing",
                       "I was charged twice; please refund the duplicate invoice.", ["invoice-download"]),
        "locked": case(panel, "form-session-4", "Account locked after password reset", "access",
                       "My account is locked after I reset my password. Call me on +1 555 123 4567, "
                       "Ada Lovelace (ada@example.com).", ["locked-account"], "passwords"),
        "saml": case(panel, "form-session-6", "SAML login fails for everyone", "access",
                     "Our identity provider metadata upload fails with a SAML certificate error.", ["sso-setup"], "sso"),
        "locked-again": case(panel, "form-session-8", "Account locked out", "access",
                             "The account is locked after wrong password attempts; unlock my account please.",
                             ["locked-account"], "passwords"),
        "api": case(panel, None, "Cannot sign in", "access", "Sign-in fails for my whole team.", []),
    }
    with app.app_context():
        database = current.get_db()
        served = current.get_build().details
        change = conversation.read_change({"status": "solved", "solution": "Unlocked it under Admin > Users for "
                                           "Ada Lovelace; tell them to call +1 555 123 4567 if it recurs.",
                                           "solved_by": "locked-account"}, served)
        conversation.update_case(database, numbers["locked"], change)
        conversation.update_case(database, numbers["api"], conversation.read_change({"status": "solved"}, served))
        for table in ("events", "searches", "cases"):  # a day ago: every implicit window has closed
            database.execute(f"update {table} set created = strftime('%Y-%m-%dT%H:%M:%SZ', created, '-1 day')")
        database.conn.commit()
    return numbers
