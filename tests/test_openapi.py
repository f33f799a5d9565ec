"""GET /api/openapi.json describes every API route, and real responses validate against it."""

from __future__ import annotations

import io
import re

import jsonschema
import pytest


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def test_every_api_route_is_described(app, spec):
    # Flask's /api/cases/<number> is OpenAPI's /api/cases/{number}
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert spec["openapi"].startswith("3.1") and routes == described


def schemas(node):
    if isinstance(node, dict):
        if "schema" in node:
            yield node["schema"]
        for value in node.values():
            yield from schemas(value)


def test_every_schema_is_valid_json_schema(spec):
    for schema in [*schemas(spec["paths"]), *spec["components"]["schemas"].values()]:
        jsonschema.Draft202012Validator.check_schema(schema)


CASE = {"subject": "Locked", "category": "access", "description": "locked out", "name": "Ada",
        "email": "ada@example.com"}
EXCHANGES = [
    ("get", "/api/status", {}, 200),
    ("get", "/api/search", {"query_string": {"q": "locked account"}}, 200),
    ("get", "/api/search", {"query_string": {"q": "invoce"}}, 200),
    ("get", "/api/search", {"query_string": {"q": "x", "page": "0"}}, 400),
    ("post", "/api/search", {}, 405),
    ("post", "/api/suggest", {"json": {"subject": "passw", "description": "", "seq": 2}}, 200),
    ("post", "/api/suggest", {"json": {"subject": "banana"}}, 200),
    ("post", "/api/suggest", {"json": {"limit": 99}}, 400),
    ("post", "/api/suggest", {"data": "x"}, 415),
    ("get", "/api/suggest", {}, 405),
    ("get", "/api/openapi.json", {}, 200),
    ("post", "/api/cases", {"json": {"subject": "Locked", "category": "access", "description": "locked out",
                                     "name": "Ada", "email": "ada@example.com"}}, 201),
    ("post", "/api/cases", {"json": {"subject": "Locked"}}, 400),
    ("post", "/api/cases", {"data": "x", "content_type": "text/plain"}, 415),
    ("post", "/api/cases", {"json": {}, "headers": {"Origin": "https://elsewhere.example"}}, 403),
    ("get", "/api/cases/CS-000001", {"query_string": {"secret": "wrong"}}, 404),
    ("post", "/api/events", {"json": {"session": "form-session-1", "kind": "shown", "articles": ["locked-account"]}},
     201),
    ("post", "/api/events", {"json": {"kind": "shown"}}, 400),
    ("post", "/api/events", {"json": {"session": "form-session-1", "kind": "clicked", "article_id": "sso-setup",
                                      "query": None, "articles": None}}, 201),
    ("post", "/api/events", {"json": {"session": "form-session-1", "kind": "shown", "articles": "sso-setup"}}, 400),
    ("post", "/api/suggest", {"json": {"subject": "x", "limit": 2.0, "seq": 3.0}}, 200),
    ("post", "/api/suggest", {"json": {"subject": "x", "limit": "2"}}, 400),
    ("post", "/api/cases", {"json": {**CASE, "shown": "locked-account"}}, 400),
    ("post", "/api/cases", {"json": CASE, "headers": {"Idempotency-Key": "has space"}}, 400),
    ("put", "/api/cases/CS-000001", {}, 405),
]


def described(spec, method, path, response):
    """Check ``response`` against what the document says ``method path`` answers: body and headers."""
    operations = spec["paths"][re.sub(r"/CS-\d+$", "/{number}", path)]
    answer = (operations.get(method) or next(iter(operations.values())))["responses"][str(response.status_code)]
    schema = answer["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), schema, cls=jsonschema.Draft202012Validator)
    for name, header in answer.get("headers", {}).items():
        if header["required"] or name in response.headers:
            jsonschema.validate(response.headers[name], header["schema"])
    return answer


@pytest.mark.parametrize("method, path, kwargs, status", EXCHANGES)
def test_real_responses_validate(client, spec, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    described(spec, method, path, response)


def test_the_missing_index_answer_is_described(config, spec, tmp_path):
    from kbsearch import create_app
    empty = {**config, "INDEX_DIR": str(tmp_path / "never-built")}
    response = create_app(empty).test_client().get("/api/status")
    assert response.status_code == 503
    schema = spec["paths"]["/api/status"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), schema, cls=jsonschema.Draft202012Validator)


def test_ids_are_those_of_the_served_build_and_no_hidden_one(spec):
    assert spec["components"]["schemas"]["ArticleId"]["enum"] == [
        "expired-password", "invoice-download", "locked-account", "sso-setup"]  # no draft, archived, internal
    body = spec["paths"]["/api/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["category"]["enum"] == ["access", "billing"]
    subcategories = {branch["properties"]["category"]["const"]: branch["properties"]["subcategory"]["enum"]
                     for branch in body["anyOf"]}
    assert subcategories == {"access": [None, "", "passwords", "sso"], "billing": [None, "", "invoices"]}


def test_without_an_index_the_document_leaves_ids_open(config, tmp_path):
    from kbsearch import create_app
    response = create_app({**config, "INDEX_DIR": str(tmp_path / "never-built")}).test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["components"]["schemas"]["ArticleId"] == {"type": "string", "minLength": 1,
                                                                        "maxLength": 200}


@pytest.mark.parametrize("path, body", [
    ("/api/suggest", {"subject": "x"}),
    ("/api/cases", CASE),
    ("/api/events", {"session": "form-session-1", "kind": "clicked", "article_id": "sso-setup"}),
    ("/api/cases/find", {"email": "ada@example.com"}),
])
def test_unknown_fields_are_refused_naming_them(client, spec, path, body):
    response = client.post(path, json={**body, "subjct": "typo", "x" * 300: 1})
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == ["subjct", "x" * 100 + "…"]
    request = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    bodies = [spec["components"]["schemas"][b["$ref"].rsplit("/", 1)[1]] for b in request.get("oneOf", [])] or [request]
    assert all(b["additionalProperties"] is False for b in bodies)


def test_the_server_reads_exactly_the_documented_fields(spec):
    from kbsearch.cases.events import FIELDS
    from kbsearch.web.openapi_bodies import CASE_FIELDS, CASE_FORM_FILES, SUGGEST_FIELDS

    def properties(path, media_type="application/json"):
        return set(spec["paths"][path]["post"]["requestBody"]["content"][media_type]["schema"]["properties"])

    assert properties("/api/suggest") == set(SUGGEST_FIELDS) and properties("/api/cases") == set(CASE_FIELDS)
    assert properties("/api/cases", "multipart/form-data") == set(CASE_FIELDS + CASE_FORM_FILES)
    assert properties("/api/cases", "application/x-www-form-urlencoded") == set(CASE_FIELDS)
    events = [schema for name, schema in spec["components"]["schemas"].items() if name.endswith("Event")]
    assert len(events) == 6 and all(set(schema["properties"]) == set(FIELDS) for schema in events)


def test_a_flood_of_unknown_fields_gets_a_short_answer(client):
    response = client.post("/api/suggest", json={f"f{i}": i for i in range(10_000)})
    errors = response.get_json()["errors"]
    assert response.status_code == 400 and len(errors) == 11 and errors[-1] == {
        "field": "body", "message": "holds 9990 more unknown fields"}


def test_form_submissions_refuse_unknown_fields_and_files(client):
    form = {**CASE, "csrf_token": "x", "attachment": (io.BytesIO(b"hello"), "a.txt")}
    response = client.post("/api/cases", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert {e["field"] for e in response.get_json()["errors"]} == {"csrf_token", "attachment"}


def test_each_event_kind_states_its_requirements(spec):
    events = spec["paths"]["/api/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    kinds = {}
    for ref in events["oneOf"]:
        body = spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
        kinds[body["properties"]["kind"]["const"]] = body
    assert set(kinds) == {"shown", "clicked", "dismissed", "helpful", "not_helpful", "deflected"}
    assert kinds["shown"]["required"] == ["session", "kind", "articles"]
    assert kinds["shown"]["properties"]["articles"]["type"] == "array"  # [] says nothing was close enough
    assert all(kinds[k]["required"] == ["session", "kind", "article_id"] for k in kinds if k != "shown")


def test_a_reused_idempotency_key_answers_the_documented_422(client, spec):
    first = client.post("/api/cases", json=CASE, headers={"Idempotency-Key": "k-1"})
    again = client.post("/api/cases", json=CASE, headers={"Idempotency-Key": "k-1"})
    other = client.post("/api/cases", json={**CASE, "subject": "Other"}, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    for response in (first, again, other):
        described(spec, "post", "/api/cases", response)
    parameters = spec["paths"]["/api/cases"]["post"]["parameters"]
    assert [p["name"] for p in parameters] == ["Idempotency-Key"]


def test_the_new_case_links_to_its_details(client, spec):
    link = spec["paths"]["/api/cases"]["post"]["responses"]["201"]["links"]["GetCase"]
    assert spec["paths"]["/api/cases/{number}"]["get"]["operationId"] == link["operationId"]
    created = client.post("/api/cases", json=CASE).get_json()
    assert link["parameters"] == {"number": "$response.body#/number", "header.X-Case-Secret": "$response.body#/secret"}
    response = client.get(f"/api/cases/{created['number']}", headers={"X-Case-Secret": created["secret"]})
    assert response.status_code == 200
    described(spec, "get", "/api/cases/CS-000001", response)


def test_rate_limits_busy_and_full_answers_are_described(app, config, spec, monkeypatch):
    from kbsearch import create_app
    from kbsearch.cases import db, events, store
    limited = create_app({**config, "RATE_LIMIT_CASES": "1 per hour", "RATE_LIMIT_EVENTS": "1 per hour"}).test_client()
    event = {"session": "form-session-1", "kind": "clicked", "article_id": "sso-setup"}
    for path, body in (("/api/cases", CASE), ("/api/events", event)):
        assert limited.post(path, json=body).status_code == 201
        refused = limited.post(path, json=body)
        assert refused.status_code == 429
        assert "Retry-After" in described(spec, "post", path, refused)["headers"]
    client = app.test_client()

    def busy(*args, **kwargs):
        raise db.DatabaseBusy("the case database is busy; try again in a moment")

    def full(*args, **kwargs):
        raise db.StorageFull("the server's disk is full: nothing was stored")

    for fault, status in ((busy, 503), (full, 507)):
        monkeypatch.setattr(store, "create_case", fault)
        monkeypatch.setattr(events, "record", fault)
        for path, body in (("/api/cases", CASE), ("/api/events", event)):
            response = client.post(path, json=body)
            assert response.status_code == status
            described(spec, "post", path, response)
            assert (status == 503) == ("Retry-After" in response.headers)


# -- the conversation and the staff API ---------------------------------------------------------------------------

def answer_described(spec, method, template, response):
    """Like ``described``, for the operation at ``template``; a file's bytes are checked by their media type."""
    answer = spec["paths"][template][method]["responses"][str(response.status_code)]
    if response.mimetype == "application/json":
        jsonschema.validate(response.get_json(), answer["content"]["application/json"]["schema"],
                            cls=jsonschema.Draft202012Validator)
    else:
        assert response.mimetype in answer["content"]
    for name, header in answer.get("headers", {}).items():
        if header["required"] or name in response.headers:
            jsonschema.validate(response.headers[name], header["schema"])
    return answer


STAFF = "/api/staff/cases/{number}"


def test_conversation_and_staff_answers_are_described(app, client, spec):
    from kbsearch.cases import tokens
    from kbsearch.web import current
    with app.app_context():
        staff = {"Authorization": "Bearer " + tokens.create(current.get_db(), "grace")}
    form = {**CASE, "attachments": [(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8), "screen.png")]}
    opened = client.post("/api/cases", data=form, content_type="multipart/form-data").get_json()
    number, mine = opened["number"], {"X-Case-Secret": opened["secret"]}
    reply = {"body": "Still locked.", "attachments": [(io.BytesIO(b"log line\n"), "app.log")]}
    exchanges = [
        ("post", "/api/cases/{number}/comments", client.post(f"/api/cases/{number}/comments", json={"body": "Hi"},
                                                               headers=mine), 201),
        ("post", "/api/cases/{number}/comments", client.post(f"/api/cases/{number}/comments", data=reply,
                                                               content_type="multipart/form-data", headers=mine), 201),
        ("post", "/api/cases/{number}/comments", client.post(f"/api/cases/{number}/comments", json={"body": " "},
                                                               headers=mine), 400),
        ("post", "/api/cases/{number}/comments", client.post(f"/api/cases/{number}/comments", json={"body": "x"},
                                                               headers={"X-Case-Secret": "wrong"}), 404),
        ("get", "/api/cases/{number}", client.get(f"/api/cases/{number}", headers=mine), 200),
        ("post", "/api/cases/find", client.post("/api/cases/find", json={"email": "ada@example.com"}), 202),
        ("post", "/api/cases/find", client.post("/api/cases/find", json={"email": "ada"}), 400),
        ("get", "/api/staff/cases", client.get("/api/staff/cases", headers=staff), 200),
        ("get", "/api/staff/cases", client.get("/api/staff/cases?status=lost", headers=staff), 400),
        ("get", "/api/staff/cases", client.get("/api/staff/cases"), 401),
        ("get", STAFF, client.get(f"/api/staff/cases/{number}", headers=staff), 200),
        ("get", STAFF, client.get("/api/staff/cases/CS-999999", headers=staff), 404),
        ("post", STAFF + "/comments", client.post(f"/api/staff/cases/{number}/comments", json={"body": "Try now."},
                                                  headers=staff), 201),
        ("post", STAFF + "/comments", client.post(f"/api/staff/cases/{number}/comments", json={"x": 1},
                                                  headers=staff), 400),
        ("patch", STAFF, client.patch(f"/api/staff/cases/{number}", headers=staff,
                                      json={"status": "closed", "solved_by": "sso-setup"}), 200),
        ("patch", STAFF, client.patch(f"/api/staff/cases/{number}", json={"solved_by": "nope"}, headers=staff), 400),
        ("post", "/api/cases/{number}/comments", client.post(f"/api/cases/{number}/comments", json={"body": "Hi"},
                                                               headers=mine), 409),
    ]
    case = exchanges[10][2].get_json()
    assert [c["author"] for c in case["comments"]] == ["customer", "customer"] and case["comments"][1]["attachments"]
    exchanges.append(("get", STAFF + "/attachments/{attachment_id}",
                      client.get(case["attachments"][0]["url"], headers=staff, buffered=True), 200))
    exchanges.append(("get", STAFF + "/attachments/{attachment_id}",
                      client.get(case["comments"][1]["attachments"][0]["url"], headers=staff, buffered=True), 200))
    for method, template, response, status in exchanges:
        assert response.status_code == status, (method, template, response.get_data(as_text=True))
        answer_described(spec, method, template, response)


def test_every_staff_operation_needs_the_bearer_token_and_no_other_does(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "security" not in spec  # the customer's and public operations need none
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            if path.startswith("/api/staff/"):
                assert operation["security"] == [{"bearerAuth": []}], operation["operationId"]
                assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
            else:
                assert "security" not in operation and "401" not in operation["responses"], operation["operationId"]


def test_every_link_leads_to_an_operation_and_its_parameters(spec):
    operations = {op["operationId"]: op for item in spec["paths"].values() for op in item.values()}
    links = [(name, link) for item in spec["paths"].values() for op in item.values()
             for response in op["responses"].values() for name, link in response.get("links", {}).items()]
    assert {name for name, _ in links} >= {"GetCase", "AddComment", "GetStaffCase", "GetAttachment",
                                           "AddStaffComment", "UpdateStaffCase"}
    for name, link in links:
        target = operations[link["operationId"]]
        names = {p["name"] if p["in"] == "path" else f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
        assert set(link["parameters"]) <= names, name


def test_the_conversation_reads_exactly_the_documented_fields(spec):
    from kbsearch.web.openapi_bodies import (
        CASE_FORM_FILES,
        CHANGE_FIELDS,
        COMMENT_FIELDS,
        FIND_FIELDS,
        STAFF_COMMENT_FIELDS,
    )

    def properties(path, method="post", media_type="application/json"):
        return set(spec["paths"][path][method]["requestBody"]["content"][media_type]["schema"]["properties"])

    assert properties("/api/cases/{number}/comments") == set(COMMENT_FIELDS)
    assert properties("/api/cases/{number}/comments", media_type="multipart/form-data") == set(
        COMMENT_FIELDS + CASE_FORM_FILES)
    assert properties(STAFF + "/comments") == set(STAFF_COMMENT_FIELDS)
    assert properties(STAFF, "patch") == set(CHANGE_FIELDS)
    assert properties("/api/cases/find") == set(FIND_FIELDS)
