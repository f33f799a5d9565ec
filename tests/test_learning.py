"""Learning from solved cases: a reindex reads the cases solved by an article, and their words find it.

Everything goes through the real parts: cases are opened through the public API (or the store),
solved with ``kbsearch cases set-status --article``, learned by ``kbsearch reindex``; the answers
are read from the served endpoints. A learned word may raise a score, never come back in an answer.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from kbsearch.cases import conversation, store
from kbsearch.cases.learning import solved_cases
from kbsearch.commands.reindex import learned_cases
from kbsearch.index import layout, opened
from kbsearch.index.reindex import build
from kbsearch.ranking import learned as learning
from kbsearch.ranking.learned import Case, Learned

# "zorblaxing" is in no article: only a case says it; requests use other forms of the same stem
CASE = {"subject": "The zorblaxing kiosk keeps refusing me", "category": "access", "subcategory": "passwords",
        "description": "Every morning the zorblaxing kiosk at reception says no.", "name": "Ada",
        "email": "ada@example.com"}
SECRET_WORD = "zorblaxing"


def solve(client, runner, article: str, **changes) -> str:
    """Open a case through the public API and solve it with ``kbsearch cases set-status --article``."""
    response = client.post("/api/cases", json={**CASE, **changes})
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["number"]
    result = runner.invoke(args=["cases", "set-status", number, "solved", "--article", article])
    assert result.exit_code == 0, result.output
    return number


def reindex(runner, *options: str) -> str:
    result = runner.invoke(args=["reindex", *options])
    assert result.exit_code == 0, result.output
    return result.output


def suggested(client, subject: str, description: str = "") -> tuple[list[dict], str]:
    response = client.post("/api/suggest", json={"subject": subject, "description": description})
    assert response.status_code == 200
    return response.get_json()["suggestions"], response.get_data(as_text=True)


def test_a_solved_case_finds_its_article_after_the_next_reindex(client, runner):
    assert not [s for s in suggested(client, "zorblax")[0] if s["id"] == "locked-account"]
    solve(client, runner, "locked-account")
    assert not [s for s in suggested(client, "zorblax")[0] if s["id"] == "locked-account"]  # not before the reindex
    assert "learned from 1 solved case(s) linked to 1 article(s)" in reindex(runner)
    found, _ = suggested(client, "zorblax kiosk")
    assert found[0]["id"] == "locked-account"
    assert found[0]["matched"] == {"subject": [], "description": []}  # its own words only: none here


def test_a_word_only_a_case_contains_never_comes_back(client, runner):
    solve(client, runner, "locked-account")
    reindex(runner)
    answers = []
    for subject, description in [("zorblax kiosk", ""), ("zorbla", ""), ("zorblaxi", ""), ("", "the zorbl"),
                                 ("zorblxing kiosk", ""), ("account locked", "the zorblax kiosk says no")]:
        found, text = suggested(client, subject, description)
        answers.append(text)
        for suggestion in found:
            assert SECRET_WORD not in json.dumps(suggestion["matched"]) and "zorblax" not in suggestion["snippet"]
    found, _ = suggested(client, "account locked", "the zorblax kiosk says no")
    assert found[0]["matched"]["description"] == [] and "locked" in found[0]["matched"]["subject"]
    for q in ("zorblax", "zorblaxin", "zorblxing", "zorbla", "locked zorblax kiosk", "zorblaxes"):
        search = client.get("/api/search", query_string={"q": q})
        assert search.status_code == 200
        answers.append(search.get_data(as_text=True))
        page = client.get("/", query_string={"q": q})
        assert page.status_code in (200, 404)
        answers.append(page.get_data(as_text=True))
    for text in answers:
        assert SECRET_WORD not in text.lower()
        assert "kiosk at reception" not in text.lower()


def test_did_you_mean_and_completions_never_offer_a_case_word(client, runner):
    solve(client, runner, "locked-account")
    reindex(runner)
    search = client.get("/api/search", query_string={"q": "zorblaxng"}).get_json()
    assert search["suggestion"] is None or "zorblax" not in search["suggestion"]
    with client.application.app_context():
        from kbsearch.web import current
        served = current.get_build()
        assert served.learned is not None and len(served.learned) == 1
        assert not served.ranker.complete("zorbl") and not served.ranker.knows("zorblax")
        assert not any(w.startswith("zorbl") for w in served.vocabulary)


def test_the_search_page_raises_only_articles_its_words_already_found(client, runner):
    solve(client, runner, "locked-account")
    reindex(runner)
    assert client.get("/api/search", query_string={"q": "zorblax kiosk"}).get_json()["total"] == 0
    with client.application.app_context():
        from kbsearch.ranking.results import search_page
        from kbsearch.web import current
        served = current.get_build()
        page = search_page(served, "password kiosk zorblax")
        plain = search_page(dataclasses.replace(served, learned=None), "password kiosk zorblax")
    assert {r.id for r in page.results} == {r.id for r in plain.results}  # the same articles, maybe reordered
    ours = {r.id: r.score for r in page.results}
    assert all(ours[r.id] >= r.score for r in plain.results)


def test_no_learn_learns_nothing(client, runner):
    solve(client, runner, "locked-account")
    output = reindex(runner, "--no-learn")
    assert "learned from" not in output
    assert not [s for s in suggested(client, "zorblax kiosk")[0] if s["id"] == "locked-account"]


def test_incremental_picks_up_a_new_link(client, runner):
    reindex(runner)
    assert not [s for s in suggested(client, "zorblax kiosk")[0] if s["id"] == "locked-account"]
    solve(client, runner, "locked-account")
    assert "incremental build" in reindex(runner, "--incremental")
    assert suggested(client, "zorblax kiosk")[0][0]["id"] == "locked-account"


def test_cases_of_an_article_the_audience_may_not_see_teach_nothing(kb, tmp_path, database):
    created = store.create_case(database, store.CaseInput(
        "zorblaxing tenant", "access", "", "the zorblaxing tenant is locked", "Ada", "ada@example.com"), tmp_path)
    change = conversation.read_change({"status": "solved", "solved_by": "internal-unlock"}, {"internal-unlock"})
    conversation.update_case(database, created.number, change)
    cases = [Case(*row) for row in solved_cases(database, learning.PER_ARTICLE)]
    assert cases == [Case("internal-unlock", "zorblaxing tenant", "the zorblaxing tenant is locked")]
    for audience, taught in (("customer", 0), ("internal", 1)):
        report = build(kb, tmp_path / audience, audience=audience, cases=cases)
        folder = layout.builds_dir(tmp_path / audience) / report.build_id
        assert len(opened.load(folder).learned) == taught
        saved = (folder / f"{layout.LEARNED}.json").read_text(encoding="utf-8")
        assert (SECRET_WORD[:7] in saved) == bool(taught)  # the customer's build holds not even the word


def test_the_most_recent_cases_per_article_are_read_only_when_solved_and_linked(tmp_path, database):
    def case(subject: str, status: str, article: str | None, updated: str) -> None:
        created = store.create_case(database, store.CaseInput(subject, "access", "", "details", "Ada",
                                                              "ada@example.com"), tmp_path)
        database.execute("update cases set status = ?, solved_by = ?, updated = ? where number = ?",
                         [status, article, updated, created.number])

    for k in range(4):
        case(f"old {k}", "solved", "a", f"2026-01-0{k + 1}T00:00:00Z")
    case("open one", "open", "a", "2026-02-01T00:00:00Z")
    case("unlinked", "solved", None, "2026-02-01T00:00:00Z")
    case("closed b", "closed", "b", "2026-02-01T00:00:00Z")
    assert solved_cases(database, 2) == [("a", "old 3", "details"), ("a", "old 2", "details"),
                                         ("b", "closed b", "details")]
    assert [row[1] for row in solved_cases(database, 2, {"b"})] == ["closed b"]


def test_learned_cases_needs_no_database(tmp_path):
    assert learned_cases(tmp_path / "none.sqlite") is None
    assert not (tmp_path / "none.sqlite").exists()


def test_the_measured_configuration():
    """Chosen with ``kbsearch evaluate --learn-half`` on the three dev splits (README): change them only with new figures."""
    assert learning.THRESHOLD == pytest.approx(0.2)
    assert learning.SUPPORT == 2
    assert learning.WEIGHT == pytest.approx(2.0)
    assert learning.PER_ARTICLE == 10


def test_one_resembling_case_speaks_only_where_no_article_does():
    cases = [Case("a", "printer drum squeaks loudly", ""), Case("b", "drum squeaks", "when printing"),
             Case("b", "squeaky drum noise", "printer drum squeaks")]
    learned = Learned().fit(cases, {"a", "b"}).bind({"a": 0, "b": 1})
    silent_articles = np.zeros(2)
    speaking = np.array([0.1, 0.05])
    alone = learned.scores(["drum", "squeak"], 2, silent_articles)
    assert alone is not None and alone[0] > 0 and alone[1] > 0
    gained = learned.scores(["drum", "squeak"], 2, speaking)
    assert gained is not None and gained[0] == 0 and gained[1] > 0  # "a" has one case only, "b" two agreeing
    assert gained[1] == pytest.approx(alone[1])
    assert learned.scores(["invoice"], 2, speaking) is None
    assert Learned().fit(cases, {"a"}).articles_ == ["a"]  # an article not served teaches nothing


def test_what_is_learned_is_saved_as_data(tmp_path):
    learned = Learned().fit([Case("a", "printer drum squeaks", "")], {"a"})
    learned.save(tmp_path / "learned")
    again = Learned.load(tmp_path / "learned").bind({"a": 3})
    assert again.terms_ == learned.terms_ and again.articles_ == ["a"]
    assert again.scores(["drum", "squeak", "printer"], 4)[3] == pytest.approx(learning.WEIGHT, rel=1e-3)
    assert Learned.load(tmp_path / "absent") is None
    with np.load(tmp_path / "learned.npz", allow_pickle=False) as arrays:
        assert set(arrays.files) == {"idf", "data", "indices", "indptr", "shape"}
