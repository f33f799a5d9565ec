"""The ranking rules README promises, each pinned: change a constant and a test here fails.

They run on the sample knowledge base (``articles/``), where the model has enough articles for
every rule to matter, and compute what each rule should give from the model's own cosines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kbsearch.corpus import text
from kbsearch.corpus.articles import visible_to
from kbsearch.corpus.loader import load_folder
from kbsearch.corpus.taxonomy import load_taxonomy
from kbsearch.ranking import model
from kbsearch.ranking.model import TfidfRanker
from kbsearch.ranking.suggest import suggest

SAMPLE = Path(__file__).resolve().parent.parent / "articles"


@pytest.fixture(scope="module")
def ranker() -> TfidfRanker:
    loaded = load_folder(SAMPLE, load_taxonomy(SAMPLE))
    shown = [(a, w) for a, w in zip(loaded.articles, loaded.words) if visible_to(a, "public")]
    return TfidfRanker().fit([a for a, _ in shown], [w for _, w in shown])


def scores(found) -> dict[str, float]:
    return {s.id: s.score for s in found}


def test_a_chosen_category_multiplies_its_articles_scores_by_1_25_and_its_subcategory_by_1_15(ranker):
    subject = "learners cannot see their course completion in the report"
    plain = scores(suggest(ranker, subject, "", limit=100))
    in_category = scores(suggest(ranker, subject, "", category="reporting", limit=100))
    in_subcategory = scores(suggest(ranker, subject, "", category="reporting", subcategory="exports", limit=100))
    category = ranker.in_facet("category", "reporting")
    subcategory = category & ranker.in_facet("subcategory", "exports")
    rows = {ranker.article_id(i): i for i in range(len(ranker))}
    assert any(category[rows[i]] for i in plain) and any(not category[rows[i]] for i in plain)
    assert any(subcategory[rows[i]] for i in plain)
    for article_id, score in plain.items():
        row = rows[article_id]
        assert in_category[article_id] == pytest.approx(score * (1.25 if category[row] else 1.0))
        expected = score * (1.25 if category[row] else 1.0) * (1.15 if subcategory[row] else 1.0)
        assert in_subcategory[article_id] == pytest.approx(expected)


def test_bm25f_is_fused_at_half_the_weight_of_the_cosine(ranker, monkeypatch):
    words = {"q": text.analyze_words("the scorm package upload fails with an error")}
    fused = ranker.score(words).scores
    monkeypatch.setattr(model, "BM25_SHARE", 0.0)
    cosine_only = ranker.score(words).scores
    bm25_part = fused - cosine_only  # BM25F scaled to its best article, times the share
    assert cosine_only.max() == pytest.approx(1.0)  # each channel is scaled to its best article
    assert bm25_part.max() == pytest.approx(0.5)
    assert np.all(bm25_part >= 0) and np.count_nonzero(bm25_part) > 1


def test_nothing_whose_cosine_is_0_06_or_below_is_suggested(ranker):
    subject = "the email"
    cosine = ranker.score({"subject": text.analyze_words(subject)}).cosine
    close = {ranker.article_id(i) for i in np.flatnonzero(cosine > 0.06)}
    near_miss = {ranker.article_id(i) for i in np.flatnonzero((cosine > 0.03) & (cosine <= 0.06))}
    assert close and near_miss  # the threshold decides something here
    assert {s.id for s in suggest(ranker, subject, "", limit=20)} == close


def test_related_articles_are_the_most_similar_with_a_cosine_of_0_1_or_more(ranker):
    for article_id in ("invoice-download", "sign-in-account-locked", "scorm-completion-not-recorded"):
        i = ranker.positions_[article_id]
        row = ranker.matrix_[i].tocsr()
        cosine = ranker.matrix_[:, row.indices] @ row.data
        cosine[i] = 0.0  # never itself
        order = [j for j in np.argsort(-cosine, kind="stable") if cosine[j] >= 0.1]
        assert ranker.related(article_id, limit=10) == [ranker.article_id(j) for j in order[:10]]
    i = ranker.positions_["invoice-download"]
    row = ranker.matrix_[i].tocsr()
    cosine = ranker.matrix_[:, row.indices] @ row.data
    assert np.any((cosine >= 0.05) & (cosine < 0.1))  # near misses the threshold leaves out


def test_subject_and_description_count_alike(ranker):
    one, other = "scorm package upload fails ", "the learners see a blank page after the import "
    swapped = scores(suggest(ranker, other, one, limit=100))
    assert scores(suggest(ranker, one, other, limit=100)) == pytest.approx(swapped)


def test_a_word_the_model_knows_by_its_stem_is_never_corrected(ranker):
    from kbsearch.ranking.suggest import correct_typos

    vocabulary = {"string": 5, "strings": 3}  # "storing" is rare: missing from the spelling vocabulary
    assert ranker.knows(text.stem("storing")) and "storing" not in vocabulary
    assert correct_typos(ranker, "storing the file", vocabulary) == "storing the file"
    assert correct_typos(ranker, "strng", vocabulary).endswith(" string")  # an unknown word still is
