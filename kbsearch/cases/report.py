"""The deflection funnel: how many form sessions the knowledge base ended without a case.

Counts are of form sessions (one per opened case form), dated by the session's first
event, except ``cases``, which counts every case created that day from any client. The
formulas are in README.md, "The deflection report".
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta, timezone

from kbsearch.cases.db import Database

STAMP = "%Y-%m-%dT%H:%M:%SZ"


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
                "deflection_rate": ratio(self.explicit + self.implicit, self.sessions)}


@dataclass
class _Session:
    first: str
    kinds: set[str]
    last_click: str | None = None


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, STAMP).replace(tzinfo=timezone.utc)


def funnel(db: Database, since: date | None = None, until: date | None = None, implicit_minutes: int = 30,
           now: datetime | None = None) -> tuple[list[Row], Row]:
    """Per-day rows and the total for sessions that began between ``since`` and ``until`` (inclusive).

    A session counts as an implicit deflection when it clicked an article, said nothing
    solved it, and no case came from it within ``implicit_minutes`` of its last click;
    sessions still inside that window are not counted yet.
    """
    now = now or datetime.now(timezone.utc)
    window = timedelta(minutes=implicit_minutes)
    sessions: dict[str, _Session] = {}
    for event in db.query("select session, kind, created from events order by created, id"):
        s = sessions.setdefault(event["session"], _Session(event["created"], set()))
        s.kinds.add(event["kind"])
        if event["kind"] == "clicked":
            s.last_click = event["created"]
    submitted: dict[str, list[str]] = {}
    case_days: dict[str, int] = {}
    for case in db.query("select session, created from cases order by created"):
        case_days[case["created"][:10]] = case_days.get(case["created"][:10], 0) + 1
        if case["session"]:
            submitted.setdefault(case["session"], []).append(case["created"])
            sessions.setdefault(case["session"], _Session(case["created"], set())).kinds.add("submitted")

    def wanted(day: str) -> bool:
        return (since is None or day >= since.isoformat()) and (until is None or day <= until.isoformat())

    days: dict[str, Row] = {}
    for session_id, s in sessions.items():
        day = s.first[:10]
        if not wanted(day):
            continue
        row = days.setdefault(day, Row(day))
        row.sessions += 1
        row.shown += "shown" in s.kinds
        row.clicked += "clicked" in s.kinds
        row.helpful += "helpful" in s.kinds
        row.explicit += "deflected" in s.kinds
        if s.last_click and "deflected" not in s.kinds:
            closes = _parse(s.last_click) + window
            came_back = any(_parse(c) <= closes for c in submitted.get(session_id, []))
            row.implicit += closes <= now and not came_back
    for day, count in case_days.items():
        if wanted(day):
            days.setdefault(day, Row(day)).cases += count
    rows = [days[d] for d in sorted(days)]
    total = Row("total")
    for row in rows:
        total.add(row)
    return rows, total


COLUMNS = ("day", "sessions", "shown", "clicked", "helpful", "explicit", "implicit", "cases",
           "suggestion_rate", "click_rate", "explicit_rate", "deflection_rate")


def _record(row: Row) -> dict:
    return {**asdict(row), **row.rates}


def render(rows: list[Row], total: Row, form: str, implicit_minutes: int) -> str:
    """The report as ``table`` (for people), ``json`` or ``csv`` (for spreadsheets)."""
    records = [_record(r) for r in rows] + [_record(total)]
    if form == "json":
        return json.dumps({"implicit_minutes": implicit_minutes, "days": records[:-1], "total": records[-1]},
                          indent=2)
    if form == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return out.getvalue().rstrip("\n")

    def cell(value) -> str:
        if value is None:
            return "-"
        return f"{value:.1%}" if isinstance(value, float) else str(value)

    headers = ("day", "sessions", "shown", "clicked", "helpful", "explicit", "implicit", "cases",
               "suggest%", "click%", "explicit%", "deflect%")
    table = [headers] + [tuple(cell(r[c]) for c in COLUMNS) for r in records]
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    lines = ["  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(line, widths)))
             for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    lines.append(f"implicit = clicked an article, no case within {implicit_minutes} min of the last click; "
                 "rates as in README.md")
    return "\n".join(lines)
