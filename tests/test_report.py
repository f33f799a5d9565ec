"""The deflection funnel, counted per form session as README.md defines it."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone


from kbsearch.cases import report

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)




def event(database, session: str, kind: str, created: str, **extra) -> None:
    database["events"].insert({"session": session, "kind": kind, "created": created, **extra})


def case(database, session: str | None, created: str) -> None:
    database["cases"].insert({"number": f"CS-{created}-{session}", "secret_hash": "x", "subject": "s",
                              "description": "d", "status": "new", "session": session, "created": created})


def test_the_funnel_counts_each_step_once_per_session(database):
    # a: shown, clicked twice, said solved -> explicit
    for kind, at in [("shown", "09:00"), ("shown", "09:01"), ("clicked", "09:02"), ("clicked", "09:03"),
                     ("helpful", "09:04"), ("deflected", "09:05")]:
        event(database, "a", kind, f"2026-11-22T{at}:00Z")
    # b: shown, clicked, no case -> implicit once 30 minutes have passed
    event(database, "b", "shown", "2026-11-22T10:00:00Z")
    event(database, "b", "clicked", "2026-11-22T10:01:00Z")
    # c: shown, clicked, then a case 10 minutes later -> not deflected
    event(database, "c", "shown", "2026-11-22T11:00:00Z")
    event(database, "c", "clicked", "2026-11-22T11:01:00Z")
    case(database, "c", "2026-11-22T11:11:00Z")
    # d: nothing shown, a case; and a case from an API client with no form session
    case(database, "d", "2026-11-22T12:00:00Z")
    case(database, None, "2026-11-22T13:00:00Z")
    # e: clicked a minute ago: still inside the window, not counted yet
    event(database, "e", "shown", "2026-11-23T11:58:00Z")
    event(database, "e", "clicked", "2026-11-23T11:59:00Z")

    rows, total = report.funnel(database, implicit_minutes=30, now=NOW)
    assert [r.day for r in rows] == ["2026-11-22", "2026-11-23"]
    day = rows[0]
    assert (day.sessions, day.shown, day.clicked, day.helpful, day.explicit, day.implicit, day.cases) == \
           (4, 3, 3, 1, 1, 1, 3)
    assert day.rates == {"suggestion_rate": 0.75, "click_rate": 1.0, "explicit_rate": 0.25, "deflection_rate": 0.5,
                         "link_rate": None}  # no case solved yet
    assert (total.sessions, total.implicit, total.cases) == (5, 1, 3)
    later = report.funnel(database, implicit_minutes=30, now=datetime(2026, 11, 24, tzinfo=timezone.utc))[1]
    assert later.implicit == 2


def test_a_shorter_window_turns_a_late_case_into_an_implicit_deflection(database):
    event(database, "c", "clicked", "2026-11-22T11:01:00Z")
    case(database, "c", "2026-11-22T11:11:00Z")
    assert report.funnel(database, implicit_minutes=30, now=NOW)[1].implicit == 0
    assert report.funnel(database, implicit_minutes=5, now=NOW)[1].implicit == 1


def test_since_and_until_are_inclusive_days(database):
    for day in ("20", "21", "22"):
        event(database, f"s{day}", "shown", f"2026-11-{day}T08:00:00Z")
    rows, total = report.funnel(database, since=date(2026, 11, 21), until=date(2026, 11, 21), now=NOW)
    assert [r.day for r in rows] == ["2026-11-21"] and total.sessions == 1


def test_no_sessions_gives_rates_of_none_not_a_division_by_zero(database):
    rows, total = report.funnel(database, now=NOW)
    assert rows == [] and total.rates["deflection_rate"] is None


def test_the_three_formats(database):
    event(database, "a", "shown", "2026-11-22T09:00:00Z")
    event(database, "a", "deflected", "2026-11-22T09:01:00Z")
    rows, total = report.funnel(database, now=NOW)
    as_json = json.loads(report.render(rows, total, "json", 30))
    assert as_json["total"]["explicit"] == 1 and as_json["days"][0]["day"] == "2026-11-22"
    as_csv = report.render(rows, total, "csv", 30).splitlines()
    assert as_csv[0].startswith("day,sessions,shown") and as_csv[-1].startswith("total,1,1,0,0,1,0,0,1.0,")
    table = report.render(rows, total, "table", 30)
    assert "100.0%" in table and "within 30 min" in table


def test_the_report_command(runner, client):
    client.post("/api/events", json={"session": "form-session-1", "kind": "deflected",
                                     "article_id": "locked-account"})
    result = runner.invoke(args=["report", "--format", "json", "--implicit-minutes", "10"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"]["explicit"] == 1 and json.loads(result.output)["implicit_minutes"] == 10
    bad = runner.invoke(args=["report", "--since", "23/11/2026"])
    assert bad.exit_code == 2 and "--since" in bad.output
