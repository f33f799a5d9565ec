"""The ranking model: TF-IDF and BM25F matrices fitted once per build, scored per request.

Everything that does not depend on the request (vocabulary, IDF weights, the article
matrices, facet codes) is computed in ``fit`` and saved with the build as arrays, so answering
a text is one analysis and products over its own words' columns. Callers (the panel, the
search page, related articles) use ``score``, ``complete``, ``related`` and the facet methods;
the learned state (trailing underscores, scikit-learn's manner) stays behind them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from kbsearch.corpus.articles import Article
from kbsearch.corpus.words import ArticleWords
from kbsearch.ranking import weights

MODEL_FORMAT = 8  # 7: pickle, not joblib; 8: arrays in .npz and JSON, no pickle
BM25_SHARE = 0.5  # weight of the BM25F channel against cosine, both scaled to their best article
FACETS = ("type", "category", "subcategory")
Words = Sequence[tuple[str, str]]  # (stem, the word as typed), from ``text.analyze_words``


class ModelMismatch(Exception):
    """The saved model was written in another format: the build must be made again."""


@dataclass(frozen=True)
class Scored:
    """Every article's score for one text, and which of the text's words each article has."""

    scores: np.ndarray  # one per article row; 0 where the cosine is below the minimum
    cosine: np.ndarray  # each article's TF-IDF cosine with the text, before fusion
    columns: np.ndarray  # the text's known words, as vocabulary columns (ascending)
    shared: sp.csc_matrix  # the articles' weights on those columns only
    words: Mapping[str, Words]  # the text's words by field, as the caller named them
    vocabulary: Mapping[str, int]

    def matched(self, row: int) -> dict[str, list[str]]:
        """The request's own words (as typed) that article ``row`` contains, per field."""
        present = self.shared[row].tocsr()
        has = set(self.columns[present.indices].tolist())
        return {name: sorted({word for stem, word in words if self.vocabulary.get(stem) in has})
                for name, words in self.words.items()}


class TfidfRanker:
    """Similarity between a text and each article's title, summary and body.

    Each field is vectorised on its own (one shared vocabulary and IDF) and normalised, so a
    long body cannot drown the few words of a title; the article's row is the weighted sum.
    A second matrix scores the same words the BM25F way (title counted ``bm25_title_weight``
    times): it rewards matching a text's rarest words, where cosine rewards sharing the
    article's overall direction; ``score`` fuses the two.
    """

    def __init__(self, title_weight: float = 0.4, summary_weight: float = 0.1, body_weight: float = 0.5,
                 sublinear_tf: bool = True, bm25_title_weight: float = 2.0, k1: float = 1.2, b: float = 0.75):
        self.title_weight = title_weight
        self.summary_weight = summary_weight
        self.body_weight = body_weight
        self.sublinear_tf = sublinear_tf
        self.bm25_title_weight = bm25_title_weight
        self.k1 = k1
        self.b = b

    def fit(self, articles: Sequence[Article] | weights.Counted, words: Sequence[ArticleWords] = ()) -> TfidfRanker:
        """Learn the vocabulary and IDF weights from ``articles`` (with the loader's analysis).

        A reindex passes instead the word counts it keeps per article (``weights.Counted``):
        an incremental build then only puts rows together, the rest is arithmetic on whole
        arrays, and the model equals one fitted from the articles.
        """
        if isinstance(articles, weights.Counted):
            counted = articles
        elif not articles:
            raise ValueError("cannot fit a ranker on no articles")
        elif len(words) != len(articles):
            raise ValueError(f"{len(articles)} articles but {len(words)} analyses")
        else:
            facets = {name: [getattr(a, name) or "" for a in articles] for name in FACETS}
            counted = weights.Counted([a.id for a in articles], facets, *weights.field_counts(words))
        n, terms, columns, counts = len(counted.ids), counted.terms, counted.columns, counted.counts
        if not n:
            raise ValueError("cannot fit a ranker on no articles")
        self.terms_ = np.array(terms, dtype=object)  # sorted: prefixes bisect it
        self.vocabulary_ = {term: j for j, term in enumerate(terms)}
        indptr = counted.indptr
        df = np.bincount(columns, minlength=len(terms)).astype(np.float32)
        self.idf_ = weights.smooth_idf(df, n)
        tfidf = weights.tfidf_values(counts, indptr, columns, self.idf_,
                                     (self.title_weight, self.summary_weight, self.body_weight), self.sublinear_tf)
        bm25 = weights.bm25f_values(((counts[0], self.bm25_title_weight), (counts[2], 1.0)), indptr, columns,
                                    df, self.k1, self.b)
        self.matrix_, self.bm25_ = weights.column_major_pair(counted.indptr, columns, len(terms), tfidf, bm25)
        self.ids_ = list(counted.ids)
        # each facet as sorted labels and a small integer code per article: filters and counts
        # are then array comparisons and bincounts
        self.facets_ = {name: _coded(counted.facets[name]) for name in FACETS}
        self._index_ids()
        return self

    def _index_ids(self) -> None:
        self.positions_ = {article_id: i for i, article_id in enumerate(self.ids_)}

    # --- per request -------------------------------------------------------------------

    def score(self, fields: Mapping[str, Words], weights_by_field: Mapping[str, float] | None = None,
              min_score: float = 0.0, added: Mapping[str, Mapping[str, float]] | None = None) -> Scored | None:
        """Every article's score for a text given as words per field; None when no word is known.

        Each field's words are weighted (TF-IDF, normalised per field) and summed; the
        cosine with each article and its BM25F score are each scaled to the best article and
        added, BM25F at ``BM25_SHARE``. Articles whose cosine is ``min_score`` or below score 0.

        :param added: per field, stems the text did not contain (synonyms) with the share of a
            word of its own each weighs; they score but are never ``matched``.
        """
        counted = {name: Counter(j for stem, _ in words if (j := self.vocabulary_.get(stem)) is not None)
                   for name, words in fields.items()}
        shares: dict[str, dict[int, float]] = {name: {} for name in counted}
        for name, stems in (added or {}).items():
            for stem, share in stems.items():
                if (j := self.vocabulary_.get(stem)) is not None and j not in counted[name]:
                    counted[name][j], shares[name][j] = 1, share
        columns = np.array(sorted(set().union(*counted.values())), dtype=np.int64)
        if len(columns) == 0:
            return None
        tfidf = np.zeros(len(columns), dtype=np.float32)
        counts = np.zeros(len(columns), dtype=np.float32)
        for name, counter in counted.items():
            if not counter:
                continue
            at = np.searchsorted(columns, sorted(counter))
            n = np.array([counter[j] for j in sorted(counter)], dtype=np.float32)
            share = np.array([shares[name].get(j, 1.0) for j in sorted(counter)], dtype=np.float32)
            w = weights.tf(n, self.sublinear_tf) * self.idf_[columns[at]] * share
            weight = (weights_by_field or {}).get(name, 1.0)
            tfidf[at] += w / np.sqrt(np.dot(w, w)) * weight
            counts[at] += n * share * weight
        shared = self.matrix_[:, columns]
        cosine = shared @ tfidf / np.sqrt(np.dot(tfidf, tfidf))
        bm25 = self.bm25_[:, columns] @ np.log1p(counts)  # a repeated word counts, less each time
        scores = cosine / (cosine.max() or 1.0) + BM25_SHARE * bm25 / (bm25.max() or 1.0)
        scores[cosine <= min_score] = 0.0
        return Scored(scores, cosine, columns, shared.tocsr(), fields, self.vocabulary_)

    def complete(self, prefix: str, limit: int = 5) -> list[str]:
        """Vocabulary words starting with ``prefix``, the most widely used first ("passw" -> "password")."""
        start = int(np.searchsorted(self.terms_, prefix))
        end = int(np.searchsorted(self.terms_, prefix + "\uffff"))
        if end - start > 200:  # too short a prefix to mean anything
            return []
        candidates = np.arange(start, end)
        return [str(self.terms_[i]) for i in candidates[np.argsort(self.idf_[candidates], kind="stable")][:limit]]

    def related(self, article_id: str, limit: int = 5, min_score: float = 0.1) -> list[str]:
        """Articles most similar to ``article_id`` (itself excluded), best first."""
        i = self.positions_.get(article_id)
        if i is None:
            return []
        row = self.matrix_[i].tocsr()
        scores = self.matrix_[:, row.indices] @ row.data
        scores[i] = 0.0
        order = np.argsort(-scores, kind="stable")[:limit]
        return [self.ids_[j] for j in order if scores[j] >= min_score]

    def article_id(self, row: int) -> str:
        return self.ids_[row]

    def __len__(self) -> int:
        return len(self.ids_)

    def knows(self, stem: str) -> bool:
        return stem in self.vocabulary_

    def in_facet(self, name: str, value: str) -> np.ndarray:
        """Which articles have ``value`` for facet ``name`` (type, category or subcategory)."""
        labels, codes = self.facets_[name]
        position = int(np.searchsorted(labels, value))
        if position < len(labels) and labels[position] == value:
            return codes == position
        return np.zeros(len(codes), dtype=bool)

    def facet_counts(self, rows: np.ndarray) -> dict[str, dict[str, int]]:
        """How many of ``rows`` have each value of each facet (values with none left out)."""
        return {name: {str(labels[c]): int(n) for c, n in enumerate(np.bincount(codes[rows], minlength=len(labels)))
                       if n and labels[c]}
                for name, (labels, codes) in self.facets_.items()}

    # --- saved with the build ------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write ``path``.npz (arrays) and ``path``.json (words, ids, labels, settings): data, never code."""
        arrays = {"idf": self.idf_}
        for name, matrix in (("matrix", self.matrix_), ("bm25", self.bm25_)):
            arrays.update({f"{name}_data": matrix.data, f"{name}_indices": matrix.indices,
                           f"{name}_indptr": matrix.indptr, f"{name}_shape": np.array(matrix.shape)})
        for name, (_, codes) in self.facets_.items():
            arrays[f"facet_{name}"] = codes
        with open(path.with_suffix(".npz"), "wb") as handle:
            np.savez(handle, **arrays)
        meta = {"format": MODEL_FORMAT, "settings": {k: v for k, v in vars(self).items() if not k.endswith("_")},
                "terms": self.terms_.tolist(), "ids": self.ids_,
                "facets": {name: labels.tolist() for name, (labels, _) in self.facets_.items()}}
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> TfidfRanker:
        """Read a model ``save`` wrote; loading runs no code from the files.

        :raise ModelMismatch: written in another model format.
        :raise FileNotFoundError: the build has no model.
        """
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != MODEL_FORMAT:
            raise ModelMismatch(f"model format {meta.get('format')}, this server reads format {MODEL_FORMAT}")
        ranker = cls(**meta["settings"])
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
            ranker.idf_ = arrays["idf"]
            ranker.matrix_, ranker.bm25_ = (
                sp.csc_matrix((arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"]),
                              shape=tuple(arrays[f"{name}_shape"])) for name in ("matrix", "bm25"))
            ranker.facets_ = {name: (np.array(labels, dtype=str), arrays[f"facet_{name}"])
                              for name, labels in meta["facets"].items()}
        ranker.terms_ = np.array(meta["terms"], dtype=object)
        ranker.vocabulary_ = {term: j for j, term in enumerate(meta["terms"])}
        ranker.ids_ = meta["ids"]
        ranker._index_ids()
        return ranker


def _coded(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` by a dictionary: a facet has few values, an article each."""
    labels = sorted(set(values))
    code = {label: i for i, label in enumerate(labels)}
    return np.array(labels, dtype=str), np.fromiter(map(code.__getitem__, values), dtype=np.intp, count=len(values))
