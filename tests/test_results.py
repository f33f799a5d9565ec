"""Search-page snippets: the passages with the most query words, escaped, words marked."""

from __future__ import annotations

from conftest import DATA

from kbsearch.ranking.snippets import snippet


def test_the_passage_with_most_query_words_is_chosen_and_marked():
    body = ("Billing is under Admin. " * 20 + "To unlock an account, an administrator opens Users > Locked "
            "accounts and chooses Unlock. " + "Other text follows here. " * 20)
    text = snippet(body, ["unlock", "account", "administr"])
    assert "<mark>administrator</mark>" in text and "<mark>unlock</mark>" in text
    assert "Users &gt; Locked" in text and text.startswith("…") and text.endswith("…")
    assert len(text) < 400


def test_snippets_stay_within_two_lines_and_never_run_a_heading_into_the_text():
    body = "Symptoms\nThe invoice total is wrong " + "and more words follow " * 30 + "\nCause\nA refund is pending."
    text = snippet(body, ["invoic", "refund", "on"], {"invoic", "refund", "on"})
    assert "Symptoms" not in text and "Cause" not in text
    assert len(text.replace("<mark>", "").replace("</mark>", "")) <= 2 * 120


def test_stop_words_and_other_words_sharing_a_prefix_are_not_marked():
    text = snippet("Only one person is on the invoice.", ["on", "invoic"], {"on", "invoic"})
    assert "<mark>Only</mark>" not in text and "<mark>one</mark>" not in text
    assert "<mark>on</mark>" in text and "<mark>invoice</mark>" in text


def test_no_match_gives_nothing_and_markup_in_text_is_escaped():
    assert snippet("Nothing relevant here.", ["invoice"]) == ""
    assert snippet("", ["invoice"]) == ""
    marked = snippet("<script>alert(1)</script> invoice", ["invoic"])
    assert "<script>" not in marked and "&lt;script&gt;" in marked and "<mark>invoice</mark>" in marked


def test_two_separate_passages_when_words_are_far_apart():
    body = "invoice " + "filler " * 200 + "refund " + "filler " * 200
    text = snippet(body, ["invoice", "refund"])
    assert text.count("<mark>") == 2 and " …" in text


def test_the_pages_of_a_query_hold_every_result_once(tmp_path):
    from kbsearch.index import layout, opened
    from kbsearch.index.reindex import build
    from kbsearch.ranking.results import search_page

    (tmp_path / "kb").mkdir()
    for i in range(50):  # 40 alike, 10 each a little different
        extra = f" Tray {i} feeds paper{' slowly' * (i % 3)}." if i % 5 == 0 else ""
        (tmp_path / "kb" / f"a{i:02d}.md").write_text(f"# Printer jams\n\nThe printer jams on page two.{extra}\n")
    build(tmp_path / "kb", tmp_path / "index")
    served = opened.load(layout.current_build(tmp_path / "index"))
    pages = [search_page(served, "printer jams", page=p, per_page=10) for p in range(1, 6)]
    ids = [c.id for p in pages for c in p.results]
    assert pages[0].total == 50 and len(ids) == 50 and len(set(ids)) == 50


def test_page_rows_with_many_equal_scores():
    import numpy as np

    from kbsearch.ranking.results import page_rows

    rng = np.random.default_rng(0)
    scores = np.array([1.0] * 40 + list(rng.random(10) * 2), dtype=np.float32)
    rng.shuffle(scores)
    rows = [r for page in range(1, 6) for r in page_rows(np.arange(50), scores, page, 10)]
    assert sorted(rows) == list(range(50))
    assert all(scores[a] > scores[b] or (scores[a] == scores[b] and a < b) for a, b in zip(rows, rows[1:]))


def test_did_you_mean_is_skipped_once_the_request_spent_its_budget(tmp_path, monkeypatch):
    from kbsearch.index import layout, opened
    from kbsearch.index.reindex import build
    from kbsearch.ranking import results

    build(DATA, tmp_path / "index", audience="public")
    served = opened.load(layout.current_build(tmp_path / "index"))
    assert results.search_page(served, "pasword").suggestion == "password"
    monkeypatch.setattr(results, "OPTIONAL_SECONDS", 0.0)
    assert results.search_page(served, "pasword").suggestion is None
