"""Word weights as arrays: TF-IDF and BM25F, computed the same way at build time and per request.

Plain numpy and scipy, so a fitted model is data (``.npz``) that any later library version
reads, not a pickled estimator. The TF-IDF formulas are scikit-learn's ``TfidfTransformer``
defaults (smooth IDF, sublinear TF, L2 norm); tests check both agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from kbsearch.corpus.words import ArticleWords, Counts


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


# --- fitting from cached word counts ----------------------------------------------------
# A model is fitted from each article's counts of each word: in its title, its summary and
# tags, and its whole text (title, summary, tags and body). They are kept as one row per
# article over the words of that whole text, in the order of the words as strings, so a
# reindex can keep them per article and put rows of several builds together: the arrays are
# then exactly those a fit over all the articles at once makes, and so is the model.

FIELDS = 3  # rows of a counts array: title, summary and tags, whole text


@dataclass(frozen=True)
class Counted:
    """Articles' word counts, one row each: what a model is fitted from (see ``field_counts``)."""

    ids: Sequence[str]
    facets: Mapping[str, Sequence[str]]  # each facet's value, per article
    terms: Sequence[str]  # sorted, and each in some row
    indptr: np.ndarray
    columns: np.ndarray
    counts: np.ndarray


def field_counts(words: Sequence[ArticleWords]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Each article's counts of each word: ``(terms, indptr, columns, counts)``.

    ``terms`` are the words of all the articles, sorted; article ``i``'s words are
    ``columns[indptr[i]:indptr[i + 1]]`` (ascending) and ``counts`` holds, per word, how often
    its title, its summary and tags, and its whole text have it (shape ``(FIELDS, nnz)``).
    """
    fields = {name: [getattr(w, name) for w in words] for name in ("title", "summary", "tags", "body")}
    stems = {name: Counts.all_stems(rows) for name, rows in fields.items()}
    terms = sorted(set().union(*stems.values()))
    vocabulary = {term: j for j, term in enumerate(terms)}
    title, summary, tags, body = (_field_matrix(fields[name], stems[name], vocabulary)
                                  for name in ("title", "summary", "tags", "body"))
    summaries = summary + tags
    whole = (title + summaries + body).tocsr()
    whole.sort_indices()
    counts = np.zeros((FIELDS, whole.nnz), dtype=np.int32)
    counts[2] = whole.data
    keys = _rows(whole.indptr) * len(terms) + whole.indices
    for k, part in enumerate((title, summaries.tocsr())):
        part.sort_indices()
        at = np.searchsorted(keys, _rows(part.indptr) * len(terms) + part.indices)
        counts[k, at] = part.data
    return terms, whole.indptr.astype(np.int64), whole.indices.astype(np.int32), counts


def _rows(indptr: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))


def _field_matrix(rows: Sequence[Counts], stems: list[str], vocabulary: dict[str, int]) -> sp.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(row) for row in rows])
    indices = np.fromiter(map(vocabulary.__getitem__, stems), dtype=np.int32, count=len(stems))
    data = np.frombuffer(b"".join(row.counts for row in rows), dtype=np.uint32).astype(np.int32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary)))


def row_numbers(indptr: np.ndarray) -> np.ndarray:
    """The row of each stored value of a row-major matrix."""
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))


CHUNK = 1 << 20  # stored values worked on at a time: whole rows, in arrays the allocator reuses


def chunks(indptr: np.ndarray) -> list[tuple[int, int]]:
    """Stretches of whole rows of about CHUNK stored values: (first row, end row)."""
    cuts = np.searchsorted(indptr, np.arange(CHUNK, indptr[-1], CHUNK), side="right") - 1
    bounds = np.unique(np.r_[0, cuts[cuts > 0], len(indptr) - 1])
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def tfidf_values(counts: np.ndarray, indptr: np.ndarray, columns: np.ndarray, idf: np.ndarray,
                 field_weights: Sequence[float], sublinear: bool = True) -> np.ndarray:
    """The weighted sum of each field's ``tfidf_rows`` on a stored pattern (``counts`` as ``field_counts``).

    A row's weights depend on that row alone, so the whole text's are made a stretch of rows
    at a time: at 50,000 articles a whole-pattern array of float64 is 60 MB, and each new one
    costs the kernel more than the arithmetic. Titles and summaries are done where they have words.
    """
    idf = idf.astype(np.float64)
    out = np.empty(len(columns), dtype=np.float32)
    for first, end in chunks(indptr):
        at, local = slice(indptr[first], indptr[end]), indptr[first:end + 1] - indptr[first]
        out[at] = _normalised(counts[-1][at], columns[at], row_numbers(local), local, idf, sublinear)
    out *= field_weights[-1]
    at = [np.flatnonzero(counts[k]) for k in range(len(field_weights) - 1)]
    where = np.flatnonzero(np.any(counts[:len(at)], axis=0))
    parts = np.zeros(len(where), dtype=np.float32)
    for k, positions in enumerate(at):  # (title + summary) + whole, each scaled, as sparse matrices add
        rows = np.searchsorted(indptr, positions, side="right") - 1
        values = _normalised(counts[k][positions], columns[positions], rows, np.searchsorted(positions, indptr),
                             idf, sublinear)
        parts[np.searchsorted(where, positions)] += values.astype(np.float32) * field_weights[k]
    out[where] += parts
    return out


def _normalised(counts: np.ndarray, columns: np.ndarray, rows: np.ndarray, indptr: np.ndarray, idf: np.ndarray,
                sublinear: bool) -> np.ndarray:
    """TF-IDF weights of these stored values (``rows`` numbered from 0), each row's L2-normalised."""
    if not len(counts):
        return np.zeros(0)
    # 1 + ln(n) of each count n, looked up: most counts are small, and a logarithm costs more
    values = np.r_[0.0, tf(np.arange(1, int(counts.max()) + 1, dtype=np.float64), sublinear)][counts]
    scratch = np.take(idf, columns)
    values *= scratch
    norms = np.sqrt(row_sums(np.multiply(values, values, out=scratch), indptr))
    norms[norms == 0] = 1.0
    values /= np.take(norms, rows, out=scratch)
    return values


def row_sums(values: np.ndarray, indptr: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Each row's sum of its stored ``values``, in order (0 for a row with none)."""
    out = np.zeros(len(indptr) - 1, dtype=dtype)
    full = np.flatnonzero(np.diff(indptr))
    if len(full):
        out[full] = np.add.reduceat(values, indptr[:-1][full], dtype=dtype)
    return out


def bm25f_values(fields: Sequence[tuple[np.ndarray, float]], indptr: np.ndarray, columns: np.ndarray,
                 df: np.ndarray, k1: float, b: float) -> np.ndarray:
    """``bm25f`` on a stored pattern: each value's BM25F weight (a stretch of rows at a time)."""
    n = len(indptr) - 1
    scales = []
    for counts, weight in fields:
        length = row_sums(counts, indptr, np.int64).astype(np.float64)
        scales.append((weight / (1 - b + b * length / (length.mean() or 1.0))).astype(np.float32))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    out = np.empty(len(columns), dtype=np.float32)
    for first, end in chunks(indptr):
        at, rows = slice(indptr[first], indptr[end]), row_numbers(indptr[first:end + 1]) + first
        total = np.zeros(at.stop - at.start, dtype=np.float32)
        for (counts, _), scale in zip(fields, scales):
            total += np.multiply(scale[rows], counts[at], dtype=np.float32)
        values = total * (k1 + 1)
        total += k1
        values /= total
        out[at] = values * np.take(idf, columns[at], out=total)
    return out


def column_major_pair(indptr: np.ndarray, columns: np.ndarray, n_columns: int,
                      *values: np.ndarray) -> list[sp.csc_matrix]:
    """Matrices of one row-major pattern, made column-major (one column per word, indices sorted).

    Side by side: scipy lets go of the interpreter while it converts, so two cores do two at once.
    """
    shape = (len(indptr) - 1, n_columns)
    with ThreadPoolExecutor(len(values)) as threads:
        return list(threads.map(lambda data: sp.csr_matrix((data, columns, indptr), shape=shape).tocsc(), values))
