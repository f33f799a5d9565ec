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
