"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Kept true by tests/test_openapi.py (every API route is described, real responses validate)
and tests/test_schemathesis.py (schemathesis finds nothing the server does that this denies).
Request bodies are in ``openapi_bodies``, their field schemas in ``openapi_parts``. The staff
operations (``/api/staff/``) each require the ``bearerAuth`` scheme; no other operation needs credentials.
"""

from __future__ import annotations

from typing import Any

from kbsearch.cases.attachments import TYPES
from kbsearch.cases.store import STATUSES
from kbsearch.web.openapi_bodies import (
    ATTACHMENTS_ENCODING,
    CHANGE_FIELDS,
    article_id_schema,
    case_body,
    change_body,
    comment_bodies,
    event_bodies,
    find_body,
    staff_comment_body,
    suggest_body,
)
from kbsearch.web.openapi_parts import (
    STRING_OR_NULL,
    errors,
    json_response,
    query,
    strict,
    taxonomy,
    token,
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

FILE = strict({"name": {"type": "string"}, "size": {"type": "integer"}, "type": {"type": "string"},
               "sha256": {"type": "string"}}, ["name", "size", "type", "sha256"])
STRINGS = {"type": "array", "items": {"type": "string"}}
CASE_STATUS = {"enum": list(STATUSES)}
# the conversation as the customer reads it: "staff" comments name no one on the team
COMMENT = strict({"id": {"type": "integer"}, "author": {"enum": ["customer", "staff"]}, "body": {"type": "string"},
                  "created": {"type": "string"}, "attachments": {"type": "array", "items": FILE}},
                 ["id", "author", "body", "created", "attachments"])

CASE = strict({
    "number": {"type": "string"}, "status": CASE_STATUS,
    "solution": STRING_OR_NULL, "subject": {"type": "string"}, "category": {"type": "string"},
    "subcategory": STRING_OR_NULL, "description": {"type": "string"}, "name": {"type": "string"},
    "email": {"type": "string"}, "created": {"type": "string"}, "updated": {"type": "string"},
    "attachments": {"type": "array", "items": FILE},
    "comments": {"type": "array", "items": COMMENT, "description": "the conversation, oldest first"},
}, ["number", "status", "solution", "subject", "category", "subcategory", "description", "name", "email",
    "created", "updated", "attachments", "comments"])

# -- the team's side ---------------------------------------------------------------------------------------
STAFF_FILE = strict({**FILE["properties"], "id": {"type": "integer"},
                     "url": {"type": "string", "description": "its download (getAttachment)"}},
                    ["id", "name", "size", "type", "sha256", "url"])
STAFF_COMMENT = strict({**COMMENT["properties"], "name": {**STRING_OR_NULL, "description": (
    "the staff token's name that wrote it; null for the customer")},
    "attachments": {"type": "array", "items": STAFF_FILE}}, ["id", "author", "name", "body", "created", "attachments"])
STAFF_CASE = strict({
    **{k: v for k, v in CASE["properties"].items() if k not in ("attachments", "comments")},
    "solved_by": {**STRING_OR_NULL, "description": "the id of the article that solved the case"},
    "attachments": {"type": "array", "items": STAFF_FILE, "description": "the files sent with the case"},
    "tried": strict({"shown": {**STRINGS, "description": "the article ids the suggestions panel showed"},
                     "opened": {**STRINGS, "description": "those the customer opened"},
                     "dismissed": {**STRINGS, "description": "those marked not relevant"}},
                    ["shown", "opened", "dismissed"]),
    "comments": {"type": "array", "items": STAFF_COMMENT, "description": "the conversation, oldest first"},
}, [*CASE["required"][:-2], "solved_by", "attachments", "tried", "comments"])
CASE_SUMMARY = strict({k: STAFF_CASE["properties"][k] for k in (
    "number", "status", "subject", "category", "subcategory", "name", "email", "created", "updated", "solved_by")},
    ["number", "status", "subject", "category", "subcategory", "name", "email", "created", "updated", "solved_by"])
CASE_LIST = strict({"cases": {"type": "array", "items": CASE_SUMMARY, "description": "newest first"},
                    "total": {"type": "integer", "description": "cases that match, on every page"},
                    "page": {"type": "integer"}, "pages": {"type": "integer", "description": "at least 1"}},
                   ["cases", "total", "page", "pages"])
CHANGED = strict({"changed": {"type": "array", "items": {"enum": list(CHANGE_FIELDS)},
                              "description": "the fields that changed (none: nothing was sent or it was already so)"},
                  "case": STAFF_CASE}, ["changed", "case"])
STAFF_COMMENT_MADE = strict({**STAFF_COMMENT["properties"], "author": {"const": "staff"}, "name": {"type": "string"},
                             "attachments": {"type": "array", "items": FILE, "maxItems": 0}},
                            ["id", "author", "name", "body", "created", "attachments"])
CUSTOMER_COMMENT_MADE = strict({**COMMENT["properties"], "author": {"const": "customer"}}, COMMENT["required"])
FOUND = strict({"message": {"type": "string"}}, ["message"])

STATUS = {"type": "object", "required": ["build_id", "created", "audience", "articles"], "additionalProperties": False,
          "properties": {"build_id": {"type": "string"}, "created": {"type": "string"},
                         "audience": {"enum": ["public", "customer", "internal"]}, "articles": {"type": "integer"}}}

SEARCH_PAGE = {
    "type": "object", "additionalProperties": False,
    "required": ["results", "matched", "more", "total", "page", "pages", "facets", "suggestion"],
    "properties": {
        "results": {"type": "array", "items": SEARCH_RESULT},
        "matched": {"enum": ["all", "any"], "description": (
            "all: the results hold every word of q; any: none held them all, these hold some")},
        "more": {"type": "array", "items": SEARCH_RESULT, "description": (
            "on page 1 when fewer than a page hold every word: articles holding some, best first, "
            "not counted in total or facets")},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
        "facets": {"type": "object", "required": ["type", "category", "subcategory"], "additionalProperties": False,
                   "properties": {f: COUNTS for f in ("type", "category", "subcategory")}},
        "suggestion": {**STRING_OR_NULL, "description": "did you mean"},
        "search_id": {"type": ["integer", "null"], "description": (
            "only with session: the recorded search (null: a blank query, or the database was busy); "
            "send the reader through /search/click?s=<search_id>&r=<rank>&a=<id>&session=<session> to record "
            "the click")}},
}

SUGGESTIONS = {"type": "object", "required": ["seq", "suggestions"], "additionalProperties": False,
               "properties": {"seq": {"type": ["integer", "null"]},
                              "suggestions": {"type": "array", "items": SUGGESTION}}}

NO_STORE = {"Cache-Control": {"required": True, "schema": {"const": "no-store"}}}
# the answer to POST /api/cases leads to the case: its number and secret are in the body
CASE_LINK = {"operationId": "getCase", "description": "the case just opened",
             "parameters": {"number": "$response.body#/number", "header.X-Case-Secret": "$response.body#/secret"}}
# ... and to the conversation: the customer's comment, and the team's view of the case
COMMENT_LINK = {"operationId": "addComment", "description": "answer on the case just opened",
                "parameters": {"number": "$response.body#/number", "header.X-Case-Secret": "$response.body#/secret"}}
STAFF_CASE_LINK = {"operationId": "getStaffCase", "description": "the team's view of the case",
                   "parameters": {"number": "$response.body#/number"}}
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"},
          "description": "the case number, CS-000123"}
SECRET = {"name": "X-Case-Secret", "in": "header", "required": True, "schema": {"type": "string"},
          "description": "the secret POST /api/cases answered"}
BEARER = [{"bearerAuth": []}]
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


def _customer_paths(limits: dict[str, int]) -> dict[str, Any]:
    """The customer's side of the conversation, and finding lost cases by email."""
    return {
        "/api/cases/{number}/comments": {"post": _operation(
            "addComment", "Answer on a case, for the holder of its secret (a closed case takes no answer)",
            parameters=[NUMBER, SECRET], requestBody=_body(comment_bodies(limits), ATTACHMENTS_ENCODING),
            responses={"201": {**json_response(CUSTOMER_COMMENT_MADE, "stored and the team told", NO_STORE),
                               "links": {"GetCase": {
                                   "operationId": "getCase", "description": "the case, with this comment",
                                   "parameters": {"number": "$request.path.number",
                                                  "header.X-Case-Secret": "$request.header.X-Case-Secret"}}}},
                       **errors(400, 403, 404, 405, 409, 413, 415, 429, 503, 507)})},
        "/api/cases/find": {"post": _operation(
            "findCases", "Email the address a link to its cases (at most 3 an hour), if it has any",
            requestBody=_body({"application/json": find_body()}), responses={
                "202": json_response(FOUND, "the same answer whether or not the address has cases"),
                **errors(400, 403, 405, 413, 415, 429, 503, 507)})},
    }


def _staff_paths() -> dict[str, Any]:
    """The support team's API: every operation needs a staff token (``kbsearch tokens create``)."""
    def staff(operation_id: str, summary: str, responses: dict, **more: Any) -> dict[str, Any]:
        return _operation(operation_id, summary, responses, security=BEARER, **more)

    to_case = {"operationId": "getStaffCase", "parameters": {"number": "$request.path.number"}}
    return {
        "/api/staff/cases": {"get": staff("listStaffCases", "Cases, newest first", parameters=[
            query("status", {"enum": ["", *STATUSES]}, "only cases with this status (empty: all)"),
            query("since", {"type": "string", "maxLength": 100,
                            "anyOf": [{"const": ""}, {"format": "date"}, {"format": "date-time"}]},
                  "only cases opened at or after this date (midnight UTC) or RFC 3339 date-time (empty: all)"),
            query("page", {"type": "integer", "minimum": 1, "maximum": 100_000},
                  "1-based; a page past the last one is an empty list")],
            responses={"200": {**json_response(CASE_LIST, "one page of 50 cases", NO_STORE), "links": {
                "GetStaffCase": {"operationId": "getStaffCase", "description": "the newest case listed",
                                 "parameters": {"number": "$response.body#/cases/0/number"}}}},
                **errors(400, 401, 405, 503)})},
        "/api/staff/cases/{number}": {
            "get": staff("getStaffCase", "Everything about a case: files, what the customer tried, the conversation",
                         parameters=[NUMBER], responses={
                             "200": {**json_response(STAFF_CASE, "the case", NO_STORE), "links": {
                                 "GetAttachment": {"operationId": "getAttachment", "description": "its first file",
                                                   "parameters": {"number": "$request.path.number",
                                                                  "attachment_id": "$response.body#/attachments/0/id"}},
                                 "AddStaffComment": {**to_case, "operationId": "addStaffComment"},
                                 "UpdateStaffCase": {**to_case, "operationId": "updateStaffCase"}}},
                             **errors(401, 404, 405, 503)}),
            "patch": staff("updateStaffCase", "Change a case's status, solution or solving article; the customer "
                           "is mailed and case.updated fires", parameters=[NUMBER],
                           requestBody=_body({"application/json": change_body()}),
                           responses={"200": {**json_response(CHANGED, "what changed, and the case now", NO_STORE),
                                              "links": {"GetStaffCase": to_case}},
                                      **errors(400, 401, 403, 404, 405, 413, 415, 503, 507)})},
        "/api/staff/cases/{number}/comments": {"post": staff(
            "addStaffComment", "Answer the customer: mailed to them, and case.comment fires", parameters=[NUMBER],
            requestBody=_body({"application/json": staff_comment_body()}),
            responses={"201": {**json_response(STAFF_COMMENT_MADE, "stored, and its messages queued with it", {
                "Location": {"required": True, "schema": {"type": "string"}, "description": "the case"},
                **NO_STORE}), "links": {"GetStaffCase": to_case}},
                **errors(400, 401, 403, 404, 405, 413, 415, 503, 507)})},
        "/api/staff/cases/{number}/attachments/{attachment_id}": {"get": staff(
            "getAttachment", "A file of the case, as the customer sent it", parameters=[
                NUMBER, {"name": "attachment_id", "in": "path", "required": True,
                         "schema": {"type": "integer", "minimum": 0}, "description": "the file's id in the case"}],
            responses={"200": {"description": "the file's bytes, with the type it was stored as", "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in sorted({kind for kind, _ in TYPES.values()})}, "headers": {
                "Content-Disposition": {"required": True, "schema": {"type": "string", "pattern": "^attachment; "},
                                        "description": "attachment, with the name the customer gave it"},
                "X-Content-Type-Options": {"required": True, "schema": {"const": "nosniff"}}, **NO_STORE}},
                **errors(401, 404, 405, 503)})},
    }


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
                query("session", token(required=False, nullable=False),
                      "the caller's session id: the search is recorded under it (instant results send none)"),
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
                    **NO_STORE}), "links": {"GetCase": CASE_LINK, "AddComment": COMMENT_LINK,
                                            "GetStaffCase": STAFF_CASE_LINK}},
                    **errors(400, 403, 405, 413, 415, 422, 429, 503, 507)})},
            "/api/cases/{number}": {"get": _operation(
                "getCase", "A case's status, details and conversation, for the holder of its secret", parameters=[
                    NUMBER,
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
            **_customer_paths(limits),
            **_staff_paths(),
        },
        "components": {"schemas": {"ArticleId": article_id_schema(article_ids),
                                   **{f"{kind}Event": body for kind, body in events.items()}},
                       "securitySchemes": {"bearerAuth": {
                           "type": "http", "scheme": "bearer",
                           "description": "a staff token, made with `kbsearch tokens create NAME` (shown once) "
                                          "and stopped with `kbsearch tokens revoke NAME`"}}},
    }
