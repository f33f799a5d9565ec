"""Grouping what customers wrote, for the gaps report: the same question however it is worded.

Queries are grouped by their key: the stems of their words, each once, in alphabetical order, so
case, word forms and word order do not split a group ("Reset passwords" = "password reset").
Longer texts (a case's subject and description) are grouped by similarity in the served model's
own TF-IDF space (its vocabulary, IDF weights and sublinear term frequencies), and each is given
the article the model scores best for it, with that article's cosine: a group whose best cosine
stays low is a problem no article covers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from kbsearch.corpus import text as analysis
from kbsearch.ranking import weights
from kbsearch.ranking.model import TfidfRanker

SAME_PROBLEM = 0.3  # a text joins a group when its cosine with the group's centre is at least this


def query_key(query: str) -> str:
    """The key queries are grouped by: sorted distinct stems; the lower-cased text when it has none."""
    stems = sorted(set(analysis.analyze(query)))
    return " ".join(stems) if stems else " ".join(query.lower().split())


def vectors(ranker: TfidfRanker, texts: Sequence[str]) -> sp.csr_matrix:
    """Each text as the model weighs words (its vocabulary and IDF), L2-normalised; unknown words left out."""
    vocabulary = ranker.vocabulary_
    indptr, indices, counts = [0], [], []
    for text in texts:
        counted = Counter(j for stem in analysis.analyze(text) if (j := vocabulary.get(stem)) is not None)
        for column in sorted(counted):
            indices.append(column)
            counts.append(counted[column])
        indptr.append(len(indices))
    matrix = sp.csr_matrix((np.array(counts, dtype=np.float64), np.array(indices, dtype=np.int64),
                            np.array(indptr, dtype=np.int64)), shape=(len(texts), len(vocabulary)))
    return weights.tfidf_rows(matrix, ranker.idf_, ranker.sublinear_tf)


def group(ranker: TfidfRanker, texts: Sequence[str], threshold: float = SAME_PROBLEM) -> list[list[int]]:
    """Positions of ``texts`` grouped by similarity, each group in the given order, largest group first.

    Each text, in turn, joins the group whose centre (the mean of its members' vectors) is closest
    if that cosine is at least ``threshold``, else starts a group. A text with no known word is a
    group of its own.
    """
    rows = vectors(ranker, texts)
    groups: list[list[int]] = []
    centres: list[np.ndarray] = []
    for i in range(len(texts)):
        row = rows[i].toarray().ravel()
        best, similarity = -1, 0.0
        if row.any():
            for g, centre in enumerate(centres):
                norm = np.linalg.norm(centre)
                cosine = float(row @ centre / norm) if norm else 0.0
                if cosine > similarity:
                    best, similarity = g, cosine
        if best >= 0 and similarity >= threshold:
            groups[best].append(i)
            centres[best] = centres[best] + (row - centres[best]) / len(groups[best])
        else:
            groups.append([i])
            centres.append(row)
    return sorted(groups, key=lambda members: (-len(members), members[0]))


def best_articles(ranker: TfidfRanker, texts: Sequence[str]) -> list[tuple[str | None, float]]:
    """For each text, the article with the highest TF-IDF cosine and that cosine (None, 0.0: no known word)."""
    best: list[tuple[str | None, float]] = []
    for text in texts:
        scored = ranker.score({"text": analysis.analyze_words(text)})
        if scored is None:
            best.append((None, 0.0))
            continue
        row = int(np.argmax(scored.cosine))
        best.append((ranker.article_id(row), round(float(scored.cosine[row]), 4)))
    return best
