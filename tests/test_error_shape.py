"""One JSON error shape from every error source: {"error", "errors": [{"field", "message"}], "status"}."""

from __future__ import annotations

import pytest


def assert_canonical(response, status: int) -> dict:
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error", "errors", "status"} and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body


def test_400_names_every_bad_field_at_once(client):
    body = assert_canonical(client.post("/api/suggest", json={
        "subject": 7, "description": "x" * 20_001, "category": "nope", "limit": 0, "seq": "a"}), 400)
    assert [e["field"] for e in body["errors"]] == ["subject", "description", "category", "limit", "seq"]


@pytest.mark.parametrize("query, fields", [
    ({"q": "x" * 1001}, ["q"]),
    ({"q": "x", "type": "faq", "page": "0", "per_page": "500"}, ["type", "page", "per_page"]),
    ({"q": "x", "category": "access", "subcategory": "invoices"}, ["subcategory"]),
])
def test_400_on_search(client, query, fields):
    body = assert_canonical(client.get("/api/search", query_string=query), 400)
    assert [e["field"] for e in body["errors"]] == fields


def test_404_for_an_unknown_route(client):
    assert_canonical(client.get("/api/nothing-here"), 404)


def test_405_for_a_wrong_method(client):
    assert_canonical(client.get("/api/suggest"), 405)


def test_413_for_a_body_too_large(app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    assert_canonical(app.test_client().post("/api/suggest", json={"subject": "x" * 2000}), 413)


def test_415_for_a_body_that_is_not_json(client):
    assert_canonical(client.post("/api/suggest", data="subject=x"), 415)


def test_400_for_malformed_json(client):
    assert_canonical(client.post("/api/suggest", data="{not json", content_type="application/json"), 400)


@pytest.mark.parametrize("path", ["/api/suggest", "/api/events", "/api/cases"])
def test_400_for_json_nested_too_deeply_to_parse(client, path):
    deep = "[" * 100_000 + "]" * 100_000  # the parser's recursion ends before the document does
    assert_canonical(client.post(path, data=deep, content_type="application/json"), 400)


def test_validation_is_a_domain_error_the_web_edge_turns_into_400():
    from kbsearch.cases.fields import Fields, ValidationError

    fields = Fields()
    fields.required({}, "subject", 300)
    with pytest.raises(ValidationError) as raised:
        fields.check()
    assert raised.value.errors == [{"field": "subject", "message": "is required"}]


def test_405_names_the_allowed_methods(client):
    response = client.delete("/api/suggest")
    assert_canonical(response, 405)
    assert "POST" in response.headers["Allow"]
