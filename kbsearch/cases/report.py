"""The deflection funnel: how many form sessions the knowledge base ended without a case.

Counts are of form sessions (one per opened case form), dated by the session's first
event, except ``cases``, which counts every case created that day from any client, and
``solved``/``linked``, the cases created that day now solved (or closed) and those of them
naming the article that solved them (KCS's link rate). The formulas are in README.md, "The
knowledge loop".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta, timezone

from kbsearch.cases.db import Database
from kbsearch.cases.events import VOTES

STAMP = "%Y-%m-%dT%H:%M:%SZ"
SOLVED = ("solved", "closed")  # a closed case was solved or given up; either way it is done


@dataclass
class Row:
    day: str
    sessions: int = 0
    shown: int = 0
    clicked: int = 0
    helpful: int = 0
    explicit: int = 0
    implicit: int = 0
    cases: int = 0
    solved: int = 0
    linked: int = 0

    def add(self, other: Row) -> None:
        for f in fields(self):
            if f.name != "day":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def rates(self) -> dict[str, float | None]:
        def ratio(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        return {"suggestion_rate": ratio(self.shown, self.sessions),
                "click_rate": ratio(self.clicked, self.shown),
                "explicit_rate": ratio(self.explicit, self.sessions),
                "deflection_rate": ratio(self.explicit + self.implicit, self.sessions),
                "link_rate": ratio(self.linked, self.solved)}


@dataclass
class Session:
    """One form session as the events tell it; ``submitted`` holds its cases' times."""

    first: str
    kinds: set[str]
    last_click: str | None = None
    last_article: str | None = None  # the article clicked last
    submitted: list[str] = field(default_factory=list)
    form: bool = False  # a case form's session; one with only votes is a reader of articles

    def implicit(self, window: timedelta, now: datetime) -> bool:
        """Clicked, did not say solved, and sent no case within ``window`` of the last click (now past)."""
        if not self.last_click or "deflected" in self.kinds:
            return False
        closes = _parse(self.last_click) + window
        return closes <= now and not any(_parse(c) <= closes for c in self.submitted)


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, STAMP).replace(tzinfo=timezone.utc)


def sessions(db: Database) -> dict[str, Session]:
    """Every form session, from its events and the cases sent from it.

    A ``shown`` event with no articles (the panel had nothing to suggest) starts a session
    but is not a suggestion shown. A session with nothing but votes ("Did this article help?"
    asked of any reader) is not a form's.
    """
    found: dict[str, Session] = {}
    for event in db.query("select session, kind, article_id, articles, created from events order by created, id"):
        s = found.setdefault(event["session"], Session(event["created"], set()))
        s.form = s.form or event["kind"] not in VOTES
        if event["kind"] == "shown" and event["articles"] == "[]":
            continue
        s.kinds.add(event["kind"])
        if event["kind"] == "clicked":
            s.last_click, s.last_article = event["created"], event["article_id"]
    for case in db.query("select session, created from cases where session is not null and session != '' "
                         "order by created"):
        s = found.setdefault(case["session"], Session(case["created"], set()))
        s.kinds.add("submitted")
        s.form = True
        s.submitted.append(case["created"])
    return found


def in_period(day: str, since: date | None, until: date | None) -> bool:
    """Whether ``day`` (``YYYY-MM-DD``, or a stamp starting with one) is inside the inclusive period."""
    day = day[:10]
    return (since is None or day >= since.isoformat()) and (until is None or day <= until.isoformat())


def funnel(db: Database, since: date | None = None, until: date | None = None, implicit_minutes: int = 30,
           now: datetime | None = None) -> tuple[list[Row], Row]:
    """Per-day rows and the total for sessions that began between ``since`` and ``until`` (inclusive).

    A session counts as an implicit deflection when it clicked an article, said nothing
    solved it, and no case came from it within ``implicit_minutes`` of its last click;
    sessions still inside that window are not counted yet.
    """
    now = now or datetime.now(timezone.utc)
    window = timedelta(minutes=implicit_minutes)
    days: dict[str, Row] = {}
    for s in sessions(db).values():
        day = s.first[:10]
        if not s.form or not in_period(day, since, until):
            continue
        row = days.setdefault(day, Row(day))
        row.sessions += 1
        row.shown += "shown" in s.kinds
        row.clicked += "clicked" in s.kinds
        row.helpful += "helpful" in s.kinds
        row.explicit += "deflected" in s.kinds
        row.implicit += s.implicit(window, now)
    for case in db.query("select created, status, solved_by from cases"):
        if in_period(case["created"], since, until):
            row = days.setdefault(case["created"][:10], Row(case["created"][:10]))
            row.cases += 1
            row.solved += case["status"] in SOLVED
            row.linked += case["status"] in SOLVED and bool(case["solved_by"])
    rows = [days[d] for d in sorted(days)]
    total = Row("total")
    for row in rows:
        total.add(row)
    return rows, total


COLUMNS = ("day", "sessions", "shown", "clicked", "helpful", "explicit", "implicit", "cases",
           "suggestion_rate", "click_rate", "explicit_rate", "deflection_rate", "solved", "linked", "link_rate")


def _record(row: Row) -> dict:
    return {**asdict(row), **row.rates}


def as_json(rows: list[Row], total: Row, implicit_minutes: int) -> dict:
    """The funnel as the JSON report holds it; ``link_rate`` is the period's, as in ``total``."""
    return {"implicit_minutes": implicit_minutes, "days": [_record(r) for r in rows], "total": _record(total),
            "link_rate": total.rates["link_rate"]}


def csv_text(columns: Sequence[str], rows: Iterable[Mapping]) -> str:
    """``rows`` as CSV under a header of ``columns``, for every report's ``--format csv``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def render(rows: list[Row], total: Row, form: str, implicit_minutes: int) -> str:
    """The report as ``table`` (for people), ``json`` or ``csv`` (for spreadsheets)."""
    records = [_record(r) for r in rows] + [_record(total)]
    if form == "json":
        return json.dumps(as_json(rows, total, implicit_minutes), indent=2)
    if form == "csv":
        return csv_text(COLUMNS, records)

    def cell(value) -> str:
        if value is None:
            return "-"
        return f"{value:.1%}" if isinstance(value, float) else str(value)

    headers = ("day", "sessions", "shown", "clicked", "helpful", "explicit", "implicit", "cases",
               "suggest%", "click%", "explicit%", "deflect%", "solved", "linked", "link%")
    table = [headers] + [tuple(cell(r[c]) for c in COLUMNS) for r in records]
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    lines = ["  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(line, widths)))
             for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    lines.append(f"implicit = clicked an article, no case within {implicit_minutes} min of the last click; "
                 "link% = solved cases naming the article that solved them; rates as in README.md")
    return "\n".join(lines)
