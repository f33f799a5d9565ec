#!/usr/bin/env python3
"""Latency of suggestions and search, in-process, warm, one thread.

Builds the articles of ARTICLES_DIR (optionally replicated N times with distinct ids) with
the project's own build code into a temporary folder, then times, for the same texts:

- suggestions for short subjects (2-4 words, the last one half typed) and ~100-word descriptions,
- the search page's query for short queries (matching, ranking, facets, snippets, did-you-mean),
  on a build just opened and on one that has answered other queries (common words' postings kept),
- plain Whoosh (an OR of every word through its default query parser) and bm25s (when the
  `bench` extra is installed) as peers; plain Whoosh gets at most --peer-queries texts per row,
  as a ~100-word OR query takes seconds at 50,000 articles.

Texts are cut from the articles themselves with a fixed seed, so runs are comparable.
``--linked-cases N`` also files N synthetic solved cases, each linked to a random article
(subject: words of its title; description: ~40 words of its body, fixed seed), learns from
them as a reindex does (timed), and times every row with them.

Example:
    python scripts/bench_suggest.py articles
    python scripts/bench_suggest.py ../shared/corpora/ms-support/articles --ignore-key audience --replicate 9
    python scripts/bench_suggest.py ../shared/corpora/ms-support/articles --ignore-key audience --replicate 9 \
        --linked-cases 50000
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from whoosh.qparser import MultifieldParser, OrGroup

from kbsearch.corpus.articles import visible_to
from kbsearch.corpus.loader import load_folder
from kbsearch.corpus.taxonomy import load_taxonomy
from kbsearch.evaluation import peers
from kbsearch.evaluation.metrics import percentile
from kbsearch.index import fulltext, matching, textstore
from kbsearch.index.opened import Build
from kbsearch.index.reindex import catalog
from kbsearch.index.textstore import TextStore
from kbsearch.ranking import results as result_pages
from kbsearch.ranking import spelling
from kbsearch.ranking.learned import PER_ARTICLE, Case, Learned
from kbsearch.ranking.model import TfidfRanker
from kbsearch.ranking.suggest import suggest


def percentiles(samples: list[float]) -> dict[str, float]:
    return {f"p{q}": percentile(samples, q) for q in (50, 95, 99)}


def timed(fn, texts) -> dict[str, float]:
    for text in texts[:5]:  # warm caches (stemmer, page cache)
        fn(text)
    samples = []
    for text in texts:
        start = time.perf_counter()
        fn(text)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def make_texts(articles, count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    shorts, longs = [], []
    for article in rng.sample(articles, min(count, len(articles))):
        words = re.findall(r"[A-Za-z]{3,}", article.title)
        if len(words) >= 2:
            n = rng.randint(2, min(4, len(words)))
            chosen = words[:n]
            chosen[-1] = chosen[-1][: max(3, len(chosen[-1]) * 2 // 3)]  # still being typed
            shorts.append(" ".join(chosen).lower())
        body = article.text.split()
        if len(body) >= 120:
            start = rng.randint(0, len(body) - 100)
            longs.append(" ".join(body[start:start + 100]))
    return shorts, longs


def make_cases(articles, count: int, seed: int = 11) -> list[Case]:
    """``count`` solved cases cut from random articles (at most ``PER_ARTICLE`` each, as a reindex reads them)."""
    rng = random.Random(seed)
    cases, per = [], {}
    while len(cases) < count and len(per) < len(articles) * PER_ARTICLE:
        article = rng.choice(articles)
        if per.get(article.id, 0) >= PER_ARTICLE:
            continue
        per[article.id] = per.get(article.id, 0) + 1
        title = re.findall(r"[A-Za-z]{3,}", article.title)
        body = article.text.split()
        start = rng.randint(0, max(0, len(body) - 40))
        cases.append(Case(article.id, " ".join(rng.sample(title, min(len(title), 4))), " ".join(body[start:start + 40])))
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles_dir", type=Path)
    parser.add_argument("--replicate", type=int, default=1, help="copies of every article, with distinct ids")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--peer-queries", type=int, default=60, help="texts per plain-Whoosh row")
    parser.add_argument("--ignore-key", action="append", default=[], help="as for kbsearch reindex")
    parser.add_argument("--linked-cases", type=int, default=0, help="synthetic solved cases linked to articles")
    args = parser.parse_args(argv)

    loaded = load_folder(args.articles_dir, load_taxonomy(args.articles_dir), args.ignore_key)
    shown = [(a, w) for a, w in zip(loaded.articles, loaded.words) if visible_to(a, "customer")]
    base = [a for a, _ in shown]
    pairs = [(dataclasses.replace(a, id=f"{a.id}--r{k}") if k else a, w)
             for k in range(args.replicate) for a, w in shown]
    articles = [a for a, _ in pairs]
    print(f"{len(articles)} articles ({len(base)} x {args.replicate}) from {args.articles_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ranker = TfidfRanker().fit(articles, [w for _, w in pairs])
        # the served path corrects typos against the build's vocabulary: time it too
        vocabulary = spelling.build_vocabulary(w.spelling() for _, w in pairs)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        fulltext.write_index(pairs, Path(tmp) / "whoosh")
        index_s = time.perf_counter() - start
        print(f"build: TF-IDF fit + vocabulary {fit_s:.1f} s, Whoosh index {index_s:.1f} s")
        ix = fulltext.open_index(Path(tmp) / "whoosh")
        textstore.write(Path(tmp), (a.text for a in articles))
        learned = None
        if args.linked_cases:
            cases = make_cases(articles, args.linked_cases)
            start = time.perf_counter()
            learned = Learned().fit(cases, ranker.positions_).bind(ranker.positions_)
            print(f"learned from {len(learned)} linked cases in {time.perf_counter() - start:.1f} s")
        served = Build("bench", Path(tmp), {}, ix, ranker, catalog(articles), vocabulary, TextStore(Path(tmp)),
                       learned=learned, matcher=matching.Matcher(ix, ranker))
        shorts, longs = make_texts(base, args.queries)
        # The search page keeps the postings of common words once read (``fulltext._term_docs``):
        # time it on a build just opened, and on another that has served other queries first.
        others, _ = make_texts(base, args.queries, seed=8)
        others = sorted(set(others) - set(shorts))
        ix_warm = fulltext.open_index(Path(tmp) / "whoosh")
        served_warm = Build("bench", Path(tmp), {}, ix_warm, ranker, catalog(articles), vocabulary,
                            TextStore(Path(tmp)), learned=learned, matcher=matching.Matcher(ix_warm, ranker))
        for text in others:
            result_pages.search_page(served_warm, text)
        plain = MultifieldParser(["title", "text"], ix.schema, group=OrGroup)

        def whoosh_plain(text: str) -> None:
            with ix.searcher() as searcher:
                [hit["id"] for hit in searcher.search(plain.parse(text), limit=10)]

        start = time.perf_counter()
        bm25 = peers.bm25s_engine(articles)
        if bm25 is not None:
            print(f"bm25s index {time.perf_counter() - start:.1f} s")
        few = args.peer_queries
        rows = [
            ("suggest, short subject", shorts, lambda t: suggest(ranker, t, "", vocabulary=vocabulary,
                                                                 learned=learned)),
            ("suggest, ~100-word description", longs, lambda t: suggest(ranker, "", t, vocabulary=vocabulary,
                                                                        learned=learned)),
            ("search page, short, build just opened", shorts, lambda t: result_pages.search_page(served, t)),
            (f"search page, short, after {len(others)} others", shorts,
             lambda t: result_pages.search_page(served_warm, t)),
            (f"plain Whoosh OR, short query ({min(few, len(shorts))})", shorts[:few], whoosh_plain),
            (f"plain Whoosh OR, ~100 words ({min(few, len(longs))})", longs[:few], whoosh_plain),
        ]
        if bm25 is not None:
            rows += [("bm25s, short query", shorts, lambda t: bm25(t, "")),
                     ("bm25s, ~100 words", longs, lambda t: bm25("", t))]
        results = {}
        heading = f"ms, {len(shorts)} short / {len(longs)} long texts"
        print(f"{heading:44} {'p50':>8} {'p95':>8} {'p99':>8}")
        for name, texts, fn in rows:
            results[name] = timed(fn, texts)
            r = results[name]
            print(f"{name:44} {r['p50']:8.2f} {r['p95']:8.2f} {r['p99']:8.2f}")
        ours = results["suggest, ~100-word description"]
        whoosh_long = results[rows[5][0]]
        print(f"plain Whoosh / kbsearch suggestions, ~100 words, p50: {whoosh_long['p50'] / ours['p50']:.1f}x")
        if bm25 is not None:
            theirs = results["bm25s, ~100 words"]
            print(f"kbsearch suggestions / bm25s, ~100 words: p50 {ours['p50'] / theirs['p50']:.2f}x, "
                  f"p99 {ours['p99'] / theirs['p99']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
