""""Did you mean": the closest known word for each word the knowledge base does not contain.

The vocabulary is built from the articles a build serves, so no hidden word can ever be
suggested. Candidates are the known words one edit away (two for longer words), found
through a deletion index (``DeletionIndex``), so a request full of unknown words costs about
what the same number of known words costs.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

import numpy as np

from kbsearch.corpus import text as analysis

MAX_WORD = 24
MAX_TWO_EDITS = 8


def build_vocabulary(articles: Iterable[tuple[Collection[str], Collection[str]]], min_count: int = 2) -> dict[str, int]:
    """Words and the number of articles using them.

    :param articles: ``kbsearch.corpus.words.spelling_words`` of each article (distinct words). A word found in fewer than
        ``min_count`` articles is left out, as it is mostly a typo itself, unless a title uses it.
    """
    counts: Counter[str] = Counter()
    titled: set[str] = set()
    for words, title_words in articles:
        titled.update(title_words)
        counts.update(words)
    return {w: n for w, n in counts.items() if n >= min_count or w in titled}


def vocabulary_from_counts(words: Sequence[str], counts: np.ndarray, titled: np.ndarray, order: np.ndarray,
                           min_count: int = 2) -> dict[str, int]:
    """``build_vocabulary`` from counts a reindex keeps: per word, the articles that use it and whose title does.

    A reindex adds and takes away only the changed articles' words; ``order`` lists the words'
    positions in string order, so the vocabulary (and its file) is the same however it was made.
    """
    keep = (counts >= min_count) | ((titled > 0) & (counts > 0))
    chosen = order[keep[order]].tolist()
    return dict(zip([words[i] for i in chosen], counts[chosen].tolist()))


def save(vocabulary: dict[str, int], path: Path) -> None:
    path.write_text(json.dumps(vocabulary, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def load(path: Path) -> dict[str, int]:
    return json.loads(path.read_text(encoding="utf-8"))


PREFIX = 7  # deletions are indexed from each word's first letters only (SymSpell's prefix)


def _deletes(word: str, depth: int) -> set[str]:
    """``word`` and every string made from it by deleting up to ``depth`` letters."""
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _distance(a: str, b: str, limit: int) -> int:
    """Edits between ``a`` and ``b`` (insert, delete, substitute, swap two neighbours), any order.

    The Damerau-Levenshtein distance without the "each substring edited once" restriction,
    so it equals the fewest such edits applied one after another; capped at ``limit + 1``.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    far = len(a) + len(b)
    last_row: dict[str, int] = {}  # letter -> the last row of ``a`` holding it
    d = [[far] * (len(b) + 2)] + [[far] + list(range(len(b) + 1))]
    d += [[far, i] + [0] * len(b) for i in range(1, len(a) + 1)]
    for i in range(1, len(a) + 1):
        last_column = 0
        for j in range(1, len(b) + 1):
            i1, j1 = last_row.get(b[j - 1], 0), last_column
            cost = 0 if a[i - 1] == b[j - 1] else 1
            if cost == 0:
                last_column = j
            d[i + 1][j + 1] = min(d[i][j] + cost, d[i + 1][j] + 1, d[i][j + 1] + 1,
                                  d[i1][j1] + (i - i1 - 1) + 1 + (j - j1 - 1))
        last_row[a[i - 1]] = i
    return min(d[len(a) + 1][len(b) + 1], limit + 1)


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class DeletionIndex:
    """Every vocabulary word under the strings its first letters become with up to two deletions.

    A typed word's own deletions then meet those of every known word within two edits, so a
    correction costs a few dozen array look-ups however long the word or the vocabulary, where
    generating every two-edit string of an 8-letter word was ~200,000 strings. Kept as two
    sorted integer arrays (CRC-32 of each deletion, word number): a few MB for 16,000 words.
    """

    def __init__(self, vocabulary: dict[str, int]):
        self.words = list(vocabulary)
        self._stems: set[str] | None = None  # see ``knows``
        keys: list[int] = []
        rows: list[int] = []
        for row, word in enumerate(self.words):
            if len(word) <= MAX_WORD + 2:
                variants = _deletes(word[:PREFIX], 2)
                keys.extend(map(_key, variants))
                rows.extend([row] * len(variants))
        order = np.argsort(np.array(keys, dtype=np.int64), kind="stable")
        self.keys = np.array(keys, dtype=np.int64)[order]
        self.rows = np.array(rows, dtype=np.int32)[order]

    def knows(self, stem: str) -> bool:
        """Whether a vocabulary word has ``stem`` (the stems are worked out on the first call)."""
        if self._stems is None:
            self._stems = {analysis.stem(word) for word in self.words}
        return stem in self._stems

    def near(self, word: str, max_edits: int) -> dict[int, list[str]]:
        """Known words within ``max_edits`` of ``word``, by distance."""
        wanted = np.array(sorted(map(_key, _deletes(word[:PREFIX], max_edits))), dtype=np.int64)
        starts = np.searchsorted(self.keys, wanted, "left")
        ends = np.searchsorted(self.keys, wanted, "right")
        rows = {int(r) for s, e in zip(starts, ends) if e > s for r in self.rows[s:e]}
        by_distance: dict[int, list[str]] = {}
        for row in rows:
            candidate = self.words[row]
            d = _distance(word, candidate, max_edits)
            if d <= max_edits:
                by_distance.setdefault(d, []).append(candidate)
        return by_distance


_INDEXES: dict[int, tuple[dict[str, int], DeletionIndex]] = {}  # one per vocabulary this process serves


def deletion_index(vocabulary: dict[str, int]) -> DeletionIndex:
    """The index of ``vocabulary``, made on first use in this process and kept while it is served."""
    held = _INDEXES.get(id(vocabulary))
    if held is None or held[0] is not vocabulary:
        if len(_INDEXES) >= 2:  # the current build and the one before it
            _INDEXES.clear()
        held = _INDEXES[id(vocabulary)] = (vocabulary, DeletionIndex(vocabulary))
    return held[1]


def correct(word: str, vocabulary: dict[str, int], max_edits: int = 2,
            known: Callable[[str], bool] | None = None) -> str | None:
    """The most used known word closest to ``word``, or None if it is known or nothing is close.

    One edit first; two only for words of 5 to ``MAX_TWO_EDITS`` letters, where a second
    edit still leaves a recognisable word. A word whose stem is known is never corrected,
    though itself too rare to be in ``vocabulary``: "storing" is not a typo for "string".

    :param max_edits: 1 on the per-keystroke suggestion path.
    :param known: whether a stem is known (a served build's model: ``TfidfRanker.knows``);
        without it, the stems of ``vocabulary``'s words, worked out once when first asked.
    """
    word = word.lower()
    if word in vocabulary or not 3 <= len(word) <= MAX_WORD or not word.isalpha():
        return None
    index = deletion_index(vocabulary)
    if (known or index.knows)(analysis.stem(word)):
        return None
    two = max_edits >= 2 and 5 <= len(word) <= MAX_TWO_EDITS
    near = index.near(word, 2 if two else 1)
    known = near.get(1) or (near.get(2) if two else None)
    return max(known, key=lambda w: (vocabulary[w], w)) if known else None


def suggest_text(text: str, vocabulary: dict[str, int], max_words: int = 32,
                 known: Callable[[str], bool] | None = None) -> str | None:
    """``text`` with each unknown word replaced by its correction; None if nothing changed."""
    words = re.findall(r"\w+", text.lower())[:max_words]
    fixed = [correct(w, vocabulary, known=known) or w for w in words]
    return " ".join(fixed) if fixed != words else None
