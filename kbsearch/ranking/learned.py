"""What customers said: articles scored by the solved cases they answered, never shown.

A reindex hands in the subjects and descriptions of recent solved cases linked to an article
(``Case``); each is analysed like an article and kept as one TF-IDF row over a vocabulary of
its own, with the article it was solved by. A request's words are compared with every past
case (one sparse product over its own words' columns); a case counts only when its cosine
with the request is at least ``THRESHOLD`` and, where any article shares a word with the
request, when ``SUPPORT`` cases of its article count: the channel speaks when a new case
resembles past ones and is silent otherwise. An article gains ``WEIGHT`` times the best
counting case's cosine.

Privacy: the cases' words live only here. They are never in the model's vocabulary, so they
are never completed, corrected to, highlighted in a snippet or listed as matched; they can
only raise the score of an article the build serves.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from kbsearch.corpus import text as analysis
from kbsearch.ranking import weights
from kbsearch.ranking.model import Scored

LEARNED_FORMAT = 1
PER_ARTICLE = 10  # the most recent cases per article a build learns from (README, "Learning from solved cases")
# One configuration for every benchmark, measured with ``kbsearch evaluate --learn-half`` (README):
THRESHOLD = 0.2  # a past case counts when its cosine with the request is at least this
# ... and, where any article shares a word with the request, only when at least this many past cases of
# one article count: one case that resembles a request is as often another problem told the same
# way (ms-symptoms: one case per article, each pulled other requests to it), several agreeing are a
# problem that recurs. Where no article shares a word, one past case is all the evidence there is.
SUPPORT = 2
WEIGHT = 2.0  # times the best counting case's cosine, added to a fused score that tops out near 1.5


@dataclass(frozen=True)
class Case:
    """A solved case as learning reads it: the article that solved it and the customer's words."""

    article_id: str
    subject: str
    description: str


class Learned:
    """Past cases as TF-IDF rows, each with the article that solved it (settings in ``__init__``)."""

    def __init__(self, threshold: float = THRESHOLD, support: int = SUPPORT, weight: float = WEIGHT):
        self.threshold = threshold
        self.support = support
        self.weight = weight

    def fit(self, cases: Iterable[Case], served: Container[str]) -> Learned:
        """Learn from the ``cases`` linked to an article in ``served`` (the build's); the rest teach nothing.

        Words are weighted with the cases' own IDF: their words and the articles' differ, and
        a word every case uses ("error", "help") says nothing about which problem a case is.
        """
        rows: list[Counter[str]] = []
        articles: list[str] = []
        for case in cases:
            if case.article_id in served:
                stems = Counter(analysis.analyze(f"{case.subject}\n{case.description}"))
                if stems:
                    rows.append(stems)
                    articles.append(case.article_id)
        terms = sorted(set().union(*rows)) if rows else []
        vocabulary = {term: j for j, term in enumerate(terms)}
        indptr = np.cumsum([0] + [len(row) for row in rows], dtype=np.int64)
        indices = np.fromiter((vocabulary[t] for row in rows for t in row), dtype=np.int32, count=int(indptr[-1]))
        data = np.fromiter((n for row in rows for n in row.values()), dtype=np.float32, count=int(indptr[-1]))
        counts = sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(terms)))
        self.idf_ = weights.smooth_idf(weights.document_frequency(counts), len(rows))
        self.matrix_ = weights.tfidf_rows(counts, self.idf_).tocsc()
        self.terms_, self.vocabulary_, self.articles_ = terms, vocabulary, articles
        self.rows_ = np.full(len(articles), -1, dtype=np.int64)
        return self

    def bind(self, positions: Mapping[str, int]) -> Learned:
        """Map each case to its article's row in the served model; a case of an article not served is dropped."""
        self.rows_ = np.fromiter((positions.get(a, -1) for a in self.articles_), dtype=np.int64,
                                 count=len(self.articles_))
        return self

    def __len__(self) -> int:
        return len(self.articles_)

    def scores(self, stems: Iterable[str], articles: int, cosine: np.ndarray | None = None) -> np.ndarray | None:
        """What each article row gains from past cases like the request (``stems``); None when none counts.

        A case counts when its cosine with the request is at least ``threshold``; where any
        article shares a word with the request (``cosine``, the model's, is not all 0), only
        when at least ``support`` cases of its article count. Each article gains ``weight``
        times its best counting case's cosine. The request is weighted with the cases' IDF; a
        word no case holds weighs as a word of none, so it counts against every case.
        """
        counted = Counter(stems)
        known = {self.vocabulary_[s]: n for s, n in counted.items() if s in self.vocabulary_}
        if not known:
            return None
        columns = np.array(sorted(known), dtype=np.int64)
        w = weights.tf(np.array([known[j] for j in columns], dtype=np.float64), True) * self.idf_[columns]
        other = weights.tf(np.array([n for s, n in counted.items() if s not in self.vocabulary_], dtype=np.float64),
                           True) * float(weights.smooth_idf(np.zeros(1), len(self.articles_))[0])
        similarity = self.matrix_[:, columns] @ (w / np.sqrt(np.dot(w, w) + np.dot(other, other)))
        close = np.flatnonzero(similarity >= self.threshold)
        rows = self.rows_[close]
        close, rows = close[rows >= 0], rows[rows >= 0]
        if self.support > 1 and cosine is not None and cosine.any():
            keep = np.bincount(rows, minlength=articles)[rows] >= self.support
            close, rows = close[keep], rows[keep]
        if not len(close):
            return None
        gained = np.zeros(articles, dtype=np.float32)
        np.maximum.at(gained, rows, similarity[close].astype(np.float32))
        return gained * self.weight

    def boost(self, stems: Iterable[str], scores: np.ndarray, scored: Scored | None,
              matched_only: bool = True) -> np.ndarray:
        """``scores`` plus what past cases add; with ``matched_only``, only to articles already scoring.

        :param scored: the model's own scoring of the request (None: no word of it is in an article).
        """
        gained = self.scores(stems, len(scores), scored.cosine if scored is not None else None)
        if gained is None:
            return scores
        return scores + (gained * (scores > 0) if matched_only else gained)

    # --- saved with the build ------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write ``path``.npz (the rows) and ``path``.json (words, articles): data, never code."""
        m = self.matrix_
        with open(path.with_suffix(".npz"), "wb") as handle:
            np.savez(handle, idf=self.idf_, data=m.data, indices=m.indices, indptr=m.indptr, shape=np.array(m.shape))
        meta = {"format": LEARNED_FORMAT, "terms": self.terms_, "articles": self.articles_}
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Learned | None:
        """Read what ``save`` wrote; None when the build has none (made with ``--no-learn`` or before learning)."""
        if not path.with_suffix(".json").exists():
            return None
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != LEARNED_FORMAT:
            return None  # never a reason to refuse a build: it is served without what it learned
        learned = cls()
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
            learned.idf_ = arrays["idf"]
            learned.matrix_ = sp.csc_matrix((arrays["data"], arrays["indices"], arrays["indptr"]),
                                            shape=tuple(arrays["shape"]))
        learned.terms_, learned.articles_ = meta["terms"], meta["articles"]
        learned.vocabulary_ = {term: j for j, term in enumerate(learned.terms_)}
        learned.rows_ = np.full(len(learned.articles_), -1, dtype=np.int64)
        return learned

