"""What each article does: shown, opened, voted on, dismissed, deflecting or not (``kbsearch report articles``).

Counts are of sessions (a form session, or a visitor's search session for votes and search
clicks) whose first event falls in the period, as in the funnel, except ``clicked`` from the
search page (searches made in the period) and ``linked_cases`` (cases created in the period
naming the article that solved them). ``deflected`` is a form session that said "This solved my
problem" with the article, or that clicked it last and sent no case in the implicit window.
``deflection_rate`` = deflected / shown.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone

from kbsearch.cases.db import Database
from kbsearch.cases.report import csv_text, in_period, sessions

COUNTS = ("shown", "clicked", "helpful", "not_helpful", "dismissed", "deflected", "cases_after_view", "linked_cases")
COLUMNS = ("id", "title", *COUNTS, "deflection_rate")
MAX_REASONS = 5
NUMBER = re.compile(r"^(?:-|[\d.]+%?)$")


class Tally:
    """Sessions per article and kind, and the reasons given with "No"."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.extra: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.reasons: dict[str, list[tuple[str, str]]] = defaultdict(list)  # (created, reason)

    def count(self, article_id: str, kind: str) -> int:
        return len(self.sessions[article_id][kind]) + self.extra[article_id][kind]

    def articles(self) -> set[str]:
        return set(self.sessions) | set(self.extra)

    def latest_reasons(self, article_id: str) -> list[str]:
        return [r for _, r in sorted(self.reasons[article_id], reverse=True)[:MAX_REASONS]]


def tally(db: Database, since: date | None = None, until: date | None = None, implicit_minutes: int = 30,
          now: datetime | None = None) -> Tally:
    """Count what happened to each article in the period."""
    now = now or datetime.now(timezone.utc)
    found = Tally()
    first: dict[str, str] = {}
    clicks: list[tuple[str, str, str]] = []  # (session, article, created)
    for e in db.query("select session, kind, article_id, articles, reason, created from events order by created, id"):
        if not in_period(first.setdefault(e["session"], e["created"]), since, until):
            continue
        if e["kind"] == "shown":
            for article_id in json.loads(e["articles"] or "[]"):
                found.sessions[article_id]["shown"].add(e["session"])
        elif e["article_id"]:
            found.sessions[e["article_id"]][e["kind"]].add(e["session"])
            if e["kind"] == "clicked":
                clicks.append((e["session"], e["article_id"], e["created"]))
            if e["reason"]:
                found.reasons[e["article_id"]].append((e["created"], e["reason"]))
    window = timedelta(minutes=implicit_minutes)
    every = sessions(db)
    for session_id, s in every.items():
        if in_period(s.first, since, until) and s.last_article and s.implicit(window, now):
            found.sessions[s.last_article]["deflected"].add(session_id)
    for session_id, article_id, created in clicks:
        if any(c >= created for c in every[session_id].submitted):  # stamps are to the second
            found.sessions[article_id]["cases_after_view"].add(session_id)
    for row in db.query("select clicked, created from searches where clicked is not null"):
        if in_period(row["created"], since, until):
            found.extra[row["clicked"]]["clicked"] += 1
    for row in db.query("select solved_by, created from cases where solved_by is not null"):
        if in_period(row["created"], since, until):
            found.extra[row["solved_by"]]["linked_cases"] += 1
    return found


def articles(found: Tally, titles: Mapping[str, str]) -> dict:
    """``{articles: [...]}``: every served article, and any other the period names, most shown first."""
    rows = []
    for article_id in set(titles) | found.articles():
        row = {"id": article_id, "title": titles.get(article_id)}
        row.update({kind: found.count(article_id, kind) for kind in COUNTS})
        row["deflection_rate"] = round(row["deflected"] / row["shown"], 4) if row["shown"] else None
        rows.append(row)
    rows.sort(key=lambda r: (-r["shown"], -r["clicked"], r["id"]))
    return {"articles": rows}


def render(report: dict, form: str) -> str:
    """``table`` (articles with any activity; the rest counted in one line), ``json`` or ``csv`` (all)."""
    rows = report["articles"]
    if form == "json":
        return json.dumps(report, indent=2, ensure_ascii=False)
    if form == "csv":
        return csv_text(COLUMNS, rows)
    active = [r for r in rows if any(r[k] for k in COUNTS)]
    headers = ("article", "shown", "clicked", "yes", "no", "dismissed", "deflected", "case after", "linked", "deflect%")
    table = [headers] + [(r["id"], *(str(r[k]) for k in COUNTS),
                          "-" if r["deflection_rate"] is None else f"{r['deflection_rate']:.1%}") for r in active]
    return text_table(table) + f"\n{len(rows) - len(active)} other articles had no activity in the period"


def text_table(table: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell: numbers right-aligned, text left-aligned."""
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    numeric = [all(NUMBER.match(line[i]) for line in table[1:]) for i in range(len(widths))]
    lines = ["  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(line, widths))).rstrip()
             for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
