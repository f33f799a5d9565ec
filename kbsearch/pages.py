"""HTML pages (blueprint ``pages``): the search page and article pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from kbsearch import search
from kbsearch.live import get_build

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The search page: a plain GET form, so it works without JavaScript."""
    build = get_build()
    q = request.args.get("q", "")[:1000]
    hits = search.find(build.index, q, current_app.config["SEARCH_LIMIT"]) if q.strip() else []
    return render_template("search.html", q=q, hits=hits, manifest=build.manifest)


def get_article_or_404(article_id: str) -> dict:
    """The served article's stored fields.

    :raise 404: the build does not hold it; hidden articles are never in a build, so a
        customer cannot tell a hidden article from a missing one.
    """
    document = search.get_document(get_build().index, article_id)
    if document is None:
        abort(404, f"No article {article_id!r}.")
    return document


@bp.get("/articles/<article_id>")
def article(article_id: str):
    return render_template("article.html", article=get_article_or_404(article_id))
