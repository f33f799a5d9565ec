"""HTML pages (blueprint ``pages``): search, articles and category browsing.

Every page reads only the served build, which holds only what its audience may see.
"""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, render_template, request

from kbsearch.cases.fields import TOKEN, WHOLE_NUMBER
from kbsearch.index import fulltext
from kbsearch.ranking import results
from kbsearch.web import render
from kbsearch.web.current import get_build

bp = Blueprint("pages", __name__)

PER_PAGE = 10


@bp.get("/")
def index():
    """The search page: a plain GET form, so it works without JavaScript."""
    build = get_build()
    args = request.args
    q = args.get("q", "")[:1000]
    filters = {name: args.get(name, "")[:100] for name in ("type", "category", "subcategory")}
    page = args.get("page", "1")
    page = int(page) if WHOLE_NUMBER.match(page) and 0 < int(page) <= 1000 else 1
    found = results.search_page(build, q, filters, page, PER_PAGE) if q.strip() else None
    return render_template("pages/search.html", q=q, filters=filters, found=found,
                           taxonomy=build.manifest.get("taxonomy") or {}, total=len(build.details))


def get_article_or_404(article_id: str) -> dict:
    """The served article's stored fields.

    :raise 404: the build does not hold it; hidden articles are never in a build, so a
        reader cannot tell a hidden article from a missing one.
    """
    document = fulltext.get_document(get_build().index, article_id)
    if document is None:
        abort(404, f"No article {article_id!r}.")
    return document


@bp.get("/articles/<article_id>")
def article(article_id: str):
    build = get_build()
    document = get_article_or_404(article_id)
    related = [(i, build.details[i]) for i in build.ranker.related(article_id, 5)]
    # Opened from the case form's panel: the form session, so "did this help?" joins its funnel.
    session = request.args.get("session", "")
    return render_template("pages/article.html", article=document, body=render.to_html(document["markdown"]),
                           related=related, taxonomy=build.manifest.get("taxonomy") or {},
                           session=session if TOKEN.match(session) else None)


@bp.get("/categories")
def categories():
    """Every category with its subcategories and how many articles each holds."""
    build = get_build()
    counts = Counter(d["category"] for d in build.details.values())
    sub_counts = Counter((d["category"], d["subcategory"]) for d in build.details.values())
    taxonomy = build.manifest.get("taxonomy") or {c: {"label": c, "subcategories": {}} for c in counts if c}
    return render_template("pages/categories.html", taxonomy=taxonomy, counts=counts, sub_counts=sub_counts)


@bp.get("/categories/<category>")
@bp.get("/categories/<category>/<subcategory>")
def category(category: str, subcategory: str | None = None):
    """The articles of one category or subcategory, newest first.

    :raise 404: no such category, or one with no visible article.
    """
    build = get_build()
    articles = sorted(((i, d) for i, d in build.details.items() if d["category"] == category
                       and (subcategory is None or d["subcategory"] == subcategory)),
                      key=lambda item: (item[1]["updated"] or "", item[1]["title"]), reverse=True)
    taxonomy = build.manifest.get("taxonomy") or {}
    known = category in taxonomy and (subcategory is None or subcategory in taxonomy[category]["subcategories"])
    if not articles and not known:
        abort(404, f"No category {category!r}.")
    label = taxonomy.get(category, {}).get("label", category)
    sub_label = taxonomy.get(category, {}).get("subcategories", {}).get(subcategory, subcategory)
    return render_template("pages/category.html", category=category, label=label, subcategory=subcategory,
                           sub_label=sub_label, articles=articles)
