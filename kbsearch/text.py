"""Words as both engines see them: tokenised, lower-cased, stop words out, stemmed.

The full-text index and the TF-IDF model share this analysis so a word matches the same
way on the search page and in the suggestions panel ("locked" finds "lock").
"""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from whoosh.analysis import StemmingAnalyzer

# Whoosh's own stop list is 36 words; words like "my", "get" or "says" then decide rankings.
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)
_ANALYZER = StemmingAnalyzer(stoplist=STOP_WORDS)


def analyze(text: str) -> list[str]:
    """The stems of ``text``, in order."""
    return [token.text for token in _ANALYZER(text)]


def stems_by_word(text: str) -> dict[str, str]:
    """Each stem of ``text`` mapped to the first word it came from, for showing matches."""
    out: dict[str, str] = {}
    for token in _ANALYZER(text, keeporiginal=True):
        out.setdefault(token.text, token.original.lower())
    return out
