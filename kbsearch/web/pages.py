"""HTML pages (blueprint ``pages``): search, articles and category browsing.

Every page reads only the served build, which holds only what its audience may see. A search
submitted on the search page is recorded under the visitor's ``kb_session`` cookie (``visitor``),
and its result links pass through ``/search/click``, which records the one opened; recording
never fails or delays a search for long (a busy database: the search is answered unrecorded).
"""

from __future__ import annotations

from collections import Counter

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from kbsearch.cases import events, searches
from kbsearch.cases.db import DatabaseBusy, StorageFull
from kbsearch.cases.fields import TOKEN, WHOLE_NUMBER
from kbsearch.web import article_page, search_page, visitor
from kbsearch.web.case_form import ordered_taxonomy
from kbsearch.web.current import get_build, get_db

bp = Blueprint("pages", __name__)

@bp.get("/")
def index():
    """The search page; its view lives in ``search_page`` (corrections, filters, browsing, 404 pages)."""
    return search_page.index()


@bp.get("/search/click")
def search_click():
    """Note the result a search's visitor opened (search ``s``, rank ``r``), then go to article ``a`` (303).

    Only the session that made the search records its click (its cookie, or ``session`` for a
    search an API caller recorded); anyone else is just sent on to the article.

    :raise 404: ``a`` is not an article the build serves; this never redirects anywhere else.
    """
    article_id = request.args.get("a", "")
    if article_id not in get_build().details:
        abort(404, f"No article {article_id!r}.")
    search_id, rank = request.args.get("s", ""), request.args.get("r", "")
    given = request.args.get("session", "")
    session = visitor.session() or (given if TOKEN.match(given) else None)
    if session and WHOLE_NUMBER.match(search_id) and WHOLE_NUMBER.match(rank) and int(rank) > 0:
        try:
            searches.record_click(get_db(), int(search_id), session, int(rank), article_id,
                                  visitor.RECORD_WAIT_SECONDS)
        except (DatabaseBusy, StorageFull) as exc:
            current_app.logger.warning("search click not recorded: %s", exc)
    return redirect(url_for("pages.article", article_id=article_id), 303)


@bp.post("/articles/<article_id>/vote")
def vote(article_id: str):
    """"Did this article help?" from any visitor: one vote per article and session, a later one replacing it.

    A plain form (answered 303 back to the article) or ``feedback.js`` (asking for JSON: 201 with
    the event id) sends ``kind`` (``helpful`` or ``not_helpful``), an optional ``reason`` with "No",
    and ``session`` when the article was opened from the case form's panel, so the vote joins that
    form's funnel; otherwise the visitor's own session is used.

    :raise 404: no such served article.
    :raise ValidationError: a bad kind or a reason over 500 characters (400).
    """
    build = get_build()
    if article_id not in build.details:
        abort(404, f"No article {article_id!r}.")
    panel = request.form.get("session", "")
    source = {"session": panel if TOKEN.match(panel) else visitor.ensure_session(), "article_id": article_id,
              "kind": request.form.get("kind", ""), "reason": request.form.get("reason")}
    event, fields = events.read_event(source, build.details)
    if event.kind not in events.VOTES and not fields.has("kind"):
        fields.bad("kind", "must be helpful or not_helpful")
    fields.check()
    event_id = events.record(get_db(), event)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify({"id": event_id}), 201
    return redirect(url_for("pages.article", article_id=article_id, session=panel if TOKEN.match(panel) else None,
                            voted=event.kind, _anchor="feedback"), 303)


def get_article_or_404(article_id: str) -> tuple[dict, str]:
    """The served article's display fields (with its ``id``) and its page's body.

    The body is the HTML the reindex rendered and sanitised once (``corpus.render``): a view
    reads its bytes and parses no Markdown.

    :raise 404: the build does not hold it; hidden articles are never in a build, so a
        reader cannot tell a hidden article from a missing one.
    """
    build = get_build()
    row = build.ranker.positions_.get(article_id)
    if row is None:
        abort(404, f"No article {article_id!r}.")
    return {"id": article_id, **build.details[article_id]}, build.pages.get(row)


@bp.get("/articles/<article_id>")
def article(article_id: str):
    """An article, related articles its body does not already link, "Did this article help?", a way on."""
    build = get_build()
    document, body = get_article_or_404(article_id)
    related = article_page.related_not_linked(build, article_id, body)
    # Opened from the case form's panel: the form session, so "did this help?" joins its funnel.
    session = request.args.get("session", "")
    return render_template("pages/article.html", article=document, body=article_page.focusable_code(body),
                           related=related, taxonomy=build.manifest.get("taxonomy") or {},
                           session=session if TOKEN.match(session) else None)


@bp.get("/categories")
def categories():
    """Every category with its subcategories and how many articles each holds."""
    build = get_build()
    counts = Counter(d["category"] for d in build.details.values())
    sub_counts = Counter((d["category"], d["subcategory"]) for d in build.details.values())
    taxonomy = ordered_taxonomy(build.manifest) or {c: {"label": c, "subcategories": {}} for c in counts if c}
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
