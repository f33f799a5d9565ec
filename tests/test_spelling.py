"""Did-you-mean corrections come only from the served articles' words, quickly."""

from __future__ import annotations

from kbsearch.corpus.words import spelling_words
from kbsearch.ranking.spelling import (
    MAX_TWO_EDITS,
    MAX_WORD,
    build_vocabulary,
    correct,
    suggest_text,
)

VOCABULARY = build_vocabulary(spelling_words(title, text) for title, text in [
    ("Password expired", "Choose a new password on the reset page."),
    ("Invoices", "Download the invoice as a PDF from the billing page."),
    ("Configuration", "The configuration page lists every setting and the invoice address."),
])


def test_rare_words_are_left_out_unless_a_title_uses_them():
    assert {"password", "invoice", "page", "configuration", "invoices", "expired"} <= set(VOCABULARY)
    assert "download" not in VOCABULARY  # in one body only: as likely a typo as a word


def test_one_and_two_edits_are_corrected():
    assert correct("pasword", VOCABULARY) == "password"
    assert correct("invocie", VOCABULARY) == "invoice"
    assert correct("configuraton", VOCABULARY) == "configuration"
    assert correct("pssword", VOCABULARY) == "password"


def test_known_words_and_non_words_are_left_alone():
    assert correct("password", VOCABULARY) is None
    assert correct("404", VOCABULARY) is None
    assert suggest_text("password page", VOCABULARY) is None
    assert suggest_text("pasword reset pgae", VOCABULARY) == "password reset page"


def test_overlong_words_are_not_searched_for_corrections():
    # Two edits of an n-letter word is ~(54n)^2 candidates: a pasted token must not be tried.
    assert correct("pa" + "s" * (MAX_WORD - 1) + "word", VOCABULARY) is None
    assert correct("x" * 1000, VOCABULARY) is None
    assert len("configurationxx") > MAX_TWO_EDITS
    assert correct("configurationxx", VOCABULARY) is None  # two edits away, too long to try


def test_suggestion_snippets_never_mark_inside_an_escaped_character():
    from kbsearch.ranking.snippets import highlight

    marked = highlight('Use <b> & "quotes" for amplifiers', ["lt", "amp", "quot"])
    assert marked == 'Use &lt;b&gt; &amp; &quot;<mark>quotes</mark>&quot; for <mark>amplifiers</mark>'
