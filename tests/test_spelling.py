"""Did-you-mean corrections come only from the served articles' words, quickly."""

from __future__ import annotations

from kbsearch.corpus.text import stem
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


def brute_force(word: str, vocabulary: dict[str, int], max_edits: int = 2) -> str | None:
    """The correction as it was first written: every one- and two-edit string, looked up."""
    letters = "abcdefghijklmnopqrstuvwxyz"

    def edits(w: str) -> set[str]:
        splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
        return ({a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
                | {a + c + b[1:] for a, b in splits if b for c in letters} | {a + c + b for a, b in splits for c in letters})

    word = word.lower()
    if word in vocabulary or not 3 <= len(word) <= MAX_WORD or not word.isalpha():
        return None
    if stem(word) in {stem(w) for w in vocabulary}:  # known by its stem: no typo
        return None
    near = edits(word)
    known = [w for w in near if w in vocabulary]
    if not known and max_edits >= 2 and 5 <= len(word) <= MAX_TWO_EDITS:
        known = [w2 for w1 in near for w2 in edits(w1) if w2 in vocabulary]
    return max(known, key=lambda w: (vocabulary[w], w)) if known else None


def test_the_deletion_index_corrects_exactly_as_trying_every_edit_did():
    import random
    from pathlib import Path

    from kbsearch.corpus.loader import load_folder
    from kbsearch.corpus.taxonomy import load_taxonomy

    sample = Path(__file__).resolve().parent.parent / "articles"
    loaded = load_folder(sample, load_taxonomy(sample))
    vocabulary = {w: n for w, n in build_vocabulary(words.spelling() for words in loaded.words).items() if w.isascii()}
    rng = random.Random(7)
    known = sorted(vocabulary)
    letters = "abcdefghijklmnopqrstuvwxyz"
    typed = []
    for _ in range(400):
        word = list(rng.choice(known))
        for _ in range(rng.choice((1, 2))):
            at = rng.randrange(len(word))
            change = rng.choice(("drop", "add", "swap", "replace"))
            if change == "drop" and len(word) > 3:
                del word[at]
            elif change == "add":
                word.insert(at, rng.choice(letters))
            elif change == "swap" and at + 1 < len(word):
                word[at], word[at + 1] = word[at + 1], word[at]
            else:
                word[at] = rng.choice(letters)
        typed.append("".join(word))
    for word in typed:
        for max_edits in (1, 2):
            assert correct(word, vocabulary, max_edits) == brute_force(word, vocabulary, max_edits), (word, max_edits)
    assert sum(correct(w, vocabulary) is not None for w in typed) > 200  # most typos find their word


def test_a_word_known_by_its_stem_is_never_corrected():
    """"storing" is rarer than the spelling vocabulary's cut, but "stored" shares its stem: no typo for "string"."""
    vocabulary = {"string": 5, "strings": 3, "stored": 2, "password": 9}
    assert correct("storing", vocabulary) is None
    assert suggest_text("storing strings", vocabulary) is None
    assert correct("pasword", vocabulary) == "password"
