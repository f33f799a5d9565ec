"""What customers did not find (``kbsearch report gaps``): the articles to write or fix next.

- ``no_results``: searches that found nothing; ``no_clicks``: found something, opened nothing;
- ``no_suggestion``: form sessions whose last answer from the panel was "nothing to suggest",
  with the subject typed then (descriptions are never stored in events);
- ``cases_despite_suggestions``: cases sent although the panel showed articles, grouped by
  category and then by similar text, each with the article that scores best for it;
- ``articles_to_review``: articles dismissed, voted "No" (with the reasons) or opened before a
  case was sent anyway.

The cases layer reads the store; how texts are keyed and grouped (stems, the model's vectors) is
handed in by the caller, which may use the ranking layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from kbsearch.cases.article_stats import Tally, text_table
from kbsearch.cases.report import csv_text, in_period

MAX_EXAMPLES = 3
Key = Callable[[str], str]
# texts -> (groups of their positions, each text's best article and its cosine)
Grouper = Callable[[Sequence[str]], tuple[list[list[int]], list[tuple[str | None, float]]]]


def query_groups(rows: Sequence[Mapping], key: Key, count_name: str, limit: int) -> list[dict]:
    """Rows with ``query`` and ``created`` grouped by ``key(query)``, the most frequent group first.

    Each group is named by its most frequent wording (the latest on a tie) and shows up to
    ``MAX_EXAMPLES`` wordings, the latest first.
    """
    groups: dict[str, list[Mapping]] = {}
    for row in rows:
        groups.setdefault(key(row["query"]), []).append(row)
    found = []
    for members in groups.values():
        members = sorted(members, key=lambda r: r["created"])[::-1]  # the latest first; rows come in id order
        wordings: dict[str, int] = {}
        for row in members:
            wordings[row["query"]] = wordings.get(row["query"], 0) + 1
        found.append({"query": max(wordings, key=lambda w: wordings[w]), count_name: len(members),
                      "last_seen": members[0]["created"], "examples": list(wordings)[:MAX_EXAMPLES]})
    found.sort(key=lambda g: g["query"])
    found.sort(key=lambda g: g["last_seen"], reverse=True)
    found.sort(key=lambda g: g[count_name], reverse=True)  # stable: the latest, then A-Z, break ties
    return found[:limit]


def searches(db, since: date | None, until: date | None, key: Key, limit: int) -> tuple[list[dict], list[dict]]:
    """``no_results`` and ``no_clicks``."""
    rows = [r for r in db.query("select query, total, clicked, created from searches order by id")
            if in_period(r["created"], since, until)]
    return (query_groups([r for r in rows if r["total"] == 0], key, "searches", limit),
            query_groups([r for r in rows if r["total"] > 0 and r["clicked"] is None], key, "searches", limit))


def no_suggestion(db, since: date | None, until: date | None, key: Key, limit: int) -> list[dict]:
    """Form sessions whose last ``shown`` had no article, grouped by the subject typed then."""
    last: dict[str, Mapping] = {}
    first: dict[str, str] = {}
    for e in db.query("select session, kind, articles, query, created from events order by created, id"):
        first.setdefault(e["session"], e["created"])
        if e["kind"] == "shown":
            last[e["session"]] = e
    rows = [{"query": e["query"], "created": e["created"]} for s, e in last.items()
            if e["articles"] == "[]" and e["query"] and in_period(first[s], since, until)]
    return query_groups(rows, key, "sessions", limit)


def cases_despite_suggestions(db, since: date | None, until: date | None, grouper: Grouper | None,
                              limit: int) -> list[dict]:
    """Cases sent although the panel showed articles: by category, then by similar text.

    ``best_score`` of a group is the best any of its cases got: low, and no article covers it.
    Without a ``grouper`` (no index), each category is one group with no scores.
    """
    cases = [c for c in db.query("select number, subject, description, category, shown, created from cases "
                                 "order by created, id")
             if json.loads(c["shown"] or "[]") and in_period(c["created"], since, until)]
    found = []
    for category in sorted({c["category"] or "" for c in cases}):
        members = [c for c in cases if (c["category"] or "") == category]
        texts = [f"{c['subject']}\n{c['description']}" for c in members]
        if grouper is None:
            groups, best = [list(range(len(members)))], [(None, None)] * len(members)
        else:
            groups, best = grouper(texts)
        for positions in groups:
            examples = sorted(({"number": members[i]["number"], "subject": members[i]["subject"],
                                "best_article": best[i][0], "best_score": best[i][1]} for i in positions),
                              key=lambda e: e["number"], reverse=True)
            top = max(examples, key=lambda e: e["best_score"] or 0.0)
            found.append({"category": category or None, "cases": len(positions),
                          "best_article": top["best_article"], "best_score": top["best_score"],
                          "last_seen": max(members[i]["created"] for i in positions), "examples": examples[:5]})
    found.sort(key=lambda g: (-g["cases"], g["best_score"] or 0.0, g["category"] or ""))
    return found[:limit]


def articles_to_review(found: Tally, titles: Mapping[str, str], limit: int) -> list[dict]:
    """Articles dismissed, voted "No" or opened before a case, the most of those first."""
    rows = []
    for article_id in found.articles():
        row = {"id": article_id, "title": titles.get(article_id),
               "dismissed": found.count(article_id, "dismissed"), "not_helpful": found.count(article_id, "not_helpful"),
               "opened_before_case": found.count(article_id, "cases_after_view"),
               "reasons": found.latest_reasons(article_id)}
        if row["dismissed"] or row["not_helpful"] or row["opened_before_case"]:
            rows.append(row)
    rows.sort(key=lambda r: (-(r["dismissed"] + r["not_helpful"] + r["opened_before_case"]), r["id"]))
    return rows[:limit]


def gaps(db, since: date | None, until: date | None, key: Key, grouper: Grouper | None, found: Tally,
         titles: Mapping[str, str], limit: int = 20) -> dict:
    """The whole gaps report, each list cut to ``limit`` entries."""
    no_results, no_clicks = searches(db, since, until, key, limit)
    return {"no_results": no_results, "no_clicks": no_clicks,
            "no_suggestion": no_suggestion(db, since, until, key, limit),
            "cases_despite_suggestions": cases_despite_suggestions(db, since, until, grouper, limit),
            "articles_to_review": articles_to_review(found, titles, limit)}


CSV_COLUMNS = ("list", "item", "count", "last_seen", "best_article", "best_score", "detail")
WELL_COVERED = 0.2  # below this best cosine, the table says no article covers the group


def rows(report: dict) -> list[dict]:
    """Every entry of every list as one flat row (the CSV's rows)."""
    flat = []
    for name in ("no_results", "no_clicks", "no_suggestion"):
        for g in report[name]:
            flat.append({"list": name, "item": g["query"], "count": g.get("searches", g.get("sessions")),
                         "last_seen": g["last_seen"], "detail": " | ".join(g["examples"])})
    for g in report["cases_despite_suggestions"]:
        flat.append({"list": "cases_despite_suggestions", "item": g["category"] or "", "count": g["cases"],
                     "last_seen": g["last_seen"], "best_article": g["best_article"], "best_score": g["best_score"],
                     "detail": " | ".join(f"{e['number']} {e['subject']}" for e in g["examples"])})
    for a in report["articles_to_review"]:
        flat.append({"list": "articles_to_review", "item": a["id"],
                     "count": a["dismissed"] + a["not_helpful"] + a["opened_before_case"],
                     "detail": f"dismissed {a['dismissed']}, no {a['not_helpful']}, opened before a case "
                               f"{a['opened_before_case']}" + "".join(f" | {r}" for r in a["reasons"])})
    return flat


TITLES = {"no_results": "Searches with no results", "no_clicks": "Searches with results but nothing opened",
          "no_suggestion": "Case forms the panel had nothing for (the subject typed)",
          "cases_despite_suggestions": "Cases sent although articles were suggested (by category, similar text)",
          "articles_to_review": "Articles to review (dismissed, voted No, opened before a case)"}


def render(report: dict, form: str) -> str:
    """``json`` (the report itself), ``csv`` (one row per entry) or ``table``."""
    if form == "json":
        return json.dumps(report, indent=2, ensure_ascii=False)
    if form == "csv":
        return csv_text(CSV_COLUMNS, rows(report))
    parts = []
    flat = rows(report)
    for name, title in TITLES.items():
        entries = [r for r in flat if r["list"] == name]
        parts.append(f"{title}: {len(entries) or 'none'}")
        if not entries:
            continue
        if name == "cases_despite_suggestions":
            table = [("category", "cases", "best article", "best score", "examples (newest first)")] + [
                (r["item"] or "-", str(r["count"]), r["best_article"] or "-",
                 "-" if r["best_score"] is None else f"{r['best_score']:.2f}"
                 + (" (no article covers it)" if r["best_score"] < WELL_COVERED else ""), _cut(r["detail"]))
                for r in entries]
        elif name == "articles_to_review":
            table = [("article", "total", "detail")] + [(r["item"], str(r["count"]), _cut(r["detail"], 90))
                                                        for r in entries]
        else:
            table = [("query", "count", "last seen", "wordings")] + [
                (_cut(r["item"], 40), str(r["count"]), r["last_seen"][:16].replace("T", " "), _cut(r["detail"]))
                for r in entries]
        parts.append(text_table(table))
    return "\n\n".join(parts)


def _cut(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
