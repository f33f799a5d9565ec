"""``kbsearch evaluate --learn-half``: what solved cases teach, measured through the real path.

The split's even-numbered queries (2nd, 4th, ... in file order) are opened as cases in a new
case database by the case store, and marked solved by their judged article exactly as the
team's API and ``kbsearch cases set-status --article`` do; the build then learns from them as
``kbsearch reindex`` does (``learned_cases``). The odd-numbered queries are scored, cold (the
benchmark's build, which learned nothing) and warm (the build that learned), on the same half.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from kbsearch.cases import conversation, db, store
from kbsearch.commands.reindex import learned_cases
from kbsearch.evaluation.evaluate import Benchmark
from kbsearch.index import layout, opened
from kbsearch.index.opened import Build
from kbsearch.index.reindex import build


def judged_article(judged: Mapping[str, int], served: Mapping) -> str | None:
    """The article a case about this query would be solved by: the most relevant one served (first listed on a tie)."""
    relevant = [(-r, n, a) for n, (a, r) in enumerate(judged.items()) if r > 0 and a in served]
    return min(relevant)[2] if relevant else None


def file_cases(benchmark: Benchmark, database: Path, served: Mapping) -> int:
    """Open each even-numbered query as a case and mark it solved by its judged article; return how many."""
    cases = db.open_db(database)
    try:
        db.migrate(cases)
        filed = 0
        for query in benchmark.queries[1::2]:
            article = judged_article(benchmark.judged[query.id], served)
            if article is None:
                continue
            created = store.create_case(cases, store.CaseInput(
                query.subject, "", "", query.description, "Benchmark", "benchmark@example.invalid"),
                database.parent / "attachments")
            change = conversation.read_change({"status": "solved", "solved_by": article}, served)
            conversation.update_case(cases, created.number, change)
            filed += 1
        return filed
    finally:
        cases.close()


def learned_build(benchmark: Benchmark, folder: Path, served: Build, audience: str,
                  ignore_keys: tuple[str, ...]) -> tuple[Build, Benchmark, int]:
    """The benchmark's articles built after learning from the even half; the odd half to score; cases filed."""
    database = folder / "cases.sqlite"
    filed = file_cases(benchmark, database, served.details)
    report = build(benchmark.articles, folder / "index", audience=audience, ignore_keys=ignore_keys, workers=1,
                   cases=learned_cases(database))
    odd = dataclasses.replace(benchmark, queries=benchmark.queries[0::2])
    return opened.load(layout.builds_dir(folder / "index") / report.build_id), odd, filed
