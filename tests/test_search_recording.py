"""What the search page and the article page record: searches, the result opened, votes (privacy first)."""

from __future__ import annotations

import re
import sqlite3
import time

from kbsearch.web import current


def searches(app) -> list[dict]:
    with app.app_context():
        return list(current.get_db().query("select * from searches order by id"))


def cookie(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("kb_session=")]
    return header


def test_a_submitted_search_is_recorded_under_a_first_party_session_cookie_and_nothing_else(app, client):
    response = client.get("/", query_string={"q": "  locked   account ", "type": "knowledge"},
                          headers={"User-Agent": "Mozilla/5.0 (secret agent)"},
                          environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200
    header = cookie(response)
    session = re.match(r"kb_session=([A-Za-z0-9_-]{8,64});", header).group(1)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header and "Max-Age=2592000" in header
    [search] = searches(app)
    assert search["session"] == session and search["query"] == "locked account"
    assert search["filters"] == '{"type": "knowledge"}' and search["total"] >= 1 and search["clicked"] is None
    assert set(search) == {"id", "session", "query", "filters", "total", "clicked", "rank", "created"}
    stored = " ".join(str(v) for v in search.values())
    assert "203.0.113.9" not in stored and "agent" not in stored
    again = client.get("/", query_string={"q": "locked account", "type": "knowledge"})
    assert "kb_session=" not in " ".join(again.headers.getlist("Set-Cookie"))  # kept, never extended
    assert len(searches(app)) == 1  # a reload is the same search


def test_opening_a_result_records_it_with_its_rank_then_redirects_to_the_article(app, client):
    page = client.get("/", query_string={"q": "password"}).get_data(as_text=True)
    links = re.findall(r'class="title" href="([^"]+)"', page)
    assert links and all(link.startswith("/search/click?") for link in links)
    second = links[1].replace("&amp;", "&")
    article = re.search(r"a=([^&]+)", second).group(1)
    response = client.get(second)
    assert response.status_code == 303 and response.headers["Location"] == f"/articles/{article}"
    client.get(links[0].replace("&amp;", "&"))  # only the first result opened is kept
    [search] = searches(app)
    assert (search["clicked"], search["rank"]) == (article, 2)


def test_a_click_never_redirects_off_site_nor_to_a_hidden_article(client):
    client.get("/", query_string={"q": "password"})
    for target in ("https://evil.example/", "//evil.example", "internal-unlock", "draft-refunds", ""):
        response = client.get("/search/click", query_string={"s": "1", "r": "1", "a": target})
        assert response.status_code == 404 and "Location" not in response.headers


def test_another_visitor_cannot_record_a_click_on_my_search(app, client):
    client.get("/", query_string={"q": "password"})
    stranger = app.test_client()
    assert stranger.get("/search/click?s=1&r=1&a=expired-password").status_code == 303
    assert searches(app)[0]["clicked"] is None
    assert client.get("/search/click?s=1&r=99&a=expired-password").status_code == 303  # more than it found
    assert searches(app)[0]["clicked"] is None


def test_instant_results_and_prefetches_are_not_searches(app, client):
    assert client.get("/api/search", query_string={"q": "locked"}).status_code == 200
    assert "search_id" not in client.get("/api/search", query_string={"q": "locked"}).get_json()
    assert client.get("/", query_string={"q": "locked"}, headers={"Sec-Purpose": "prefetch;prerender"}).status_code == 200
    assert client.get("/").status_code == 200 and client.get("/", query_string={"q": "  "}).status_code == 200
    assert searches(app) == []


def test_an_api_caller_naming_a_session_records_its_search_and_the_click(app, client):
    answer = client.get("/api/search", query_string={"q": "frobnitz sso", "session": "portal-visitor-1"}).get_json()
    [search] = searches(app)
    assert answer["search_id"] == search["id"] and search["session"] == "portal-visitor-1"
    assert search["total"] == answer["total"] == 1  # internal-unlock is not served to customers
    bad = client.get("/api/search", query_string={"q": "x", "session": "no"})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "session"
    app.test_client().get(f"/search/click?s={search['id']}&r=1&a=sso-setup&session=portal-visitor-1")
    assert searches(app)[0]["clicked"] == "sso-setup"


def test_a_busy_database_never_holds_a_search_up(app, client, tmp_path):
    client.get("/api/status")
    with app.app_context():
        current.get_db()  # created and migrated
    holder = sqlite3.connect(tmp_path / "kbsearch.sqlite")
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        response = client.get("/", query_string={"q": "locked"})
        assert response.status_code == 200 and time.monotonic() - started < 1.0
        assert 'href="/articles/locked-account"' in response.get_data(as_text=True)  # unrecorded: plain links
    finally:
        holder.rollback()
        holder.close()
    assert searches(app) == []


def votes(app) -> list[tuple]:
    with app.app_context():
        return [tuple(e.values()) for e in current.get_db().query(
            "select session, kind, article_id, reason from events order by id")]


def test_any_reader_votes_with_a_plain_form_one_vote_per_article_and_session(app, client):
    page = client.get("/articles/expired-password").get_data(as_text=True)
    assert 'action="/articles/expired-password/vote"' in page and 'name="reason"' in page and "hidden" not in \
        re.search(r'<form id="feedback-form"[^>]*>', page).group(0)
    response = client.post("/articles/expired-password/vote", data={"kind": "helpful"})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/articles/expired-password?voted=helpful#feedback")
    session = re.match(r"kb_session=([^;]+);", cookie(response)).group(1)
    thanked = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you." in thanked
    again = client.post("/articles/expired-password/vote", data={"kind": "not_helpful", "reason": "Too vague"},
                        headers={"Accept": "application/json"})
    assert again.status_code == 201 and isinstance(again.get_json()["id"], int)
    assert votes(app) == [(session, "not_helpful", "expired-password", "Too vague")]


def test_a_vote_from_the_panels_article_joins_that_forms_session(app, client):
    page = client.get("/articles/locked-account?session=form-session-1").get_data(as_text=True)
    assert 'name="session" value="form-session-1"' in page
    response = client.post("/articles/locked-account/vote", data={"kind": "helpful", "session": "form-session-1"})
    assert response.headers["Location"].endswith("?session=form-session-1&voted=helpful#feedback")
    assert votes(app) == [("form-session-1", "helpful", "locked-account", None)]
    assert not response.headers.getlist("Set-Cookie")


def test_bad_votes_are_refused(app, client):
    assert client.post("/articles/locked-account/vote", data={"kind": "deflected"}).status_code == 400
    assert client.post("/articles/locked-account/vote", data={"kind": "not_helpful", "reason": "x" * 501}
                       ).status_code == 400
    assert client.post("/articles/internal-unlock/vote", data={"kind": "helpful"}).status_code == 404
    assert client.post("/articles/locked-account/vote", data={"kind": "helpful"},
                       headers={"Origin": "https://elsewhere.example"}).status_code == 403
    assert votes(app) == []
