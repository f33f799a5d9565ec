"""A build's cache, model, catalog, texts, pages and vocabulary, from the rows of the articles it serves.

The fresh articles' rows go into one new segment; the previous build's segments are
hard-linked; then every output is made from the rows in order with whole-array operations
(the model from the rows' word counts, the vocabulary from counts of spelling words kept up
to date by adding and taking away the changed articles'). A full build takes the same path
with every article fresh, so an incremental build's files equal a full build's.

Segments pile up, and so do the unused rows of changed articles in them: past
``MAX_SEGMENTS`` the small ones are merged into one, and once unused rows are over
``MAX_UNUSED`` of those served, every row is written again into one segment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from kbsearch.corpus.articles import Article, visible_to
from kbsearch.corpus.words import ArticleWords
from kbsearch.index import cache, layout, rowstore, textstore
from kbsearch.index.cache import CODED, State
from kbsearch.index.incremental import Fresh, Update
from kbsearch.index.rowread import Store, runs
from kbsearch.ranking import spelling, weights
from kbsearch.ranking.learned import Case, Learned
from kbsearch.ranking.model import TfidfRanker

MAX_SEGMENTS = 8
MAX_UNUSED = 0.2


def next_state(previous: State | None, previous_folder: Path | None, update: Update, audience: str,
               fingerprint: str, folder: Path) -> State:
    """The cache of the build in ``folder``, whose row segments it writes or links there."""
    if previous is None:
        previous = State(fingerprint, [], *_empty())
    old = update.carried >= 0
    shown = [f for f in update.fresh if visible_to(f.article, audience)]
    segment = previous.next_segment
    state = State(fingerprint, [], *_empty(len(update.carried)), terms=previous.terms, words=previous.words,
                  labels=previous.labels, next_segment=segment + 1)
    for name in ("hidden", "digests", "id_keys", "id_lines", "codes", "segments", "rows"):
        getattr(state, name)[old] = getattr(previous, name)[update.carried[old]]
    state.signatures = update.signatures
    paths = np.array(previous.paths + [""], dtype=object)[update.carried]  # fresh ones (-1) are set below
    served = 0
    for position, f in zip(np.flatnonzero(~old).tolist(), update.fresh):
        visible = visible_to(f.article, audience)
        paths[position] = f.rel if visible else cache.key(f.rel).hex()
        state.hidden[position] = not visible
        state.digests[position] = f.digest.encode()
        state.id_keys[position] = cache.key(f.article.id)
        state.id_lines[position] = f.article.id_line
        state.codes[position] = [state.code(k, getattr(f.article, name)) for k, name in enumerate(CODED)]
        state.segments[position], state.rows[position] = (segment, served) if visible else (-1, -1)
        served += visible
    state.paths = paths.tolist()
    _count_words(state, previous, previous_folder, update, [f.words for f in shown])
    live = np.bincount(state.segments[state.served], minlength=segment + 1)
    for k in previous.stored:
        if live[k]:
            rowstore.link(previous_folder, folder, k)
            state.stored[k] = previous.stored[k]
    if shown:
        rowstore.write(folder, segment, rowstore.encode([f.article for f in shown], [f.words for f in shown],
                                                        state.terms, folder, segment, _pages(update, shown)))
        state.stored[segment] = len(shown)
    return _tidy(state, folder, live)


def _pages(update: Update, shown: list[Fresh]) -> Iterator[bytes | None] | None:
    """The page of each article shown that a worker process rendered (None for the others), read one by one."""
    return (update.rendered.get(f.rel) for f in shown) if update.rendered is not None else None


def _empty(n: int = 0) -> list[np.ndarray]:
    return [np.zeros(n, dtype=bool), np.zeros((n, 5), dtype=np.int64), np.zeros(n, dtype="S64"),
            np.zeros(n, dtype="S16"), np.zeros(n, dtype=np.int32), np.zeros((n, len(CODED)), dtype=np.int32),
            np.full(n, -1, dtype=np.int32), np.full(n, -1, dtype=np.int32)]


def _count_words(state: State, previous: State, previous_folder: Path | None, update: Update,
                 added: list[ArticleWords]) -> None:
    """Spelling words: the previous counts, less the dropped articles', plus the fresh ones'."""
    dropped = update.dropped[previous.segments[update.dropped] >= 0]
    gone = Store(previous_folder).analyses(runs(previous.segments[dropped], previous.rows[dropped])) if len(
        dropped) else []
    (less_words, less_titled), (more_words, more_titled) = (rowstore.spelling_counts(words, state.words)
                                                            for words in (gone, added))
    for name, less, more in (("word_counts", less_words, more_words), ("title_counts", less_titled, more_titled)):
        total = np.zeros(len(state.words), dtype=np.int64)
        for counts in (getattr(previous, name), -_sized(less, len(total)), _sized(more, len(total))):
            total[:len(counts)] += counts
        setattr(state, name, total)


def _sized(counts: np.ndarray, size: int) -> np.ndarray:
    return np.concatenate([counts, np.zeros(size - len(counts), dtype=counts.dtype)])


def _tidy(state: State, folder: Path, live: np.ndarray) -> State:
    """Merge the small segments into one, or write every row again once too many are unused."""
    served = state.served
    if sum(state.stored.values()) - len(served) > MAX_UNUSED * len(served):
        merged = list(state.stored)
    elif len(state.stored) > MAX_SEGMENTS:
        merged = sorted(state.stored, key=lambda k: live[k])[:-1]  # all but the largest
    else:
        return state
    moved = served[np.isin(state.segments[served], merged)]
    rows = Store(folder).rows(runs(state.segments[moved], state.rows[moved]))
    if len(merged) == len(state.stored):  # everything: the tables lose the strings no row uses
        used = np.zeros(len(state.terms), dtype=bool)
        used[rows.terms] = True
        state.terms, numbers = state.terms.compacted(used)
        rows.terms = numbers[rows.terms].astype(np.int32)
        state.words, numbers = state.words.compacted(state.word_counts > 0)
        for name in ("word_counts", "title_counts"):
            counts = np.zeros(len(state.words), dtype=np.int64)
            counts[numbers[numbers >= 0]] = getattr(state, name)[numbers >= 0]
            setattr(state, name, counts)
    for k in merged:
        for path in rowstore.files(folder, k).values():
            path.unlink()
        del state.stored[k]
    segment = state.next_segment
    rowstore.write(folder, segment, rows)
    state.stored[segment] = len(moved)
    state.segments[moved], state.rows[moved] = segment, np.arange(len(moved))
    state.next_segment = segment + 1
    return state


def served_runs(state: State) -> list[tuple[int, int, int]]:
    served = state.served
    return runs(state.segments[served], state.rows[served])


def write_outputs(state: State, folder: Path, previous: Path | None = None, cases: Sequence[Case] | None = None) -> int:
    """Write the model, catalog, texts, pages, vocabulary and cache of the build in ``folder``; return its rows.

    A catalog equal to the ``previous`` build's (an edit of a body) is linked, not written again.
    ``cases`` (None: learn nothing) are learned from when linked to an article the build serves.
    """
    stretches, store = served_runs(state), Store(folder)
    ids, facets = store.meta(stretches)
    terms, counts, indptr = store.counts(stretches)
    used = np.zeros(len(state.terms), dtype=bool)
    used[terms] = True
    table, numbers = state.terms.compacted(used)  # the model's terms: those its rows use, in order
    if not np.array_equal(numbers, np.arange(len(numbers))):  # unless all are used, none added since a full build
        terms = numbers.astype(np.int32)[terms]
    counted = weights.Counted(ids, facets, table.items, indptr, terms, counts)
    with ThreadPoolExecutor(1) as thread:  # the model's arrays are written while the rest is made
        saved = thread.submit(TfidfRanker().fit(counted).save, folder / layout.MODEL)
        _write_or_link(folder / layout.CATALOG, b"{" + store.joined(stretches, "catalog")[2:] + b"}",
                       previous / layout.CATALOG if previous else None)
        for part in rowstore.SERVED:  # texts for snippets, HTML for article pages
            textstore.write_rows(folder, store.text_rows(stretches, part), part)
        spelling.save(spelling.vocabulary_from_counts(state.words.items, state.word_counts, state.title_counts,
                                                      state.words.order), folder / layout.VOCABULARY)
        cache.save(state, folder)
        if cases is not None:  # every build learns anew from what it is given: new links need no full build
            Learned().fit(cases, set(ids)).save(folder / layout.LEARNED)
        saved.result()
    return len(ids)


def _write_or_link(path: Path, data: bytes, same: Path | None) -> None:
    try:
        if same is not None and same.stat().st_size == len(data) and same.read_bytes() == data:
            os.link(same, path)  # never written again, as every file of a published build
            return
    except OSError:
        pass
    path.write_bytes(data)


def served_articles(folder: Path, state: State | None = None) -> list[tuple[Article, ArticleWords]]:
    """The articles build ``folder`` serves, in its rows' order, with their analyses, as the loader
    gave them: no file is read again, and nothing is unpickled.

    :raise FileNotFoundError: the build has no cache (it was made before there was one).
    """
    state = state or cache.load(folder)
    if state is None:
        raise FileNotFoundError(f"no reindex cache in {folder}")
    stretches, store = served_runs(state), Store(folder)
    return list(zip(store.articles(stretches), store.analyses(stretches)))
