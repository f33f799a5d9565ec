"""The JSON API (blueprint ``api``, under ``/api``).

Each view reads and validates all of its input first, reports every bad field at once,
then calls one domain function and returns a small fixed-shape dict.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from kbsearch.cases.fields import (
    MAX_DESCRIPTION,
    MAX_SUBJECT,
    Fields,
    taxonomy_filters,
    unknown_fields,
)
from kbsearch.index.opened import IndexNotBuilt
from kbsearch.ranking import results, snippets, suggest
from kbsearch.web import openapi, visitor
from kbsearch.web.current import get_build
from kbsearch.web.errors import json_object
from kbsearch.web.openapi_bodies import SUGGEST_FIELDS

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_QUERY = 1000
MAX_PER_PAGE = 50
MAX_SUGGESTIONS = 20


def article_url(article_id: str) -> str:
    return url_for("pages.article", article_id=article_id)


def _whole(value: Any) -> Any:
    """JSON's ``2.0`` is the whole number 2 (JSON Schema's ``integer`` says so too); Python reads a float."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


@bp.get("/openapi.json")
def openapi_description() -> Response:
    """The OpenAPI 3.1 description of this API, with the served build's category and article ids.

    Made once per build (it lists every article id) and kept as text; without a usable index it
    is the description with those ids left open, since every operation needing them answers 503.
    """
    try:
        build = get_build()
    except IndexNotBuilt:
        build = None
    cache = current_app.extensions.setdefault("kbsearch.openapi", {})
    key = build.id if build is not None else None
    if key not in cache:
        limits = {"q": MAX_QUERY, "per_page": MAX_PER_PAGE, "subject": MAX_SUBJECT, "description": MAX_DESCRIPTION,
                  "suggestions": MAX_SUGGESTIONS, "suggest_default": current_app.config["SUGGEST_LIMIT"],
                  "attachments": current_app.config["ATTACHMENTS_MAX_FILES"],
                  "attachment_bytes": current_app.config["ATTACHMENT_MAX_BYTES"],
                  "attachments_bytes": current_app.config["ATTACHMENTS_MAX_TOTAL_BYTES"]}
        described = openapi.spec(limits, build.manifest.get("taxonomy") if build else None,
                                 list(build.details) if build else None)
        cache.clear()  # only the current build's is ever asked for again
        cache[key] = current_app.json.dumps(described)
    return current_app.response_class(cache[key], mimetype="application/json")


@bp.get("/status")
def status():
    """Which build is served, for monitoring and for operators after a reindex."""
    build = get_build()
    m = build.manifest
    return jsonify({"build_id": build.id, "created": m["created"], "audience": m["audience"],
                    "articles": m["indexed"]})


def _result(c) -> dict:
    return {"id": c.id, "title": c.title, "type": c.type, "category": c.category, "subcategory": c.subcategory,
            "url": article_url(c.id), "snippet": c.snippet, "score": round(c.score, 4), "updated": c.updated}


@bp.get("/search")
def search_articles():
    """Full-text search: results, total, pages, facet counts and a "did you mean"."""
    build = get_build()
    fields = Fields()
    args = request.args
    q = fields.text(args, "q", MAX_QUERY)
    kind = fields.text(args, "type", 20) or None
    if kind and kind not in ("knowledge", "help"):
        fields.bad("type", "must be knowledge or help")
    category, subcategory = taxonomy_filters(fields, args, build.manifest.get("taxonomy"))
    page = fields.integer(args, "page", 1, 1, 1000)
    per_page = fields.integer(args, "per_page", current_app.config["SEARCH_LIMIT"], 1, MAX_PER_PAGE)
    session = fields.token(args, "session")  # given: the search is recorded under it (instant results send none)
    fields.check()
    chosen = {"type": kind, "category": category, "subcategory": subcategory}
    found = results.search_page(build, q, chosen, page, per_page)
    answer = {
        "results": [_result(c) for c in found.results], "matched": found.mode, "more": [_result(c) for c in found.more],
        "total": found.total, "page": found.page, "pages": found.pages,
        "facets": found.facets, "suggestion": found.suggestion,
    }
    if session:
        answer["search_id"] = visitor.record_search(session, q, chosen, found.total)
    return jsonify(answer)


@bp.post("/suggest")
def suggest_articles():
    """The suggestions panel: articles likely to solve the case being typed."""
    build = get_build()
    body = json_object("a JSON object with subject and description")
    fields = Fields()
    subject = fields.text(body, "subject", MAX_SUBJECT)
    description = fields.text(body, "description", MAX_DESCRIPTION)
    category, subcategory = taxonomy_filters(fields, body, build.manifest.get("taxonomy"))
    numbers = {name: _whole(body[name]) for name in ("limit", "seq") if name in body}
    limit = current_app.config["SUGGEST_LIMIT"]
    if isinstance(numbers.get("limit"), str):  # Fields.integer reads query strings too; JSON has numbers
        fields.bad("limit", f"must be a whole number from 1 to {MAX_SUGGESTIONS}")
    else:
        limit = fields.integer(numbers, "limit", limit, 1, MAX_SUGGESTIONS)
    seq: Any = numbers.get("seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
        fields.bad("seq", "must be a whole number")
    unknown_fields(fields, body, SUGGEST_FIELDS)
    fields.check()
    found = suggest.suggest(build.ranker, subject, description, category, subcategory, limit,
                            vocabulary=build.vocabulary, synonyms=build.synonyms,
                            learned=build.learned)
    details = build.details
    return jsonify({"seq": seq, "suggestions": [
        {"id": s.id, "title": details[s.id]["title"], "type": details[s.id]["type"], "url": article_url(s.id),
         "snippet": snippets.highlight(details[s.id]["summary"], s.matched["subject"] + s.matched["description"]),
         "score": round(s.score, 4), "matched": s.matched} for s in found]})
