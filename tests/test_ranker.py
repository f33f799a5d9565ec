"""The model's weights: BM25F against hand-computed values, TF-IDF against scikit-learn's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from kbsearch.ranking.weights import bm25f, document_frequency


def test_bm25f_weights_match_the_formula():
    # two articles, two words; titles (weight 2) and whole texts (weight 1)
    titles = sp.csr_matrix(np.array([[1, 0], [0, 0]], dtype=np.float32))
    whole = sp.csr_matrix(np.array([[2, 1], [0, 3]], dtype=np.float32))
    k1, b = 1.2, 0.75
    weights = bm25f(((titles, 2.0), (whole, 1.0)), document_frequency(whole), k1, b).toarray()
    # article 0, word 0: title length 1 (average 0.5), whole length 3 (average 3)
    tf = 2.0 * 1 / (1 - b + b * 1 / 0.5) + 1.0 * 2 / (1 - b + b * 3 / 3)
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    assert weights[0, 0] == pytest.approx(tf * (k1 + 1) / (tf + k1) * idf, rel=1e-5)
    assert weights[1, 0] == 0.0


def test_a_repeated_word_saturates():
    whole = sp.csr_matrix(np.array([[1, 0], [10, 0], [0, 1]], dtype=np.float32))
    weights = bm25f(((whole, 1.0),), document_frequency(whole), 1.2, 0.0).toarray()
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    assert weights[1, 0] / weights[0, 0] < 2.2 / 1.0 and weights[1, 0] < (1.2 + 1) * idf


def test_a_texts_cosine_equals_scikit_learns(monkeypatch):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.metrics.pairwise import linear_kernel

    from kbsearch.corpus import text
    from kbsearch.corpus.articles import Article
    from kbsearch.corpus.words import words_of
    from kbsearch.ranking import model
    from kbsearch.ranking.model import TfidfRanker

    def article(i: str, title: str, body: str) -> Article:
        return Article(id=i, title=title, type="knowledge", status="published", audience="public", language="en",
                       category=None, subcategory=None, tags=(), summary="", updated=None, body=body, text=body,
                       path=f"{i}.md", extra={}, id_line=1)

    articles = [article("a", "Locked account", "Too many wrong passwords lock the account."),
                article("b", "Download invoices", "Invoices are under Billing."),
                article("c", "Account settings", "Change the account name and the password.")]
    # titles and summaries weigh nothing: each article's row is then its whole text's TF-IDF
    ranker = TfidfRanker(title_weight=0.0, summary_weight=0.0, body_weight=1.0).fit(
        articles, [words_of(a) for a in articles])
    monkeypatch.setattr(model, "BM25_SHARE", 0.0)  # cosine alone
    words = "my account is locked locked after wrong passwords"
    scored = ranker.score({"q": text.analyze_words(words)})
    vectorizer = CountVectorizer(analyzer=text.analyze)
    whole = vectorizer.fit_transform(f"{a.title}\n{a.text}" for a in articles)
    transformer = TfidfTransformer(sublinear_tf=True).fit(whole)
    cosine = linear_kernel(transformer.transform(vectorizer.transform([words])), transformer.transform(whole)).ravel()
    assert np.allclose(scored.scores, cosine / cosine.max(), atol=1e-6)
    assert scored.matched(0) == {"q": ["account", "locked", "passwords", "wrong"]}


def test_the_matrices_count_each_field_as_scikit_learn_would():
    """Counts made from the loader's analysis, weighted as scikit-learn's TF-IDF would weigh them."""
    from conftest import DATA
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    from kbsearch.corpus import text
    from kbsearch.corpus.loader import load_folder
    from kbsearch.corpus.taxonomy import load_taxonomy
    from kbsearch.ranking.model import TfidfRanker

    loaded = load_folder(DATA, load_taxonomy(DATA))
    ranker = TfidfRanker().fit(loaded.articles, loaded.words)
    vectorizer = CountVectorizer(analyzer=text.analyze, dtype=np.float32)
    whole = vectorizer.fit_transform(f"{a.title}\n{a.summary}\n{' '.join(a.tags)}\n{a.text}" for a in loaded.articles)
    assert list(vectorizer.get_feature_names_out()) == list(ranker.terms_)
    transformer = TfidfTransformer(sublinear_tf=True).fit(whole)
    assert np.allclose(ranker.idf_, transformer.idf_)
    tfidf = transformer.transform(whole)
    titles = transformer.transform(vectorizer.transform(a.title for a in loaded.articles))
    summaries = transformer.transform(vectorizer.transform(f"{a.summary}\n{' '.join(a.tags)}" for a in loaded.articles))
    expected = (titles * ranker.title_weight + summaries * ranker.summary_weight + tfidf * ranker.body_weight)
    assert abs(expected - ranker.matrix_).max() < 1e-6


def test_a_saved_model_loads_equal_and_holds_no_pickle(tmp_path):
    from conftest import DATA

    from kbsearch.corpus import text
    from kbsearch.corpus.loader import load_folder
    from kbsearch.corpus.taxonomy import load_taxonomy
    from kbsearch.ranking.model import TfidfRanker

    loaded = load_folder(DATA, load_taxonomy(DATA))
    ranker = TfidfRanker().fit(loaded.articles, loaded.words)
    ranker.save(tmp_path / "model")
    again = TfidfRanker.load(tmp_path / "model")  # np.load(allow_pickle=False): an object array would fail
    words = {"q": text.analyze_words("password reset link expired")}
    assert np.array_equal(ranker.score(words).scores, again.score(words).scores)
    assert ranker.related(loaded.articles[0].id) == again.related(loaded.articles[0].id)
    assert ranker.facet_counts(np.arange(len(ranker))) == again.facet_counts(np.arange(len(again)))
