"""GET /api/openapi.json describes every API route, and real responses validate against it."""

from __future__ import annotations

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
    for schema in schemas(spec["paths"]):
        jsonschema.Draft202012Validator.check_schema(schema)


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
]


@pytest.mark.parametrize("method, path, kwargs, status", EXCHANGES)
def test_real_responses_validate(client, spec, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    described = re.sub(r"/CS-\d+$", "/{number}", path)
    operation = spec["paths"][described].get(method) or next(iter(spec["paths"][described].values()))
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), schema, cls=jsonschema.Draft202012Validator)


def test_the_missing_index_answer_is_described(config, spec, tmp_path):
    from kbsearch import create_app
    empty = {**config, "INDEX_DIR": str(tmp_path / "never-built")}
    response = create_app(empty).test_client().get("/api/status")
    assert response.status_code == 503
    schema = spec["paths"]["/api/status"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), schema, cls=jsonschema.Draft202012Validator)
