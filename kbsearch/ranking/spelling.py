""""Did you mean": the closest known word for each word the knowledge base does not contain.

The vocabulary is built from the articles a build serves, so no hidden word can ever be
suggested. Candidates are the words one edit away (two for longer words), checked
against the vocabulary: a few thousand set lookups for a typed word.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable
from pathlib import Path

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
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


def save(vocabulary: dict[str, int], path: Path) -> None:
    path.write_text(json.dumps(vocabulary, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def load(path: Path) -> dict[str, int]:
    return json.loads(path.read_text(encoding="utf-8"))


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS})


def correct(word: str, vocabulary: dict[str, int], max_edits: int = 2) -> str | None:
    """The most used known word closest to ``word``, or None if it is known or nothing is close.

    :param max_edits: 1 on the per-keystroke suggestion path, where two edits cost too much.
    """
    word = word.lower()
    # Two edits of a word of n letters is ~(54n)^2 candidates: bound n, or a pasted
    # token becomes a denial of service.
    if word in vocabulary or not 3 <= len(word) <= MAX_WORD or not word.isalpha():
        return None
    near = _edits(word)
    known = [w for w in near if w in vocabulary]
    if not known and max_edits >= 2 and 5 <= len(word) <= MAX_TWO_EDITS:
        known = [w2 for w1 in near for w2 in _edits(w1) if w2 in vocabulary]
    return max(known, key=lambda w: (vocabulary[w], w)) if known else None


def suggest_text(text: str, vocabulary: dict[str, int], max_words: int = 32) -> str | None:
    """``text`` with each unknown word replaced by its correction; None if nothing changed."""
    words = re.findall(r"\w+", text.lower())[:max_words]
    fixed = [correct(w, vocabulary) or w for w in words]
    return " ".join(fixed) if fixed != words else None
