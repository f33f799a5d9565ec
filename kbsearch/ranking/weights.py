"""Word weights as arrays: TF-IDF and BM25F, computed the same way at build time and per request.

Plain numpy and scipy, so a fitted model is data (``.npz``) that any later library version
reads, not a pickled estimator. The TF-IDF formulas are scikit-learn's ``TfidfTransformer``
defaults (smooth IDF, sublinear TF, L2 norm); tests check both agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp


def document_frequency(counts: sp.spmatrix) -> np.ndarray:
    """In how many rows each column occurs."""
    return np.bincount(counts.tocsr().indices, minlength=counts.shape[1]).astype(np.float32)


def smooth_idf(df: np.ndarray, n: int) -> np.ndarray:
    """``ln((1 + n) / (1 + df)) + 1``: as if one more document held every word once."""
    return (np.log((1.0 + n) / (1.0 + df.astype(np.float64))) + 1.0).astype(np.float32)


def tf(counts: np.ndarray, sublinear: bool) -> np.ndarray:
    return 1.0 + np.log(counts) if sublinear else counts


def tfidf_rows(counts: sp.csr_matrix, idf: np.ndarray, sublinear: bool = True) -> sp.csr_matrix:
    """Each row's TF-IDF weights, L2-normalised (an all-zero row stays zero)."""
    rows = counts.tocsr().astype(np.float64, copy=True)
    rows.data = tf(rows.data, sublinear) * idf[rows.indices]
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    rows.data /= np.repeat(norms, np.diff(rows.indptr))
    return rows.astype(np.float32)


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
    freq = total.data
    total.data = freq * (k1 + 1) / (freq + k1) * idf[total.indices]
    return total


def column_major(matrix: sp.spmatrix) -> sp.csc_matrix:
    """One column per word, indices sorted: a query reads only its own words' columns."""
    out = matrix.astype(np.float32).tocsc()
    out.sort_indices()
    return out
