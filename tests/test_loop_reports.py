"""``kbsearch report``, ``report gaps`` and ``report articles`` after a scripted day (tests/knowledge_loop.py)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest
from conftest import SUMMARY
from knowledge_loop import run

from kbsearch.index.layout import builds_dir
from kbsearch.index.opened import load
from kbsearch.ranking import groups


@pytest.fixture
def day(app):
    return run(app)


def report(runner, *args: str) -> str:
    result = runner.invoke(args=["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_funnel_with_the_link_rate(runner, day):
    funnel = json.loads(report(runner, "--format", "json"))
    total = {k: v for k, v in funnel["total"].items() if k != "day"}
    assert total == {"sessions": 8, "shown": 6, "clicked": 3, "helpful": 1, "explicit": 1, "implicit": 1,
                     "cases": 6, "solved": 2, "linked": 1, "suggestion_rate": 0.75, "click_rate": 0.5,
                     "explicit_rate": 0.125, "deflection_rate": 0.25, "link_rate": 0.5}
    assert funnel["link_rate"] == 0.5 and len(funnel["days"]) == 1
    assert report(runner, "funnel", "--format", "json") == report(runner, "--format", "json")
    rows = list(csv.DictReader(io.StringIO(report(runner, "--format", "csv"))))
    assert rows[-1]["day"] == "total" and rows[-1]["link_rate"] == "0.5"
    before = json.loads(report(runner, "--since", "2000-01-01", "--until", "2000-01-02", "--format", "json"))
    assert before["days"] == [] and before["link_rate"] is None


def test_the_gaps(runner, day):
    gaps = json.loads(report(runner, "gaps", "--format", "json"))
    assert set(gaps) == {"no_results", "no_clicks", "no_suggestion", "cases_despite_suggestions", "articles_to_review"}
    strip = [{k: g[k] for k in ("query", "searches", "examples")} for g in gaps["no_results"]]
    assert strip == [{"query": "Refunds zorblatt", "searches": 2, "examples": ["Refunds zorblatt", "zorblatt refund"]},
                     {"query": "frobnitz", "searches": 1, "examples": ["frobnitz"]},
                     {"query": "quendrix", "searches": 1, "examples": ["quendrix"]}]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", g["last_seen"]) for g in gaps["no_results"])
    assert [(g["query"], g["searches"]) for g in gaps["no_clicks"]] == [("Account Locked", 1)]
    assert [(g["query"], g["sessions"]) for g in gaps["no_suggestion"]] == [("quendrix portal", 1),
                                                                             ("zorblatt refund", 1)]
    cases = [(g["category"], g["cases"], g["best_article"], [e["number"] for e in g["examples"]])
             for g in gaps["cases_despite_suggestions"]]
    assert cases == [("access", 2, "locked-account", [day["locked-again"], day["locked"]]),
                     ("access", 1, "sso-setup", [day["saml"]]),
                     ("billing", 1, "invoice-download", [day["refund"]])]
    assert all(0 < e["best_score"] <= 1 for g in gaps["cases_despite_suggestions"] for e in g["examples"])
    review = [(a["id"], a["dismissed"], a["not_helpful"], a["opened_before_case"], a["reasons"])
              for a in gaps["articles_to_review"]]
    assert review == [("locked-account", 0, 1, 1, ["It does not say how to unlock it myself"]),
                      ("expired-password", 0, 1, 0, ["The screenshots are outdated"]),
                      ("invoice-download", 1, 0, 0, []), ("sso-setup", 1, 0, 0, [])]
    assert json.loads(report(runner, "gaps", "--format", "json", "--limit", "1"))["no_results"][0]["searches"] == 2


def test_what_each_article_does(runner, day):
    articles = {a["id"]: a for a in json.loads(report(runner, "articles", "--format", "json"))["articles"]}
    assert set(articles) == {"locked-account", "expired-password", "invoice-download", "sso-setup"}
    assert articles["locked-account"] == {
        "id": "locked-account", "title": 'Sign-in fails with "Your account is locked"', "shown": 4,
        "clicked": 4, "helpful": 1, "not_helpful": 1, "dismissed": 0, "deflected": 2, "cases_after_view": 1,
        "linked_cases": 1, "deflection_rate": 0.5}
    counts = ("shown", "clicked", "helpful", "not_helpful", "dismissed", "deflected", "cases_after_view",
              "linked_cases")
    assert [articles["expired-password"][k] for k in counts] == [2, 0, 0, 1, 0, 0, 0, 0]
    assert [articles["invoice-download"][k] for k in counts] == [1, 1, 0, 0, 1, 0, 0, 0]
    assert [articles["sso-setup"][k] for k in counts] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert articles["sso-setup"]["deflection_rate"] == 0.0


def test_the_tables_for_people(runner, day):
    tables = {name: report(runner, *args) for name, args in
              (("funnel", ()), ("gaps", ("gaps",)), ("articles", ("articles",)))}
    assert "link%" in tables["funnel"] and "50.0%" in tables["funnel"]
    assert "Searches with no results: 3" in tables["gaps"] and "Refunds zorblatt" in tables["gaps"]
    assert re.search(r"locked-account\s+4\s+4\s+1\s+1\s+0\s+2\s+1\s+1\s+50.0%", tables["articles"])
    SUMMARY.append("kbsearch report after the scripted knowledge-loop day (tests/knowledge_loop.py):\n"
                   + "\n\n".join(f"$ kbsearch report {'' if n == 'funnel' else n}\n{t}" for n, t in tables.items()))


def test_the_html_page_is_self_contained(runner, day):
    page = report(runner, "gaps", "--format", "html")
    assert page.startswith("<!doctype html>") and page.count("<svg") == 2 and "<style>" in page
    assert "<script" not in page and "<link" not in page and "<img" not in page and "@import" not in page
    for attribute, url in re.findall(r'\b(src|href)="([^"]*)"', page):
        assert attribute == "href" and re.fullmatch(r"/articles/[\w.~-]+", url), url
    assert "Refunds zorblatt" in page and "The screenshots are outdated" in page and "ada@example.com" not in page
    assert report(runner, "--format", "html").count("<svg") == 2  # the same page from any report


def test_html_links_go_to_the_public_address(app, runner, day):
    app.config["PUBLIC_URL"] = "https://support.example.com/"
    page = report(runner, "articles", "--format", "html")
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert urls and all(u.startswith("https://support.example.com/articles/") for u in urls)


def test_text_from_the_store_is_escaped_in_the_page(app, client, runner):
    client.get("/", query_string={"q": '<script>alert(1)</script> "zorblatt"'})
    page = report(runner, "gaps", "--format", "html")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_queries_group_by_stems_whatever_their_case_and_order():
    assert groups.query_key("Reset passwords") == groups.query_key("password RESET") == groups.query_key("resetting password")
    assert groups.query_key("the") == "the" and groups.query_key("Locked account") != groups.query_key("locked invoice")


def test_similar_case_texts_group_with_the_models_vectors(app, index_dir):
    [build_path] = [p for p in builds_dir(index_dir).iterdir() if p.is_dir()]
    ranker = load(build_path).ranker
    texts = ["My account is locked after wrong passwords", "SAML single sign-on metadata upload fails",
             "Locked account: too many wrong passwords", "zzzz qqqq", "Where do I download my invoice PDF?"]
    assert groups.group(ranker, texts) == [[0, 2], [1], [3], [4]]
    best = groups.best_articles(ranker, texts)
    assert best[0][0] == "locked-account" and best[1][0] == "sso-setup" and best[3] == (None, 0.0)
    assert best[4][0] == "invoice-download"


def test_without_an_index_the_reports_still_run(runner, day, index_dir):
    shutil.rmtree(index_dir)
    result = runner.invoke(args=["report", "gaps", "--format", "json"])
    assert result.exit_code == 0 and "run `kbsearch reindex`" in result.stderr
    gaps = json.loads(result.stdout)
    assert [(g["category"], g["cases"], g["best_score"]) for g in gaps["cases_despite_suggestions"]] == [
        ("access", 3, None), ("billing", 1, None)]
    assert runner.invoke(args=["report", "--format", "html"]).exit_code == 0
