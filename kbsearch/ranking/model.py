"""The suggestion model: TF-IDF and BM25F matrices fitted once per build, read per request.

The only serving module that imports scikit-learn (peers.py imports scikit-learn
for the plain TF-IDF peer). Everything that does not depend on the request (vocabulary, IDF
weights, the article matrices, facet codes) is computed in ``fit`` and saved with the build,
so answering a case text is one analysis and products over its own words' columns.
"""

from __future__ import annotations

import pickle
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.feature_extraction.text import TfidfTransformer

from kbsearch.corpus.articles import Article
from kbsearch.corpus.words import ArticleWords, Counts

MODEL_FORMAT = 7  # 2: a BM25F matrix; 3: column-major; 4: types_; 5: facets_; 6: vocabulary_; 7: pickle, not joblib


class ModelMismatch(Exception):
    """The saved model was made by other library versions or another model format."""


def library_versions() -> dict[str, str]:
    return {"scikit-learn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__}


def document_frequency(counts: sp.csr_matrix) -> np.ndarray:
    return np.bincount(counts.tocsr().indices, minlength=counts.shape[1]).astype(np.float32)


def bm25f(fields: Sequence[tuple[sp.csr_matrix, float]], df: np.ndarray, k1: float, b: float) -> sp.csr_matrix:
    """Per-article BM25F weights of every word: a query's score is then one sparse product.

    Each field's counts are divided by its length relative to the field's average, weighted,
    and summed; the sum saturates as ``tf (k1 + 1) / (tf + k1)`` and is scaled by Okapi's IDF.
    """
    total = None
    for counts, weight in fields:
        length = np.asarray(counts.sum(axis=1)).ravel()
        scale = weight / (1 - b + b * length / (length.mean() or 1.0))
        part = sp.diags(scale.astype(np.float32)) @ counts
        total = part if total is None else total + part
    total = total.tocsr()
    n = total.shape[0]
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    tf = total.data
    total.data = tf * (k1 + 1) / (tf + k1) * idf[total.indices]
    return total


@dataclass(frozen=True)
class Query:
    columns: np.ndarray  # vocabulary indices, ascending
    counts: np.ndarray  # how often each occurs


class TfidfRanker:
    """Similarity between a case text and each article's title, summary and body.

    Each field is vectorised on its own (one shared vocabulary and IDF) and normalised, so a
    long body cannot drown the few words of a title; the article's row is the weighted sum,
    which keeps scoring a request to one sparse product.

    A second matrix scores the same words the BM25F way (term frequency saturating at
    ``k1``, each field normalised by its length with ``b``, the title counted
    ``bm25_title_weight`` times): it rewards matching a case's rarest words, where cosine
    rewards sharing the article's overall direction, and suggest.py fuses the two.

    :param title_weight, summary_weight, body_weight: the share of each field in a score.
        Titles and summaries say which problem an article solves, in few words.
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

    def fit(self, articles: Sequence[Article], words: Sequence[ArticleWords]) -> TfidfRanker:
        """Learn the vocabulary and IDF weights from ``articles`` and vectorise them.

        ``words`` holds each article's analysis (``kbsearch.words``), made once by the loader:
        its counts feed both the TF-IDF rows and BM25F.
        """
        if not articles:
            raise ValueError("cannot fit a ranker on no articles")
        if len(words) != len(articles):
            raise ValueError(f"{len(articles)} articles but {len(words)} analyses")
        fields = {name: [getattr(w, name) for w in words] for name in ("title", "summary", "tags", "body")}
        stems = {name: Counts.all_stems(rows) for name, rows in fields.items()}
        self.terms_ = np.array(sorted(set().union(*stems.values())), dtype=object)  # sorted: prefix lookups bisect it
        self.vocabulary_ = {term: j for j, term in enumerate(self.terms_.tolist())}
        titles, summary, tags, body = (self._counts(fields[name], stems[name])
                                       for name in ("title", "summary", "tags", "body"))
        summaries = summary + tags
        whole = titles + summaries + body
        self.transformer_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(whole)
        # The whole row also carries title and summary words, as a reader sees them.
        # Column-major (one column per word): a query reads only its own words' columns, so a
        # request costs the articles sharing its words, not the size of the knowledge base.
        self.matrix_ = (self.transformer_.transform(titles) * self.title_weight
                        + self.transformer_.transform(summaries) * self.summary_weight
                        + self.transformer_.transform(whole) * self.body_weight).astype(np.float32).tocsc()
        self.bm25_ = bm25f(((titles, self.bm25_title_weight), (whole, 1.0)), document_frequency(whole),
                           self.k1, self.b).tocsc()
        self.matrix_.sort_indices()
        self.bm25_.sort_indices()
        self.ids_ = [a.id for a in articles]
        # each facet as sorted labels and a small integer code per article: filters and counts
        # are then array comparisons and bincounts
        self.facets_ = {name: np.unique(np.array([value(a) or "" for a in articles], dtype=str), return_inverse=True)
                        for name, value in (("type", lambda a: a.type), ("category", lambda a: a.category),
                                            ("subcategory", lambda a: a.subcategory))}
        self.positions_ = {article_id: i for i, article_id in enumerate(self.ids_)}
        self.idf_ = self.transformer_.idf_.astype(np.float32)
        return self

    def _counts(self, rows: Sequence[Counts], stems: list[str]) -> sp.csr_matrix:
        """One field's word counts as a sparse matrix: a row per article, a column per term.

        :param stems: every row's stems, in order (``Counts.all_stems(rows)``).
        """
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(row) for row in rows])
        indices = np.fromiter(map(self.vocabulary_.__getitem__, stems), dtype=np.int32, count=len(stems))
        data = np.frombuffer(b"".join(row.counts for row in rows), dtype=np.uint32).astype(np.float32)
        counts = sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(self.vocabulary_)))
        counts.sort_indices()
        return counts

    def complete(self, prefix: str, limit: int = 5) -> list[str]:
        """Vocabulary words starting with ``prefix``, the most widely used first.

        Lets the word a customer is still typing ("passw") match what it will become.
        """
        start = int(np.searchsorted(self.terms_, prefix))
        end = int(np.searchsorted(self.terms_, prefix + "\uffff"))
        if end - start > 200:  # too short a prefix to mean anything
            return []
        candidates = np.arange(start, end)
        idf = self.idf_[candidates]
        return [str(self.terms_[i]) for i in candidates[np.argsort(idf, kind="stable")][:limit]]

    def query(self, stems: Iterable[str]) -> Query:
        """A text's known words as vocabulary columns with their counts."""
        counts = Counter(j for j in map(self.vocabulary_.get, stems) if j is not None)
        columns = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        return Query(columns, np.array([counts[j] for j in columns], dtype=np.float32))

    def tfidf(self, query: Query) -> np.ndarray:
        """The query's L2-normalised TF-IDF weights, as scikit-learn's transformer would give them."""
        tf = 1 + np.log(query.counts) if self.sublinear_tf else query.counts
        weights = tf * self.idf_[query.columns]
        norm = np.sqrt(np.dot(weights, weights))
        return weights / norm if norm else weights

    def cosine(self, columns: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each article's TF-IDF dot product with ``weights`` on ``columns``."""
        return self.matrix_[:, columns] @ weights

    def bm25(self, columns: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return self.bm25_[:, columns] @ weights

    def in_facet(self, name: str, value: str) -> np.ndarray:
        """Which articles have ``value`` for facet ``name`` (type, category or subcategory)."""
        labels, codes = self.facets_[name]
        position = int(np.searchsorted(labels, value))
        if position < len(labels) and labels[position] == value:
            return codes == position
        return np.zeros(len(codes), dtype=bool)

    def related(self, article_id: str, limit: int = 5, min_score: float = 0.1) -> list[str]:
        """Articles most similar to ``article_id`` (itself excluded), best first."""
        i = self.positions_.get(article_id)
        if i is None:
            return []
        row = self.matrix_[i].tocsr()
        scores = self.cosine(row.indices, row.data)
        scores[i] = 0.0
        order = np.argsort(-scores, kind="stable")[:limit]
        return [self.ids_[j] for j in order if scores[j] >= min_score]

    def save(self, path: Path) -> None:
        # Plain pickle (protocol 5 keeps arrays as flat buffers): joblib's pickler, written in
        # Python, took 1.2 s to load ms-support's model, which a server does on every new build.
        with open(path, "wb") as handle:
            pickle.dump({"format": MODEL_FORMAT, "versions": library_versions(), "ranker": self}, handle, protocol=5)

    @classmethod
    def load(cls, path: Path) -> TfidfRanker:
        """Load a model this project saved; never a file from elsewhere (unpickling runs code).

        :raise ModelMismatch: saved by other library versions or another model format.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("error", InconsistentVersionWarning)
            try:
                with open(path, "rb") as handle:
                    saved = pickle.load(handle)
            except InconsistentVersionWarning as exc:
                raise ModelMismatch(str(exc)) from exc
        if saved.get("format") != MODEL_FORMAT or saved.get("versions") != library_versions():
            raise ModelMismatch(f"model was saved with {saved.get('versions')} (format {saved.get('format')}), "
                                f"this server runs {library_versions()} (format {MODEL_FORMAT})")
        return saved["ranker"]
