"""``text`` defines the stems; Whoosh's analyzer (``fulltext.StemTokenizer``) must give exactly the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.analysis import Token
from whoosh.fields import TEXT
from whoosh.qparser import QueryParser

from kbsearch.corpus import text
from kbsearch.index.fulltext import StemTokenizer, encoded, make_schema

DATA = Path(__file__).parent / "data" / "articles"

TRICKY = [
    "Sign-in fails: ACCOUNT LOCKED after 5 wrong passwords!",
    "Open C:\\Program Files\\app.exe or config.yaml; v2.7.5 and e.g. www.example.com",
    "char* pointer, **bold** text, a* wildcard, _private_ and snake_case_name",
    "İstanbul ÖL straße ǅemal ﬁle — naïve café, 東京 データ",
    "a I x 42 7z no not cannot off on up 'quoted' \"double\"",
    "",
]


def whoosh_tokens(value: str, **kwargs) -> list[Token]:
    """What Whoosh's analyzer of our text fields yields (copied: it reuses one token)."""
    return [token.copy() for token in make_schema()["text"].analyzer(value, **kwargs)]


@pytest.mark.parametrize("value", TRICKY)
def test_whooshs_analyzer_gives_our_stems(value):
    tokens = whoosh_tokens(value, positions=True, chars=True, keeporiginal=True)
    assert [t.text for t in tokens] == text.analyze(value)
    assert [(t.text, t.original.lower()) for t in tokens] == text.analyze_words(value)
    assert [(t.text, t.original.lower(), t.startchar, t.endchar) for t in tokens] == text.analyze_spans(value)
    assert [value[t.startchar:t.endchar] for t in tokens] == [t.original for t in tokens]
    assert [t.pos for t in tokens] == list(range(len(tokens)))
    assert all(t.boost == 1.0 and not t.stopped for t in tokens)


def test_whooshs_analyzer_gives_our_stems_on_every_sample_article():
    files = sorted(DATA.rglob("*.md"))
    assert files
    for path in files:
        value = path.read_text(encoding="utf-8")
        stems = text.analyze(value)
        assert stems, path.name
        assert [t.text for t in whoosh_tokens(value)] == stems, path.name
        assert [stem for stem, _ in text.analyze_words(value)] == stems, path.name


def test_positions_and_offsets_start_where_whoosh_asks():
    tokens = whoosh_tokens("the locked accounts", positions=True, chars=True, start_pos=5, start_char=100)
    assert [(t.text, t.pos, t.startchar, t.endchar) for t in tokens] == [("lock", 5, 104, 110),
                                                                          ("account", 6, 111, 119)]


def test_stop_words_and_one_letter_words_are_dropped():
    assert text.analyze("I am a user of the x app and it is not working") == ["user", "app", "not", "work"]
    assert [t.text for t in whoosh_tokens("The A of x")] == []
    assert "the" in text.STOP_WORDS and "not" not in text.STOP_WORDS


@pytest.mark.parametrize("word, stem", [("settings", "set"), ("locked", "lock"), ("locking", "lock"),
                                        ("committed", "commit"), ("accounts", "account"), ("passwords", "password")])
def test_known_stems(word, stem):
    assert text.analyze(word) == [stem]
    assert text.analyze(word.upper()) == [stem]


@pytest.mark.parametrize("algorithm", ["porter", "english"])
def test_settings_stems_to_set_with_either_snowball_algorithm(algorithm):
    import Stemmer

    assert Stemmer.Stemmer(algorithm).stemWords(["settings", "locked"]) == ["set", "lock"]


def test_whoosh_parses_queries_with_our_stems():
    parsed = QueryParser("text", make_schema()).parse("Locked SETTINGS the title:committed")
    assert {(term.fieldname, term.text) for term in parsed.subqueries} == {("text", "lock"), ("text", "set"),
                                                                           ("title", "commit")}


def test_a_range_querys_ends_are_stemmed_whole():
    assert [t.text for t in StemTokenizer()("Settings", tokenize=False)] == ["set"]
    assert list(StemTokenizer()("", tokenize=False)) == []


def test_the_analyzer_survives_the_schema_being_pickled():
    import pickle

    field = pickle.loads(pickle.dumps(make_schema()))["title"]
    assert isinstance(field, TEXT) and field.analyzer == StemTokenizer()
    assert list(field.process_text("Locked accounts")) == ["lock", "account"]


def test_the_stem_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(text, "_MAX_STEMS", 3)
    monkeypatch.setattr(text, "_STEMS", {})
    assert text.analyze("locking locked locks lockers account accounts") == ["lock", "lock", "lock", "locker",
                                                                             "account", "account"]
    assert len(text._STEMS) <= 3
    long_word = "x" * (text._MAX_CACHED + 1)
    assert text.analyze(long_word) == [long_word]
    assert long_word not in text._STEMS


def test_positions_count_kept_words_and_put_a_code_at_its_first_word():
    assert text.positions(["Error SH-PWD-211 on reset", "Reset it"], gap=100) == {
        "error": [0], "sh-pwd-211": [1], "sh": [1], "pwd": [2], "211": [3], "on": [4], "reset": [5, 106]}


@pytest.mark.parametrize("positions", [[0], [7], [1, 2], [3, 40, 41, 500], list(range(0, 3000, 7))])
def test_positions_are_encoded_as_whoosh_encodes_them(positions):
    assert encoded(positions) == make_schema()["text"].format.encode(positions) == encoded(list(positions))
