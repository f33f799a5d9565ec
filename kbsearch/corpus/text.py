"""Words as both engines see them: tokenised, lower-cased, stop words out, stemmed.

The full-text index and the TF-IDF model share this analysis so a word matches the same
way on the search page and in the suggestions panel ("locked" finds "lock"). This module
defines the stems: Whoosh parses queries with an analyzer built on ``analyze_spans``
(``kbsearch.index.fulltext``), so it cannot stem differently.

Stems come from PyStemmer (Snowball, in C), not Whoosh's pure-Python Porter stemmer, which
has bugs ("settings" -> "sett", "committed" -> "committ"). A reindex analyses millions of
words, so this is most of its time: one regular expression pass and a dictionary of stems
already computed, with no generator chain nor token object per word.
"""

from __future__ import annotations

import re

import Stemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

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

# Snowball's "english" (Porter2) rather than its "porter" (the original algorithm): on the three
# benchmarks of ``kbsearch evaluate`` it is better on two and level on the third. Changing it
# changes every stem: bump reindex.LOADER_VERSION.
ALGORITHM = "english"
# PyStemmer's own cache is off: a dictionary looked up here first is faster (no call, no
# UTF-8 encoding per word). The C call holds the GIL throughout, so threads may share it.
_STEM_WORD = Stemmer.Stemmer(ALGORITHM, 0).stemWord

# Whoosh's default token pattern (words may hold "*" and inner dots, as in "file.txt"), so
# words are cut as they were when Whoosh analysed them. Words of two letters or more.
_TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")
_MIN_LENGTH = 2
_STEMS: dict[str, str] = {}
# customers' words pass through here too: the cache is bounded in entries and in word length
_MAX_STEMS = 100_000
_MAX_CACHED = 40


def _words(text: str) -> list[str]:
    """Lower-cased tokens of ``text``, cut first, then lower-cased."""
    if text.isascii():  # lower-casing ASCII never changes where a token ends
        return _TOKEN.findall(text.lower())
    return [word.lower() for word in _TOKEN.findall(text)]


def _stem(word: str) -> str:
    """Stem a word missing from the cache, and remember it."""
    stemmed = _STEM_WORD(word)
    if len(word) <= _MAX_CACHED:
        if len(_STEMS) >= _MAX_STEMS:
            _STEMS.clear()
        _STEMS[word] = stemmed
    return stemmed


def analyze(text: str) -> list[str]:
    """The stems of ``text``, in order.

    One comprehension filters and stems (measured fastest: a reindex spends most of its
    time here). ``cached(word) or`` is exact: an empty stem, if any, is just stemmed again.
    """
    cached = _STEMS.get
    return [cached(word) or _stem(word) for word in _words(text)
            if len(word) >= _MIN_LENGTH and word not in STOP_WORDS]


def analyze_words(text: str) -> list[tuple[str, str]]:
    """Each stem of ``text`` with the lower-cased word it came from, in order (one pass for both)."""
    cached = _STEMS.get
    return [(cached(word) or _stem(word), word) for word in _words(text)
            if len(word) >= _MIN_LENGTH and word not in STOP_WORDS]


def analyze_spans(text: str) -> list[tuple[str, str, int, int]]:
    """Each (stem, lower-cased word, start, end) of ``text``; start and end index ``text``.

    What Whoosh's tokenizer yields (``kbsearch.index.fulltext``): the same stems as
    ``analyze``, with offsets for highlighting and, later, phrases.
    """
    cached = _STEMS.get
    spans = []
    for match in _TOKEN.finditer(text):
        word = match.group().lower()
        if len(word) >= _MIN_LENGTH and word not in STOP_WORDS:
            spans.append((cached(word) or _stem(word), word, match.start(), match.end()))
    return spans


def stem(word: str) -> str:
    """The stem of one lower-cased word, stop word or not (Whoosh's untokenised query terms)."""
    return _STEMS.get(word) or _stem(word)


def phrase_stems(text: str) -> list[str]:
    """The stem of every word of ``text``, stop words and one-letter words included.

    What synonym terms are matched on: "log in" must not match every "log" ("delivery log"),
    and ``analyze`` drops "in".
    """
    return [_STEMS.get(word) or _stem(word) for word in _words(text)]
