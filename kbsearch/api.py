"""The JSON API (blueprint ``api``, under ``/api``)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from kbsearch import search
from kbsearch.errors import APIError
from kbsearch.live import get_build

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_QUERY = 1000


@bp.get("/status")
def status():
    """Which build is served, for monitoring and for operators after a reindex."""
    build = get_build()
    m = build.manifest
    return jsonify({"build_id": build.id, "created": m["created"], "audience": m["audience"],
                    "articles": m["indexed"]})


@bp.get("/search")
def search_articles():
    """Full-text search over the served build (the search page's data)."""
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY:
        raise APIError(400, "invalid request", [{"field": "q", "message": f"at most {MAX_QUERY} characters"}])
    hits = search.find(get_build().index, q, current_app.config["SEARCH_LIMIT"]) if q.strip() else []
    return jsonify({"results": [
        {"id": h.id, "title": h.title, "type": h.type, "category": h.category, "subcategory": h.subcategory,
         "snippet": h.snippet, "score": h.score, "updated": h.updated} for h in hits]})
