"""POST /api/events: the panel's record of what it showed and what the customer did."""

from __future__ import annotations

import pytest

from kbsearch.web import current

SESSION = "form-session-1"


def events(app):
    with app.app_context():
        return list(current.get_db().query("select session, kind, article_id, articles, case_number, query from events"))


def test_a_shown_event_keeps_the_ids_and_the_trimmed_subject(app, client):
    response = client.post("/api/events", json={"session": SESSION, "kind": "shown", "query": "  locked   out " * 40,
                                                "articles": ["locked-account", "expired-password"]})
    assert response.status_code == 201 and isinstance(response.get_json()["id"], int)
    [stored] = events(app)
    assert stored["articles"] == '["locked-account", "expired-password"]'
    assert stored["query"].startswith("locked out locked out") and len(stored["query"]) == 300


@pytest.mark.parametrize("kind", ["clicked", "helpful", "not_helpful", "deflected"])
def test_article_events_name_a_served_article(app, client, kind):
    assert client.post("/api/events", json={"session": SESSION, "kind": kind,
                                            "article_id": "locked-account"}).status_code == 201
    missing = client.post("/api/events", json={"session": SESSION, "kind": kind})
    assert missing.status_code == 400 and missing.get_json()["errors"][0]["field"] == "article_id"


@pytest.mark.parametrize("hidden", ["internal-unlock", "draft-refunds", "archived-invoices", "no-such-article"])
def test_hidden_and_unknown_articles_are_refused_alike(app, client, hidden):
    for body in ({"kind": "clicked", "article_id": hidden}, {"kind": "shown", "articles": [hidden]}):
        response = client.post("/api/events", json={"session": SESSION, **body})
        assert response.status_code == 400 and f"no article '{hidden}'" in response.get_data(as_text=True)
    assert events(app) == []


@pytest.mark.parametrize("body, field", [
    ({"kind": "shown"}, "session"),
    ({"session": "x", "kind": "shown", "articles": ["locked-account"]}, "session"),
    ({"session": SESSION, "kind": "liked"}, "kind"),
    ({"session": SESSION, "kind": "shown"}, "articles"),
    ({"session": SESSION, "kind": "shown", "articles": "locked-account,," * 30}, "articles"),
    ({"session": SESSION, "kind": "submitted"}, "kind"),
    ({"session": SESSION, "kind": "shown", "articles": ["locked-account"], "case_number": "CS-000001"}, "case_number"),
])
def test_bad_events_are_400_naming_the_field(app, client, body, field):
    response = client.post("/api/events", json=body)
    assert response.status_code == 400 and field in [e["field"] for e in response.get_json()["errors"]]
    assert events(app) == []


def test_only_the_server_records_a_submission(app, client):
    case = {"subject": "s", "category": "access", "description": "d", "name": "n", "email": "n@example.com"}
    mine = client.post("/api/cases", json={**case, "session": SESSION}).get_json()["number"]
    for body in ({"session": SESSION, "kind": "submitted", "case_number": mine},
                 {"session": SESSION, "kind": "clicked", "article_id": "locked-account", "case_number": mine}):
        assert client.post("/api/events", json=body).status_code == 400
    assert [(e["kind"], e["case_number"]) for e in events(app)] == [("submitted", mine)]  # the server's own


def test_events_must_be_json(client):
    response = client.post("/api/events", data={"session": SESSION})
    assert response.status_code == 415 and response.get_json()["errors"][0]["field"] == "body"


def test_shown_with_no_articles_is_the_panel_having_nothing_to_suggest(app, client):
    response = client.post("/api/events", json={"session": SESSION, "kind": "shown", "articles": [],
                                                "query": "zorblatt refund"})
    assert response.status_code == 201
    [stored] = events(app)
    assert (stored["articles"], stored["query"]) == ("[]", "zorblatt refund")


def test_not_relevant_in_the_panel_is_dismissed_apart_from_an_article_pages_no(app, client):
    for kind in ("dismissed", "not_helpful"):
        assert client.post("/api/events", json={"session": SESSION, "kind": kind,
                                                "article_id": "locked-account"}).status_code == 201
    assert [e["kind"] for e in events(app)] == ["dismissed", "not_helpful"]


def test_a_no_may_say_why_in_at_most_500_characters(app, client):
    body = {"session": SESSION, "kind": "not_helpful", "article_id": "locked-account"}
    too_long = client.post("/api/events", json={**body, "reason": "x" * 501})
    assert too_long.status_code == 400 and too_long.get_json()["errors"][0]["field"] == "reason"
    elsewhere = client.post("/api/events", json={**body, "kind": "dismissed", "reason": "not this"})
    assert elsewhere.status_code == 400 and elsewhere.get_json()["errors"][0]["field"] == "reason"
    assert client.post("/api/events", json={**body, "reason": "y" * 499 + " "}).status_code == 201
    with app.app_context():
        [reason] = [r["reason"] for r in current.get_db().query("select reason from events")]
    assert reason == "y" * 499  # stored stripped


def test_one_vote_per_article_and_session_the_latest_kept(app, client):
    def vote(kind, session=SESSION, article="locked-account", **more):
        body = {"session": session, "kind": kind, "article_id": article, **more}
        assert client.post("/api/events", json=body).status_code == 201

    vote("helpful")
    vote("not_helpful", reason="too short")
    vote("helpful", article="sso-setup")  # another article: its own vote
    vote("helpful", session="other-session-2")  # another session: its own vote
    stored = sorted((e["session"], e["article_id"], e["kind"]) for e in events(app))
    assert stored == [(SESSION, "locked-account", "not_helpful"), (SESSION, "sso-setup", "helpful"),
                      ("other-session-2", "locked-account", "helpful")]


def test_prune_deletes_events_and_searches_before_the_day_and_keeps_cases(app, client, runner):
    client.post("/api/cases", json={"subject": "s", "category": "access", "description": "d", "name": "n",
                                    "email": "n@example.com", "session": SESSION})
    client.get("/?q=locked")
    client.post("/api/events", json={"session": SESSION, "kind": "shown", "articles": []})
    with app.app_context():
        database = current.get_db()
        database.execute("update events set created = '2026-01-31T23:59:59Z' where kind = 'submitted'")
        database.execute("update searches set created = '2026-01-15T10:00:00Z'")
        database.conn.commit()
    result = runner.invoke(args=["events", "prune", "--before", "2026-02-01"])
    assert result.exit_code == 0 and "deleted 1 events and 1 searches" in result.output
    with app.app_context():
        database = current.get_db()
        assert [e["kind"] for e in database.query("select kind from events")] == ["shown"]
        assert database["searches"].count == 0 and database["cases"].count == 1
    assert runner.invoke(args=["events", "prune"]).exit_code == 2  # --before is required
