#!/usr/bin/env python3
"""Reindex speed: full builds, and one changed article with --incremental.

Copies ARTICLES_DIR N times into a temporary folder (r0/, r1/, ...: ids come from paths, so
they stay distinct) and, in the same run:

- full builds with the default worker processes (one per core), and with one process as the
  peer: the same code without parallelism (``--no-peer`` leaves it out, for quicker runs);
- incremental builds after appending a sentence to one article.

Each row prints the median and spread over --runs runs, seconds and articles/s. With
``--linked-cases N`` every build also learns from N synthetic solved cases linked to random
articles (subject: the file's first heading, description: ~40 of its words; fixed seed).

Example:
    python scripts/bench_reindex.py ../shared/corpora/ms-support/articles --ignore-key audience
    python scripts/bench_reindex.py ../shared/corpora/ms-support/articles --ignore-key audience --replicate 9 --runs 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
from pathlib import Path

from kbsearch.corpus.loader import scan
from kbsearch.index import layout
from kbsearch.index.reindex import build
from kbsearch.ranking.learned import PER_ARTICLE, Case


def copy(articles: Path, target: Path, replicate: int) -> Path:
    if replicate == 1:
        return Path(shutil.copytree(articles, target))
    target.mkdir()
    for k in range(replicate):
        shutil.copytree(articles, target / f"r{k}")
    return target


def make_cases(articles: Path, paths: list[str], count: int, seed: int = 11) -> list[Case]:
    """``count`` solved cases cut from random files (at most ``PER_ARTICLE`` each), linked by their path ids."""
    rng = random.Random(seed)
    cases: list[Case] = []
    per: dict[str, int] = {}
    while len(cases) < min(count, len(paths) * PER_ARTICLE):
        rel = rng.choice(paths)
        if per.get(rel, 0) >= PER_ARTICLE:
            continue
        per[rel] = per.get(rel, 0) + 1
        text = (articles / rel).read_text(encoding="utf-8", errors="replace")
        words = text.split()
        heading = next((line[2:] for line in text.splitlines() if line.startswith("# ")), rel)
        start = rng.randint(0, max(0, len(words) - 40))
        cases.append(Case(rel.removesuffix(".md").replace("/", "--"), heading, " ".join(words[start:start + 40])))
    return cases


def row(name: str, seconds: list[float], files: int) -> None:
    median = statistics.median(seconds)
    print(f"{name:44} {median:8.2f} s  {files / median:8.0f} articles/s   "
          f"(runs: {', '.join(f'{s:.2f}' for s in seconds)})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles_dir", type=Path)
    parser.add_argument("--replicate", type=int, default=1, help="copies of every article, with distinct ids")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ignore-key", action="append", default=[], help="as for kbsearch reindex")
    parser.add_argument("--no-peer", action="store_true", help="skip the full builds in one process")
    parser.add_argument("--linked-cases", type=int, default=0, help="synthetic solved cases each build learns from")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        articles = copy(args.articles_dir, Path(tmp) / "articles", args.replicate)
        paths = scan(articles)[0]
        files = len(paths)
        print(f"{files} files ({args.replicate} x {args.articles_dir}); {os.cpu_count()} cores")
        cases = make_cases(articles, paths, args.linked_cases) if args.linked_cases else None
        full, alone, incremental = [], [], []
        for run in range(args.runs):
            index = Path(tmp) / f"index-{run}"
            full.append(build(articles, index, ignore_keys=args.ignore_key, cases=cases).seconds)
            if not args.no_peer:
                alone.append(build(articles, Path(tmp) / f"alone-{run}", ignore_keys=args.ignore_key,
                                   workers=1, cases=cases).seconds)
                shutil.rmtree(Path(tmp) / f"alone-{run}")
        target = articles / paths[files // 2]
        for run in range(args.runs):
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(f"\nOne more sentence, edit {run}.\n")
            report = build(articles, Path(tmp) / "index-0", ignore_keys=args.ignore_key, incremental=True,
                           cases=cases)
            assert report.incremental and report.parsed == 1, "the incremental build should parse one file"
            incremental.append(report.seconds)
        if cases is not None:
            learned = json.loads((layout.current_build(Path(tmp) / "index-0") / f"{layout.LEARNED}.json").read_text())
            print(f"each build learned from {len(learned['articles'])} of {len(cases)} linked cases")
        row("full build, worker processes", full, files)
        if alone:
            row("full build, one process (peer)", alone, files)
        row("incremental, one article changed", incremental, files)
        if alone:
            print(f"full build speed-up over one process: {statistics.median(alone) / statistics.median(full):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
