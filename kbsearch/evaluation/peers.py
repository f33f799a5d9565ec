"""Peer engines for ``kbsearch evaluate --peers``: what a team would otherwise pick.

Each indexes the same visible articles as the build, title twice plus the text, and
takes ``subject + " " + description`` as its query, as the published baselines in
../shared/benchmarks did. They deliberately share none of kbsearch's ranking code, so
this module imports scikit-learn and bm25s itself. The Whoosh peer ranks the build's own
full-text index with Whoosh's BM25F: the one search here that reads the build.
"""

from __future__ import annotations


import numpy as np
from whoosh import query

from kbsearch.corpus.articles import Article
from kbsearch.evaluation.evaluate import Engine
from kbsearch.evaluation.metrics import K
from kbsearch.index.fulltext import FullText
from kbsearch.index.opened import Build


def _document(article: Article) -> str:
    return f"{article.title}\n{article.title}\n{article.text}"


def tfidf_engine(articles: list[Article], limit: int = K) -> Engine:
    """Plain scikit-learn TF-IDF cosine: sublinear tf, English stop words, one vector per article."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    matrix = vectorizer.fit_transform([_document(a) for a in articles]).tocsr()
    ids = [a.id for a in articles]

    def answer(subject: str, description: str) -> list[str]:
        query = vectorizer.transform([f"{subject} {description}"])
        if query.nnz == 0:
            return []
        scores = (matrix @ query.T).toarray().ravel()
        return _best(ids, scores, limit)
    return answer


def bm25s_engine(articles: list[Article], limit: int = K) -> Engine | None:
    """bm25s (Okapi BM25 on sparse matrices) with PyStemmer's English stemmer; None when not installed."""
    try:
        import bm25s
        import Stemmer
    except ImportError:
        return None
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([_document(a) for a in articles], stopwords="en", stemmer=stemmer,
                                   show_progress=False), show_progress=False)
    ids = [a.id for a in articles]
    k = min(limit, len(ids))

    def answer(subject: str, description: str) -> list[str]:
        tokens = bm25s.tokenize([f"{subject} {description}"], stopwords="en", stemmer=stemmer,
                                return_ids=False, show_progress=False)
        if not tokens[0]:
            return []
        found, scores = retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [ids[d] for d, s in zip(found[0], scores[0]) if s > 0]
    return answer


def _best(ids: list[str], scores: np.ndarray, limit: int) -> list[str]:
    k = min(limit, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [ids[i] for i in top if scores[i] > 0]


def whoosh_engine(served: Build, limit: int = K) -> Engine:
    """The project's own Whoosh index (BM25F fields) ranked by Whoosh, subject and description as one text."""
    def answer(subject: str, description: str) -> list[str]:
        return [i for i, _ in rank(served.index, f"{subject} {description}", limit)]
    return answer


MAX_TERMS = 32  # a pasted essay still answers quickly: its first distinct words are enough


def build_query(ix: FullText, text: str) -> query.Query | None:
    """An OR over the words of ``text`` in every field, rewarding documents that match more.

    Built from analysed words, not parsed: no input can be a syntax error, and operators or
    field names a customer types are just words.
    """
    analyzer = ix.schema["text"].analyzer
    stems = list(dict.fromkeys(t.text for t in analyzer(text)))[:MAX_TERMS]
    if not stems:
        return None
    return query.Or([query.Term(f, stem) for stem in stems for f in ("title", "text")], scale=0.9)


def rank(ix: FullText, text: str, limit: int = 10) -> list[tuple[str, float]]:
    """Whoosh's own BM25F ranking of ``text``: (id, score) pairs, best first.

    Not on the serving path (pages and suggestions rank on the model's matrices; Whoosh only
    matches the search page's queries). Whoosh's coordination bonus counts the words each
    segment holds, so scores move a little with how the index is split into shards and segments.
    """
    q = build_query(ix, text)
    if q is None:
        return []
    with ix.searcher() as searcher:
        return [(hit["id"], float(hit.score)) for hit in searcher.search(q, limit=limit)]
