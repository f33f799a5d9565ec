"""Replaying judged queries: how often the right article reaches the top, and how fast.

A benchmark folder holds ``articles/`` (a knowledge base in our format), and per split
``<split>/queries.jsonl`` (``{"id", "subject", "description"}`` a line) and
``<split>/qrels.tsv`` (``query_id``, ``article_id``, ``relevance``, with a header). The
articles are built with the project's own build into a cache keyed by their content and
by kbsearch's own source, so a second run starts at once and a code change rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kbsearch.corpus.articles import Article
from kbsearch.corpus.loader import scan, taxonomy_path
from kbsearch.evaluation import metrics
from kbsearch.index import assemble, layout, opened
from kbsearch.index.opened import Build
from kbsearch.index.reindex import build
from kbsearch.ranking import results, suggest

Engine = Callable[[str, str], list[str]]  # (subject, description) -> article ids, best first
DIGEST_FILE = "SOURCE_DIGEST"


class BenchmarkError(Exception):
    """The benchmark folder is not in the expected layout; the message names file and line."""


@dataclass(frozen=True)
class Query:
    id: str
    subject: str
    description: str


@dataclass
class Benchmark:
    name: str
    articles: Path
    queries: list[Query]
    judged: dict[str, dict[str, int]]  # query id -> article id -> relevance


@dataclass
class Scores:
    engine: str
    mrr: float
    recall: float
    ndcg: float
    queries: int
    empty: int  # queries answered with nothing
    p50_ms: float
    p95_ms: float
    p99_ms: float


def load_benchmark(folder: Path, split: str = "dev") -> Benchmark:
    """Read a benchmark folder.

    :raise BenchmarkError: a missing file, or a bad line (named as ``file:line``).
    """
    folder = Path(folder)
    queries_file, qrels_file = folder / split / "queries.jsonl", folder / split / "qrels.tsv"
    for path in (folder / "articles", queries_file, qrels_file):
        if not path.exists():
            raise BenchmarkError(f"{path} is missing (see README, 'kbsearch evaluate', for the layout)")
    queries = []
    for number, line in enumerate(queries_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            queries.append(Query(str(row["id"]), str(row.get("subject") or ""), str(row.get("description") or "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchmarkError(f"{queries_file}:{number}: expected {{\"id\", \"subject\", \"description\"}} ({exc})")
    judged: dict[str, dict[str, int]] = {}
    for number, line in enumerate(qrels_file.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if number == 1 and parts[:1] == ["query_id"] or not line.strip():
            continue
        if len(parts) != 3 or not parts[2].strip().lstrip("-").isdigit():
            raise BenchmarkError(f"{qrels_file}:{number}: expected query_id<TAB>article_id<TAB>relevance")
        judged.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    known = {q.id for q in queries}
    queries = [q for q in queries if any(r > 0 for r in judged.get(q.id, {}).values())]
    if not queries:
        raise BenchmarkError(f"{queries_file}: no query has a relevant article in {qrels_file}")
    return Benchmark(folder.resolve().name, folder / "articles", queries,
                     {k: v for k, v in judged.items() if k in known})


def _digest(articles: Path, audience: str, ignore_keys: Sequence[str]) -> str:
    """What a build depends on: the article files, the settings and kbsearch's own code."""
    h = hashlib.sha256(f"{audience}\n{sorted(ignore_keys)}\n".encode())
    files, _ = scan(articles)
    extra = [taxonomy_path(articles)] if taxonomy_path(articles).exists() else []
    for path in [articles / rel for rel in files] + extra:
        h.update(path.relative_to(articles).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):  # every subpackage: any code change rebuilds
        h.update(source.relative_to(package).as_posix().encode() + hashlib.sha256(source.read_bytes()).digest())
    return h.hexdigest()


def cached_build(articles: Path, cache: Path, audience: str = "customer",
                 ignore_keys: Sequence[str] = ()) -> tuple[Build, bool]:
    """The build of ``articles``, reused from ``cache`` when nothing it depends on changed.

    :return: the build and whether it was built now.
    """
    digest = _digest(articles, audience, ignore_keys)
    current = layout.current_build(cache)
    if current is not None and (cache / DIGEST_FILE).exists() and (cache / DIGEST_FILE).read_text() == digest:
        return opened.load(current), False
    # one process, so one full-text segment: Whoosh's coordination bonus depends on how the
    # index is split, and the Whoosh peer must score the same on every machine
    report = build(articles, cache, audience=audience, ignore_keys=ignore_keys, workers=1)
    (cache / DIGEST_FILE).write_text(digest)
    return opened.load(layout.builds_dir(cache) / report.build_id), True


def visible_articles(served: Build) -> list[Article]:
    """The parsed articles the build serves, in the build's order (for peers to index the same set).

    Read from the build's rows, which are data: nothing is unpickled.
    """
    by_id = {a.id: a for a, _ in assemble.served_articles(served.path)}
    return [by_id[served.ranker.article_id(row)] for row in range(len(served.ranker))]


def kbsearch_engine(served: Build, limit: int = metrics.K, min_score: float = suggest.MIN_SCORE) -> Engine:
    """Exactly the suggestions panel's path: ``suggest.suggest`` with the build's vocabulary."""
    def answer(subject: str, description: str) -> list[str]:
        found = suggest.suggest(served.ranker, subject, description, None, None, limit, min_score=min_score,
                                vocabulary=served.vocabulary, synonyms=served.synonyms,
                                learned=served.learned)
        return [s.id for s in found]
    return answer


def search_page_engine(served: Build, limit: int = metrics.K) -> Engine:
    """Exactly the search page's path: the subject alone as a short query through ``results.search_page``."""
    def answer(subject: str, description: str) -> list[str]:
        found = results.search_page(served, subject or description, None, 1, limit)
        return [c.id for c in found.results + found.more]  # page 1 as shown: "some of your words" below
    return answer


def score(name: str, engine: Engine, benchmark: Benchmark) -> Scores:
    """Run every query through ``engine``; mean metrics and latency percentiles."""
    rr, rec, gain, times, empty = [], [], [], [], 0
    for query in benchmark.queries:
        started = time.perf_counter()
        ranked = engine(query.subject, query.description)
        times.append((time.perf_counter() - started) * 1000)
        judged = benchmark.judged[query.id]
        empty += not ranked
        rr.append(metrics.reciprocal_rank(ranked, judged))
        rec.append(metrics.recall(ranked, judged))
        gain.append(metrics.ndcg(ranked, judged))
    n = len(benchmark.queries)
    return Scores(name, sum(rr) / n, sum(rec) / n, sum(gain) / n, n, empty,
                  metrics.percentile(times, 50), metrics.percentile(times, 95), metrics.percentile(times, 99))
