"""Search-page snippets: the passages with the most query words, escaped, words marked."""

from __future__ import annotations

from kbsearch.results import snippet


def test_the_passage_with_most_query_words_is_chosen_and_marked():
    body = ("Billing is under Admin. " * 20 + "To unlock an account, an administrator opens Users > Locked "
            "accounts and chooses Unlock. " + "Other text follows here. " * 20)
    text = snippet(body, ["unlock", "account", "administr"])
    assert "<mark>administrator</mark>" in text and "<mark>Unlock</mark>" in text
    assert "Users &gt; Locked" in text and text.startswith("…") and text.endswith("…")
    assert len(text) < 400


def test_no_match_gives_nothing_and_markup_in_text_is_escaped():
    assert snippet("Nothing relevant here.", ["invoice"]) == ""
    assert snippet("", ["invoice"]) == ""
    marked = snippet("<script>alert(1)</script> invoice", ["invoic"])
    assert "<script>" not in marked and "&lt;script&gt;" in marked and "<mark>invoice</mark>" in marked


def test_two_separate_passages_when_words_are_far_apart():
    body = "invoice " + "filler " * 200 + "refund " + "filler " * 200
    text = snippet(body, ["invoice", "refund"])
    assert text.count("<mark>") == 2 and " …" in text
