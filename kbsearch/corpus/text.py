"""Words as both engines see them: tokenised, lower-cased, stop words out, stemmed.

The full-text index and the TF-IDF model share this analysis so a word matches the same
way on the search page and in the suggestions panel ("locked" finds "lock").

Whoosh parses queries with ``ANALYZER``; everything else calls ``analyze``, which gives the
same stems (tests compare them) a few times faster: one regular expression pass and a
dictionary of stems already computed, instead of a chain of generators and a token object
per word. A reindex analyses millions of words, so this is most of its time.
"""

from __future__ import annotations

import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from whoosh.analysis import StemmingAnalyzer
from whoosh.lang.porter import stem

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
ANALYZER = StemmingAnalyzer(stoplist=STOP_WORDS)

# StemmingAnalyzer's steps, inlined: Whoosh's default token pattern (words may hold "*" and
# inner dots, as in "file.txt"), lower case, words of two letters or more, then Porter stems.
_TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")
_MIN_LENGTH = 2
_STEMS: dict[str, str] = {}
# customers' words pass through here too: the cache is bounded in entries and in word length
_MAX_STEMS = 100_000
_MAX_CACHED = 40


def _words(text: str) -> list[str]:
    """Lower-cased tokens of ``text``, as Whoosh cuts them (cut first, then lower-cased)."""
    if text.isascii():  # lower-casing ASCII never changes where a token ends
        return _TOKEN.findall(text.lower())
    return [word.lower() for word in _TOKEN.findall(text)]


def _stem(word: str) -> str:
    stemmed = _STEMS.get(word)
    if stemmed is None:
        stemmed = stem(word)
        if len(word) <= _MAX_CACHED:
            if len(_STEMS) >= _MAX_STEMS:
                _STEMS.clear()
            _STEMS[word] = stemmed
    return stemmed


def _kept(text: str) -> list[str]:
    """The lower-cased words of ``text`` that are not dropped (too short, or stop words)."""
    return [word for word in _words(text) if len(word) >= _MIN_LENGTH and word not in STOP_WORDS]


def analyze(text: str) -> list[str]:
    """The stems of ``text``, in order."""
    return [_stem(word) for word in _kept(text)]


def analyze_words(text: str) -> list[tuple[str, str]]:
    """Each stem of ``text`` with the lower-cased word it came from, in order (one pass for both)."""
    return [(_stem(word), word) for word in _kept(text)]
