"""Our analysis gives exactly the stems of Whoosh's StemmingAnalyzer, which parses Whoosh queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbsearch.corpus import text

DATA = Path(__file__).parent / "data" / "articles"

TRICKY = [
    "Sign-in fails: ACCOUNT LOCKED after 5 wrong passwords!",
    "Open C:\\Program Files\\app.exe or config.yaml; v2.7.5 and e.g. www.example.com",
    "char* pointer, **bold** text, a* wildcard, _private_ and snake_case_name",
    "İstanbul ÖL straße ǅemal ﬁle — naïve café, 東京 データ",
    "a I x 42 7z no not cannot off on up 'quoted' \"double\"",
    "",
]


def whoosh_stems(value: str) -> list[str]:
    return [token.text for token in text.ANALYZER(value)]


@pytest.mark.parametrize("value", TRICKY)
def test_analyze_gives_whooshs_stems(value):
    assert text.analyze(value) == whoosh_stems(value)
    assert text.analyze_words(value) == [(t.text, t.original.lower())
                                         for t in text.ANALYZER(value, keeporiginal=True)]


def test_analyze_gives_whooshs_stems_on_every_sample_article():
    files = sorted(DATA.rglob("*.md"))
    assert files
    for path in files:
        value = path.read_text(encoding="utf-8")
        assert text.analyze(value) == whoosh_stems(value), path.name


def test_the_stem_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(text, "_MAX_STEMS", 3)
    monkeypatch.setattr(text, "_STEMS", {})
    assert text.analyze("locking locked locks lockers account accounts") == ["lock", "lock", "lock", "locker",
                                                                             "account", "account"]
    assert len(text._STEMS) <= 3
