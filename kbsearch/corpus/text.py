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
    """The stems of ``text``, in order (a list the caller must not change).

    One comprehension filters and stems (measured fastest: a reindex spends most of its
    time here). ``cached(word) or`` is exact: an empty stem, if any, is just stemmed again.
    A reindex analyses an article's texts twice, for the word counts and for the full-text
    index's positions: the last few long texts' stems are kept, by identity, for the second time.
    """
    if len(text) >= _RECENT_LENGTH:
        recent = _RECENT.get(id(text))
        if recent is not None and recent[0] is text:
            return recent[1]
    cached = _STEMS.get
    stems = [cached(word) or _stem(word) for word in _words(text)
             if len(word) >= _MIN_LENGTH and word not in STOP_WORDS]
    if len(text) >= _RECENT_LENGTH:
        if len(_RECENT) >= _RECENT_TEXTS:
            try:
                del _RECENT[next(iter(_RECENT))]
            except (KeyError, RuntimeError, StopIteration):  # another thread changed it meanwhile
                pass
        _RECENT[id(text)] = (text, stems)  # holds ``text``: its id is not reused while it is here
    return stems


_RECENT: dict[int, tuple[str, list[str]]] = {}
_RECENT_TEXTS, _RECENT_LENGTH = 8, 200


def _kept(text: str) -> int:
    """How many words of ``text`` ``analyze`` keeps, without stemming them."""
    return sum(1 for word in _words(text) if len(word) >= _MIN_LENGTH and word not in STOP_WORDS)


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


# Error codes ("SH-PWD-211", "E-1042-B"): words joined by hyphens, one of them with a digit.
# The words are kept as words and the whole code is one more unit, so a code finds only the
# articles quoting it, not every article with "sh" in a code. Dotted names ("System.IO",
# "file.txt") and hex codes ("0x80070005") are single words of ``_TOKEN`` already.
_CODE = re.compile(r"(?<![\w-])\w+(?:-\w+)+(?![\w-])")
_DIGIT = re.compile(r"\d")


def code_units(text: str) -> list[tuple[str, int, int]]:
    """Each error code in ``text`` as (lower-cased code, start, end)."""
    return [(m.group().lower(), m.start(), m.end()) for m in _CODE.finditer(text) if _DIGIT.search(m.group())]


def stem(word: str) -> str:
    """The stem of one lower-cased word, stop word or not (Whoosh's untokenised query terms)."""
    return _STEMS.get(word) or _stem(word)


def phrase_stems(text: str) -> list[str]:
    """The stem of every word of ``text``, stop words and one-letter words included.

    What synonym terms are matched on: "log in" must not match every "log" ("delivery log"),
    and ``analyze`` drops "in".
    """
    return [_STEMS.get(word) or _stem(word) for word in _words(text)]


def positions(texts: list[str], gap: int = 0) -> dict[str, list[int]]:
    """Each stem of ``texts`` with the positions of its words (counting the words kept), the
    texts ``gap`` positions apart; and each error code at its first word's position, as one more
    term: what the full-text index stores for phrases. A code starts at a token boundary (its
    lookbehind asks for a non-word), so the words before it are counted in the text cut there."""
    found: dict[str, list[int]] = {}
    start = 0
    for part in texts:
        stems = analyze(part)
        if "-" in part:  # a code's words are kept words: count those before it
            counted, last = 0, 0
            for unit, begin, end in code_units(part):
                counted += _kept(part[last:begin])
                found.setdefault(unit, []).append(start + counted)
                last = begin
        for pos, stemmed in enumerate(stems, start):
            where = found.get(stemmed)
            if where is None:
                found[stemmed] = [pos]
            else:
                where.append(pos)
        start += len(stems) + gap
    return found


def with_units(text: str, spans: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    """``spans`` of a query with each error code's words replaced by the code itself, so that
    ``SH-PWD-211`` searches for the code, not for "sh" and "pwd" and "211"."""
    for unit, start, end in reversed(code_units(text)):
        inside = [i for i, span in enumerate(spans) if start <= span[2] < end]
        if inside:
            spans[inside[0]:inside[-1] + 1] = [(unit, unit, start, end)]
    return spans
