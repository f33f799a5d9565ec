"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Kept true by tests/test_openapi.py (every API route is described, real responses validate)
and tests/test_schemathesis.py (schemathesis finds nothing the server does that this denies).
Request bodies are in ``openapi_bodies``, their field schemas in ``openapi_parts``.
"""

from __future__ import annotations

from typing import Any

from kbsearch.web.openapi_bodies import (
    ATTACHMENTS_ENCODING,
    article_id_schema,
    case_body,
    event_bodies,
    suggest_body,
)
from kbsearch.web.openapi_parts import (
    STRING_OR_NULL,
    errors,
    json_response,
    query,
    taxonomy,
)

COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}

SEARCH_RESULT = {
    "type": "object",
    "required": ["id", "title", "type", "category", "subcategory", "url", "snippet", "score", "updated"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "type": {"enum": ["knowledge", "help"]},
        "category": STRING_OR_NULL, "subcategory": STRING_OR_NULL, "url": {"type": "string"},
        "snippet": {"type": "string", "description": "escaped HTML; only <mark> elements"},
        "score": {"type": "number"}, "updated": STRING_OR_NULL,
    },
}

SUGGESTION = {
    "type": "object",
    "required": ["id", "title", "type", "url", "snippet", "score", "matched"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "type": {"enum": ["knowledge", "help"]},
        "url": {"type": "string"}, "snippet": {"type": "string"}, "score": {"type": "number"},
        "matched": {"type": "object", "required": ["subject", "description"], "additionalProperties": False,
                    "properties": {f: {"type": "array", "items": {"type": "string"}}
                                   for f in ("subject", "description")}},
    },
}


CREATED_CASE = {
    "type": "object", "required": ["number", "secret", "url"], "additionalProperties": False,
    "properties": {"number": {"type": "string", "pattern": "^CS-[0-9]{6,}$"},
                   "secret": {"type": "string", "description": "shown once: needed to look the case up"},
                   "url": {"type": "string", "description": "the case's status page"}},
}

CASE = {
    "type": "object", "additionalProperties": False,
    "required": ["number", "status", "solution", "subject", "category", "subcategory", "description", "name",
                 "email", "created", "updated", "attachments"],
    "properties": {
        "number": {"type": "string"}, "status": {"enum": ["new", "open", "waiting", "solved", "closed"]},
        "solution": STRING_OR_NULL, "subject": {"type": "string"}, "category": {"type": "string"},
        "subcategory": STRING_OR_NULL, "description": {"type": "string"}, "name": {"type": "string"},
        "email": {"type": "string"}, "created": {"type": "string"}, "updated": {"type": "string"},
        "attachments": {"type": "array", "items": {
            "type": "object", "required": ["name", "size", "type", "sha256"], "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "size": {"type": "integer"}, "type": {"type": "string"},
                           "sha256": {"type": "string"}}}},
    },
}


STATUS = {"type": "object", "required": ["build_id", "created", "audience", "articles"], "additionalProperties": False,
          "properties": {"build_id": {"type": "string"}, "created": {"type": "string"},
                         "audience": {"enum": ["public", "customer", "internal"]}, "articles": {"type": "integer"}}}

SEARCH_PAGE = {
    "type": "object", "additionalProperties": False,
    "required": ["results", "total", "page", "pages", "facets", "suggestion"],
    "properties": {
        "results": {"type": "array", "items": SEARCH_RESULT},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
        "facets": {"type": "object", "required": ["type", "category", "subcategory"], "additionalProperties": False,
                   "properties": {f: COUNTS for f in ("type", "category", "subcategory")}},
        "suggestion": {**STRING_OR_NULL, "description": "did you mean"}},
}

SUGGESTIONS = {"type": "object", "required": ["seq", "suggestions"], "additionalProperties": False,
               "properties": {"seq": {"type": ["integer", "null"]},
                              "suggestions": {"type": "array", "items": SUGGESTION}}}

NO_STORE = {"Cache-Control": {"required": True, "schema": {"const": "no-store"}}}
# the answer to POST /api/cases leads to the case: its number and secret are in the body
CASE_LINK = {"operationId": "getCase", "description": "the case just opened",
             "parameters": {"number": "$response.body#/number", "header.X-Case-Secret": "$response.body#/secret"}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "pattern": "^[\\u0021-\\u007e]{1,255}$"},
    "description": "1 to 255 visible ASCII characters (a UUID, say): a retry with the same key and the same "
                   "subject and email answers the case the first request made (Idempotent-Replayed: true); "
                   "with other content, 422"}


def _operation(operation_id: str, summary: str, responses: dict, **more: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary, **more, "responses": responses}


def _body(content: dict[str, dict], encoding: dict | None = None) -> dict[str, Any]:
    """A required request body; ``encoding`` describes the multipart one's parts."""
    media = {kind: {"schema": schema} for kind, schema in content.items()}
    if encoding is not None:
        media["multipart/form-data"]["encoding"] = encoding
    return {"required": True, "content": media}


def spec(limits: dict[str, int], categories: dict | None = None,
         article_ids: list[str] | None = None) -> dict[str, Any]:
    """The description, with the limits the API enforces and the served build's ids.

    ``categories`` (the build's taxonomy) and ``article_ids`` become ``enum`` lists, because the
    server refuses any other id; ``None`` (no index: every such operation answers 503) leaves them open.
    """
    filters = taxonomy(categories, required=False, nullable=False)
    filter_schema = {"type": "object", **filters}  # other names are other query parameters: ignored
    case_form = case_body(limits, categories, form=True)
    urlencoded = {**case_form, "properties": {k: v for k, v in case_form["properties"].items() if k != "attachments"}}
    events = event_bodies()
    return {
        "openapi": "3.1.0",
        "info": {"title": "kbsearch", "version": "1",
                 "description": "Knowledge-base search and case-deflection suggestions. Only articles the "
                                "deployment's audience may see are ever returned. Category, subcategory and "
                                "article ids are listed as the served build holds them."},
        "paths": {
            "/api/status": {"get": _operation("getStatus", "The build being served", {
                "200": json_response(STATUS, "the build id, its time, audience and article count"),
                **errors(405, 503)})},
            "/api/search": {"get": _operation("search", "Full-text search with facets", parameters=[
                query("q", {"type": "string", "maxLength": limits["q"]}, "the search text; any text is valid"),
                query("type", {"enum": ["", "knowledge", "help"]}, "filter"),
                {**query("filters", filter_schema, "filter: category=<id> and subcategory=<id of that category>, "
                                                   "each a parameter of its own"), "style": "form", "explode": True},
                query("page", {"type": "integer", "minimum": 1, "maximum": 1000}, "1-based"),
                query("per_page", {"type": "integer", "minimum": 1, "maximum": limits["per_page"]}, "page size"),
            ], responses={"200": json_response(SEARCH_PAGE, "one page of results"), **errors(400, 405, 503)})},
            "/api/suggest": {"post": _operation(
                "suggest", "Articles likely to solve a case being typed",
                requestBody=_body({"application/json": suggest_body(limits, categories)}), responses={
                    "200": json_response(SUGGESTIONS, "best first; an empty list when nothing is close enough"),
                    **errors(400, 403, 405, 413, 415, 503)})},
            "/api/cases": {"post": _operation(
                "openCase", "Open a case", parameters=[IDEMPOTENCY_KEY],
                requestBody=_body({"application/json": case_body(limits, categories, form=False),
                                   "multipart/form-data": case_form,
                                   "application/x-www-form-urlencoded": urlencoded}, ATTACHMENTS_ENCODING),
                responses={"201": {**json_response(CREATED_CASE, "stored, files included, before this answer", {
                    "Location": {"required": True, "schema": {"type": "string"}, "description": "the status page"},
                    "Idempotent-Replayed": {"required": False, "schema": {"const": "true"},
                                            "description": "an earlier request with this Idempotency-Key made it"},
                    **NO_STORE}), "links": {"GetCase": CASE_LINK}},
                    **errors(400, 403, 405, 413, 415, 422, 429, 503, 507)})},
            "/api/cases/{number}": {"get": _operation(
                "getCase", "A case's status and details, for the holder of its secret", parameters=[
                    {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "X-Case-Secret", "in": "header", "required": False, "schema": {"type": "string"}},
                    query("secret", {"type": "string"}, "the secret, when a header cannot be sent")],
                responses={"200": json_response(CASE, "the case", NO_STORE), **errors(404, 405, 503, 507)})},
            "/api/events": {"post": _operation(
                "recordEvent", "Record a step of the deflection funnel", requestBody=_body({"application/json": {
                    "oneOf": [{"$ref": f"#/components/schemas/{kind}Event"} for kind in events],
                    "discriminator": {"propertyName": "kind", "mapping": {
                        kind: f"#/components/schemas/{kind}Event" for kind in events}}}}),
                responses={"201": json_response({"type": "object", "required": ["id"], "additionalProperties": False,
                                                 "properties": {"id": {"type": "integer"}}}, "stored"),
                           **errors(400, 403, 405, 413, 415, 429, 503, 507)})},
            "/api/openapi.json": {"get": _operation("getOpenAPI", "This description", {
                "200": json_response({"type": "object"}, "OpenAPI 3.1"), **errors(405)})},
        },
        "components": {"schemas": {"ArticleId": article_id_schema(article_ids),
                                   **{f"{kind}Event": body for kind, body in events.items()}}},
    }
