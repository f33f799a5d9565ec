"""An article's words, analysed once per version of its file.

Every index of a build reads the same analysis: the Whoosh index and the TF-IDF and BM25F
matrices take stem counts per field, "did you mean" takes the plain words. The loader
computes them where it parses the file and keeps them in the file's entry, so a reindex
analyses each text once and an incremental one never analyses an unchanged article again.

Words are kept packed, a field's stems in one string and their counts in one byte string:
they travel from worker processes and into the build cache as a few objects per article
rather than one per word, which made pickling them thirty times faster.
"""

from __future__ import annotations

import array
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from kbsearch.corpus import text
from kbsearch.corpus.articles import Article

_SEP = "\0"  # never inside a word
_SPELLING_WORD = re.compile(r"[^\W\d_]{3,}")  # letters only: what "did you mean" may offer


@dataclass(frozen=True)
class Counts:
    """One field's distinct stems and how often each occurs."""

    packed: str  # the stems, joined by _SEP
    counts: bytes  # one unsigned 32-bit count per stem

    @classmethod
    def of(cls, stems: list[str]) -> Counts:
        counted = Counter(stems)
        return cls(_SEP.join(counted), array.array("I", counted.values()).tobytes())

    def __len__(self) -> int:
        return len(self.counts) // 4

    def stems(self) -> list[str]:
        return _unpack(self.packed)

    def items(self) -> list[tuple[str, int]]:
        return list(zip(self.stems(), array.array("I", self.counts)))

    @staticmethod
    def all_stems(rows: Iterable[Counts]) -> list[str]:
        """The stems of every row, in order, split in one pass."""
        return _unpack(_SEP.join(row.packed for row in rows if row.packed))


@dataclass(frozen=True)
class ArticleWords:
    title: Counts
    summary: Counts
    tags: Counts
    body: Counts  # the plain text, as indexed
    packed_spelling: str  # lower-case words of title, summary and text, for "did you mean"
    packed_title_spelling: str  # those of the title: kept in the vocabulary even when rare

    def spelling(self) -> tuple[list[str], list[str]]:
        """The article's distinct words, and those of its title (``spelling.build_vocabulary``'s input)."""
        return _unpack(self.packed_spelling), _unpack(self.packed_title_spelling)


def spelling_words(title: str, text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The words of one article (lower-case, letters only): those of its text, and of its title."""
    title_words = frozenset(_SPELLING_WORD.findall(title.lower()))
    return title_words | frozenset(_SPELLING_WORD.findall(text.lower())), title_words


def words_of(article: Article) -> ArticleWords:
    """Analyse ``article`` once: what every index of a build takes from it."""
    words, title_words = spelling_words(article.title, f"{article.summary}\n{article.text}")
    return ArticleWords(Counts.of(text.analyze(article.title)), Counts.of(text.analyze(article.summary)),
                        Counts.of(text.analyze(" ".join(article.tags))), Counts.of(text.analyze(article.text)),
                        _SEP.join(words), _SEP.join(title_words))


def _unpack(packed: str) -> list[str]:
    return packed.split(_SEP) if packed else []
