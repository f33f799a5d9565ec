"""Request bodies of the OpenAPI document, and the field names the server reads from each.

The views reject any other field (400 naming it) using the same names, so the document's
``additionalProperties: false`` and the server cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from kbsearch.cases import events
from kbsearch.cases.attachments import TYPES
from kbsearch.cases.conversation import MAX_COMMENT, MAX_SOLUTION
from kbsearch.cases.store import MAX_NAME, MAX_SHOWN, STATUSES
from kbsearch.web.openapi_parts import (
    WS,
    comma_separated_ids,
    email,
    required_text,
    strict,
    taxonomy,
    text,
    token,
)

SUGGEST_FIELDS = ("subject", "description", "category", "subcategory", "limit", "seq")
CASE_FIELDS = ("subject", "category", "subcategory", "description", "name", "email", "session", "shown")
CASE_FORM_FILES = ("attachments",)
COMMENT_FIELDS = ("body",)  # a customer's comment (web/case_api.py); files come in "attachments"
STAFF_COMMENT_FIELDS = ("body",)
CHANGE_FIELDS = ("status", "solution", "solved_by")
FIND_FIELDS = ("email",)
ARTICLE_ID = {"$ref": "#/components/schemas/ArticleId"}
# The server decides a file's type from its name and first bytes, never from the part's Content-Type,
# so no contentType is listed: the rule is in the part's Content-Disposition, where the name is.
ATTACHMENTS_ENCODING = {"attachments": {"headers": {"Content-Disposition": {
    "required": True, "schema": {"type": "string", "pattern": "filename="}, "description": (
        "a file name ending in ." + ", .".join(TYPES) + "; the file must be of that type: start with its "
        "signature (" + ", ".join(sorted({kind for kind, _ in TYPES.values()})) + "), or for text, hold no "
        "NUL byte")}}}}


def article_id_schema(article_ids: list[str] | None) -> dict[str, Any]:
    """An article the served build holds: the server refuses any other id (400)."""
    if article_ids is None:  # no index: every operation that reads ids answers 503 anyway
        return {"type": "string", "minLength": 1, "maxLength": 200}
    return {"enum": sorted(article_ids), "description": "the id of an article the served build holds"}


def suggest_body(limits: dict[str, int], categories: dict | None) -> dict[str, Any]:
    ties = taxonomy(categories, required=False, nullable=True)
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {
        "subject": text(limits["subject"]), "description": text(limits["description"]),
        **ties["properties"],
        "limit": {"type": "integer", "minimum": 1, "maximum": limits["suggestions"],
                  "description": f"how many suggestions at most (default {limits['suggest_default']})"},
        "seq": {"type": ["integer", "null"], "description": "echoed, so the panel can drop stale answers"}}}
    if "anyOf" in ties:
        schema["anyOf"] = ties["anyOf"]
    return schema


def case_body(limits: dict[str, int], categories: dict | None, form: bool) -> dict[str, Any]:
    """POST /api/cases as JSON or, with ``form``, as a form (every value a string; files in ``attachments``)."""
    ties = taxonomy(categories, required=True, nullable=not form)
    shown: dict[str, Any] = comma_separated_ids(MAX_SHOWN, 200) if form else {
        "type": ["array", "null"], "maxItems": MAX_SHOWN, "description": "the article ids the panel showed; ids the "
        "served build does not hold are dropped", "items": {"type": "string", "minLength": 1, "maxLength": 200}}
    properties = {
        "subject": required_text(limits["subject"]), "category": ties["properties"]["category"],
        "subcategory": ties["properties"]["subcategory"], "description": required_text(limits["description"]),
        "name": required_text(MAX_NAME), "email": email(), "session": token(required=False, nullable=not form),
        "shown": shown}
    if form:
        properties["attachments"] = {
            "type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": limits["attachments"],
            "description": f"at most {limits['attachments']} files of at most {limits['attachment_bytes']} bytes "
                           f"each, {limits['attachments_bytes']} together; see the encoding for their types"}
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                              "required": ["subject", "category", "description", "name", "email"],
                              "properties": properties}
    if "anyOf" in ties:
        schema["anyOf"] = ties["anyOf"]
    return schema


def event_bodies() -> dict[str, dict[str, Any]]:
    """One schema per kind a client may send, so each kind's requirements are stated."""
    common = {"session": token(required=True), "query": {**text(20_000), "description": (
        "the subject typed; stored with white space collapsed, trimmed to 300 characters")}}
    articles = {"type": "array", "items": ARTICLE_ID, "maxItems": events.MAX_ARTICLES}
    optional_article = {"anyOf": [ARTICLE_ID, {"enum": [None, ""]}]}
    bodies = {"shown": {"required": ["session", "kind", "articles"], "properties": {
        **common, "kind": {"const": "shown"}, "article_id": optional_article,
        "articles": {**articles, "description": "the ids displayed, best first ([]: nothing to suggest)"}}}}
    for kind in events.NEEDS_ARTICLE:
        bodies[kind] = {"required": ["session", "kind", "article_id"], "properties": {
            **common, "kind": {"const": kind}, "article_id": ARTICLE_ID,
            "articles": {**articles, "type": ["array", "null"]}}}
    for kind, body in bodies.items():
        body.update(type="object", additionalProperties=False)
        # why the article did not help, said on its page; other kinds may send only a blank one
        body["properties"]["reason"] = text(events.MAX_REASON) if kind == "not_helpful" else {
            **text(events.MAX_REASON), "pattern": f"^[{WS}]*$", "description": "only for not_helpful events"}
    return bodies


def comment_bodies(limits: dict[str, int]) -> dict[str, dict[str, Any]]:
    """A customer's comment, by media type: ``body``, and with a form, files in ``attachments``."""
    json_body = strict({"body": required_text(MAX_COMMENT)}, ["body"])
    form = strict({"body": required_text(MAX_COMMENT), "attachments": {
        "type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": limits["attachments"],
        "description": f"at most {limits['attachments']} files of at most {limits['attachment_bytes']} bytes "
                       f"each, {limits['attachments_bytes']} together; the same types as a case's"}}, ["body"])
    return {"application/json": json_body, "multipart/form-data": form,
            "application/x-www-form-urlencoded": json_body}


def staff_comment_body() -> dict[str, Any]:
    return strict({"body": {**required_text(MAX_COMMENT), "description": "mailed to the customer"}}, ["body"])


def change_body() -> dict[str, Any]:
    """PATCH of a case by the team: each field optional, ``null`` leaves it as it is."""
    return strict({
        "status": {"enum": [*STATUSES, None]},
        "solution": {**text(MAX_SOLUTION), "description": "shown to the customer; \"\" clears it"},
        "solved_by": {"anyOf": [ARTICLE_ID, {"type": "null"}],
                      "description": "the article that solved the case: an id the served build holds"}}, [])


def find_body() -> dict[str, Any]:
    return strict({"email": email()}, ["email"])
