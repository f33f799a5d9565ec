"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Kept true by tests/test_openapi.py: every API route must be described here, and real
responses must validate against these schemas.
"""

from __future__ import annotations

from typing import Any

STRING_OR_NULL = {"type": ["string", "null"]}

ERROR = {
    "type": "object",
    "required": ["error", "errors", "status"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"], "additionalProperties": False,
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
        "status": {"type": "integer"},
    },
}

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


SESSION = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$", "description": "the form session id"}
CASE_FIELDS = {
    "category": {"type": "string"}, "subcategory": {"type": "string"},
    "name": {"type": "string", "maxLength": 200}, "email": {"type": "string", "format": "email"},
    "session": SESSION,
}
CASE_REQUIRED = ["subject", "category", "description", "name", "email"]

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

EVENT = {
    "type": "object", "required": ["session", "kind"],
    "properties": {
        "session": SESSION,
        "kind": {"enum": ["shown", "clicked", "helpful", "not_helpful", "deflected"]},
        "article_id": {"type": "string", "description": "required for clicked, helpful, not_helpful, deflected"},
        "articles": {"type": "array", "items": {"type": "string"}, "maxItems": 20,
                     "description": "shown: the ids displayed, best first"},
        "query": {"type": "string", "description": "the subject typed; stored trimmed to 300 characters"},
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, dict]:
    meaning = {400: "invalid fields, all named in errors", 403: "a cross-site request from a browser",
               404: "not found", 405: "method not allowed",
               413: "request body too large", 415: "body is not JSON",
               503: "no usable index: the message names the command to run"}
    return {str(s): _json(ERROR, meaning[s]) for s in statuses}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def spec(limits: dict[str, int]) -> dict[str, Any]:
    """The description, with the limits the API enforces."""
    case_fields = {**CASE_FIELDS, "subject": {"type": "string", "maxLength": limits["subject"]},
                   "description": {"type": "string", "maxLength": limits["description"]}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "kbsearch", "version": "1",
                 "description": "Knowledge-base search and case-deflection suggestions. Only articles the "
                                "deployment's audience may see are ever returned."},
        "paths": {
            "/api/status": {"get": {"summary": "The build being served", "responses": {
                "200": _json({"type": "object", "required": ["build_id", "created", "audience", "articles"],
                              "properties": {"build_id": {"type": "string"}, "created": {"type": "string"},
                                             "audience": {"type": "string"}, "articles": {"type": "integer"}}},
                             "the build id, its time, audience and article count"),
                **_errors(404, 405, 503)}}},
            "/api/search": {"get": {"summary": "Full-text search with facets", "parameters": [
                _query("q", {"type": "string", "maxLength": limits["q"]}, "the search text; any text is valid"),
                _query("type", {"enum": ["knowledge", "help"]}, "filter"),
                _query("category", {"type": "string"}, "filter: a category id"),
                _query("subcategory", {"type": "string"}, "filter: a subcategory id of the category"),
                _query("page", {"type": "integer", "minimum": 1, "maximum": 1000}, "1-based"),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": limits["per_page"]}, "page size"),
            ], "responses": {
                "200": _json({"type": "object", "additionalProperties": False,
                              "required": ["results", "total", "page", "pages", "facets", "suggestion"],
                              "properties": {
                                  "results": {"type": "array", "items": SEARCH_RESULT},
                                  "total": {"type": "integer"}, "page": {"type": "integer"},
                                  "pages": {"type": "integer"},
                                  "facets": {"type": "object", "required": ["type", "category", "subcategory"],
                                             "properties": {f: COUNTS for f in ("type", "category", "subcategory")}},
                                  "suggestion": {**STRING_OR_NULL, "description": "did you mean"}}},
                             "one page of results"),
                **_errors(400, 404, 405, 503)}}},
            "/api/suggest": {"post": {"summary": "Articles likely to solve a case being typed", "requestBody": {
                "required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "subject": {"type": "string", "maxLength": limits["subject"]},
                        "description": {"type": "string", "maxLength": limits["description"]},
                        "category": {"type": "string"}, "subcategory": {"type": "string"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": limits["suggestions"]},
                        "seq": {"type": "integer", "description": "echoed, so the panel can drop stale answers"}}}}}},
                "responses": {
                    "200": _json({"type": "object", "required": ["seq", "suggestions"], "additionalProperties": False,
                                  "properties": {"seq": {"type": ["integer", "null"]},
                                                 "suggestions": {"type": "array", "items": SUGGESTION}}},
                                 "best first; an empty list when nothing is close enough"),
                    **_errors(400, 404, 405, 413, 415, 503)}}},
            "/api/cases": {"post": {"summary": "Open a case", "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": CASE_REQUIRED, "properties": {
                    **case_fields, "shown": {"type": "array", "items": {"type": "string"}, "maxItems": 50}}}},
                "multipart/form-data": {"schema": {"type": "object", "required": CASE_REQUIRED, "properties": {
                    **case_fields, "shown": {"type": "string", "description": "article ids, comma-separated"},
                    "attachments": {"type": "array", "items": {"type": "string", "format": "binary"},
                                    "maxItems": limits["attachments"]}}}}}},
                "responses": {"201": _json(CREATED_CASE, "stored, files included, before this answer"),
                              **_errors(400, 403, 404, 405, 413, 415, 503)}}},
            "/api/cases/{number}": {"get": {
                "summary": "A case's status and details, for the holder of its secret",
                "parameters": [
                    {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "X-Case-Secret", "in": "header", "required": False, "schema": {"type": "string"}},
                    _query("secret", {"type": "string"}, "the secret, when a header cannot be sent")],
                "responses": {"200": _json(CASE, "the case"),
                              **_errors(404, 405)}}},
            "/api/events": {"post": {"summary": "Record a step of the deflection funnel", "requestBody": {
                "required": True, "content": {"application/json": {"schema": EVENT}}},
                "responses": {"201": _json({"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "integer"}}}, "stored"), **_errors(400, 403, 404, 405, 415, 503)}}},
            "/api/openapi.json": {"get": {"summary": "This description", "responses": {
                "200": _json({"type": "object"}, "OpenAPI 3.1"), **_errors(404, 405)}}},
        },
    }
