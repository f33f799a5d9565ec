"""Words as both engines see them: tokenised, lower-cased, stop words out, stemmed.

The full-text index and the TF-IDF model share this analysis so a word matches the same
way on the search page and in the suggestions panel ("locked" finds "lock").
"""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from whoosh.analysis import StemmingAnalyzer

# Whoosh's own stop list is 36 words; words like "my", "get" or "says" then decide rankings.
# scikit-learn's 318 words go too far for support texts: they drop negations, particles that
# change a verb ("log out", "back up", "sign off"), numbers and nouns like "bill", "system",
# "computer" or "fire". Those are kept. (Measured: README, "Relevance".)
KEPT_WORDS = frozenset({
    "not", "no", "nor", "cannot", "never", "none", "nothing", "without",
    "up", "down", "off", "out", "on", "over", "back", "again", "once", "still", "already", "always",
    "empty", "full", "first", "last", "next", "new", "top", "bottom", "front", "side", "part", "whole",
    "right", "left", "open", "own", "well", "less", "more", "most", "few", "many", "several", "together",
    "find", "found", "show", "move", "fill", "fire", "call", "give", "go", "keep", "put", "see", "take",
    "made", "name", "describe", "detail", "system", "computer", "bill", "interest", "amount", "per",
    "one", "two", "three", "four", "five", "six", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "forty", "fifty", "sixty", "hundred", "twice", "thick", "thin", "mill", "inc", "co", "con", "de",
    "anything", "something", "everything", "hence",
})
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) - KEPT_WORDS
_ANALYZER = StemmingAnalyzer(stoplist=STOP_WORDS)


def analyze(text: str) -> list[str]:
    """The stems of ``text``, in order."""
    return [token.text for token in _ANALYZER(text)]


def analyze_words(text: str) -> list[tuple[str, str]]:
    """Each stem of ``text`` with the lower-cased word it came from, in order (one pass for both)."""
    return [(token.text, token.original.lower()) for token in _ANALYZER(text, keeporiginal=True)]
