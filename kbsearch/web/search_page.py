"""The search page (``GET /``, view ``pages.index``): no dead ends.

- A misspelling with a confident correction is answered with the corrected results at once
  ("Showing results for password. Search instead for pasword", the link adding ``nofix=1``).
  Confident: ``search_page`` offers a suggestion and the suggestion finds results while the
  query as typed finds none, or finds at least ``CORRECTION_RATIO`` times as many. Otherwise the
  suggestion is a "Did you mean" line.
- No results: what to try, the categories, and "Contact support" starting a case with the query.
- Filters are links with counts (type, category, subcategory): the selected one is marked
  ``aria-current`` and has a × that drops just it. A filter with no query browses its articles,
  newest first. Results show their category path and updated date.
- A page beyond the last is a 404 page with the search box, not "page 99 of 2".

A submitted search is recorded under the visitor's ``kb_session`` cookie (``visitor``): the query
as typed, the filters and the total shown; its result links pass through ``/search/click``.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import date

from flask import render_template, request, url_for

from kbsearch.cases.fields import WHOLE_NUMBER
from kbsearch.ranking import results
from kbsearch.web import visitor
from kbsearch.web.current import get_build

PER_PAGE = 10
MAX_PAGE = 1000
FILTERS = ("type", "category", "subcategory")
FACET_HEADINGS = {"type": "Type", "category": "Category", "subcategory": "Subcategory"}
TYPE_LABELS = {"knowledge": "Solutions", "help": "Product help"}
CORRECTION_RATIO = 5  # the correction finds this many times more than the query as typed: show it at once


def index():
    """The search page: a plain GET form, so it works without JavaScript (``instant.js`` adds to it)."""
    build = get_build()
    args = request.args
    q = args.get("q", "")[:1000]
    filters = {name: args.get(name, "")[:100] for name in FILTERS}
    asked = args.get("page", "1")
    page = int(asked) if WHOLE_NUMBER.match(asked) and int(asked) > 0 else 1
    exact = args.get("nofix") == "1"
    taxonomy = build.manifest.get("taxonomy") or {}
    found, corrected = None, None
    if q.strip():
        found = results.search_page(build, q, filters, min(page, MAX_PAGE), PER_PAGE)
        if found.suggestion and not exact:
            fixed = results.search_page(build, found.suggestion, filters, min(page, MAX_PAGE), PER_PAGE)
            if fixed.total and (not found.total or fixed.total >= CORRECTION_RATIO * found.total):
                found, corrected = fixed, found.suggestion
    elif any(filters.values()):
        found = browse(build, filters, min(page, MAX_PAGE), PER_PAGE)
    view = {"q": q, "filters": filters, "taxonomy": taxonomy, "exact": exact, "page_url": _page_url(q, filters, exact),
            "search_url": search_url}
    if found is not None and page > max(found.pages, 1):
        return render_template("pages/search_404.html", asked=page, found=found, **view), 404
    search_id = _record_search(q, filters, found.total) if found is not None and q.strip() else None
    names = labels(taxonomy, filters["category"])
    return render_template("pages/search.html", found=found, corrected=corrected, search_id=search_id,
                           per_page=PER_PAGE, total=len(build.details),
                           facets=facet_groups(found, q, filters, names, exact) if found else [],
                           chosen=chosen_filters(q, filters, names, exact), path_of=_path_of(names),
                           shown_date=shown_date, **view)


def browse(build, filters: dict[str, str], page: int, per_page: int) -> results.SearchPage:
    """A filter with no query: every article it selects, newest first, with the facet counts."""
    chosen = sorted(((i, d) for i, d in build.details.items()
                     if all(not filters.get(name) or d[name] == filters[name] for name in FILTERS)),
                    key=lambda item: (item[1]["updated"] or "", item[1]["title"]), reverse=True)
    facets = {name: dict(Counter(d[name] for _, d in chosen if d[name])) for name in FILTERS}
    shown = [results.Candidate(id=i, title=d["title"], type=d["type"], category=d["category"] or None,
                               subcategory=d["subcategory"] or None, summary=d["summary"],
                               snippet=html.escape(d["summary"]), score=0.0, updated=d["updated"])
             for i, d in chosen[(page - 1) * per_page:page * per_page]]
    return results.SearchPage(shown, len(chosen), page, (len(chosen) + per_page - 1) // per_page, facets, None)


def labels(taxonomy: dict, category: str = "") -> dict[str, dict[str, str]]:
    """Each facet value's label; a subcategory id two categories share takes the chosen category's."""
    subcategories = {sid: label for cat in taxonomy.values() for sid, label in cat.get("subcategories", {}).items()}
    subcategories.update(taxonomy.get(category, {}).get("subcategories", {}))
    return {"type": TYPE_LABELS, "category": {cid: cat["label"] for cid, cat in taxonomy.items()},
            "subcategory": subcategories}


def search_url(q: str, filters: dict[str, str], exact: bool = False, **changed: str | None) -> str:
    """The search page for ``q`` with ``filters`` changed by ``changed`` (None drops one)."""
    params = {name: value for name, value in {**filters, **changed}.items() if value}
    return url_for("pages.index", q=q or None, nofix="1" if exact and q else None, **params)


def facet_groups(found: results.SearchPage, q: str, filters: dict[str, str], names: dict, exact: bool) -> list[dict]:
    """The refine links: per facet, each value with its count, link, and whether it is the one chosen."""
    groups = []
    for name in FILTERS:
        counts = dict(found.facets.get(name) or {})
        if filters[name]:
            counts.setdefault(filters[name], 0)  # chosen but matching nothing: still shown, to be removed
        values = [{"value": value, "label": names[name].get(value, value), "count": count,
                   "selected": value == filters[name], "href": search_url(q, filters, exact, **{name: value}),
                   "remove": search_url(q, filters, exact, **{name: None})}
                  for value, count in sorted(counts.items(), key=lambda vc: (-vc[1], names[name].get(vc[0], vc[0])))]
        if values:
            groups.append({"name": name, "heading": FACET_HEADINGS[name], "values": values})
    return groups


def chosen_filters(q: str, filters: dict[str, str], names: dict, exact: bool) -> list[dict]:
    """The filters in force, each with the link that removes just it."""
    return [{"heading": FACET_HEADINGS[name], "label": names[name].get(value, value),
             "remove": search_url(q, filters, exact, **{name: None})}
            for name, value in filters.items() if value]


def _page_url(q: str, filters: dict[str, str], exact: bool):
    return lambda page: search_url(q, filters, exact, page=page)


def _path_of(names: dict):
    """A result's category path, "Category › Subcategory" (empty when it has none)."""
    def path(hit) -> str:
        parts = [names["category"].get(hit.category, hit.category) if hit.category else None,
                 names["subcategory"].get(hit.subcategory, hit.subcategory) if hit.subcategory else None]
        return " › ".join(p for p in parts if p)
    return path


def shown_date(updated: str | None) -> str:
    """``2026-04-11`` as "11 April 2026" (as given when it is not an ISO date)."""
    try:
        day = date.fromisoformat(updated or "")
    except ValueError:
        return updated or ""
    return f"{day.day} {day:%B %Y}"


def _record_search(q: str, filters: dict[str, str], total: int) -> int | None:
    """Record a submitted search under the visitor's session; None when it is not (a prefetch, a busy disk)."""
    if visitor.prefetched():  # the browser guessing from the address bar: nobody asked yet
        return None
    return visitor.record_search(visitor.ensure_session(), q, filters, total)
