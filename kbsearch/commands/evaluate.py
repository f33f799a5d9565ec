"""``kbsearch evaluate``: replay a benchmark's judged queries through the served code."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kbsearch.commands.learn_half import learned_build
from kbsearch.index.layout import BuildLocked
from kbsearch.index.reindex import BuildError
from kbsearch.index.workers import WorkerFailed


@click.command("evaluate")
@click.argument("bench_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--split", default="dev", show_default=True, help="The folder holding queries.jsonl and qrels.tsv.")
@click.option("--peers", is_flag=True, help="Also run Whoosh search, plain TF-IDF and bm25s (if installed).")
@click.option("--search-page", "search", is_flag=True, help="Also run the subjects alone through the search page's code.")
@click.option("--format", "form", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              help="Where builds of benchmark articles are kept [instance/evaluate].")
@click.option("--learn-half", is_flag=True,
              help="File the even-numbered queries as solved cases, learn, and score the odd ones cold and warm.")
@with_appcontext
@click.pass_context
def evaluate_command(context: click.Context, bench_dir: Path, split: str, peers: bool, search: bool, form: str,
                     cache: Path | None, learn_half: bool) -> None:
    """Replay a benchmark's judged queries through the suggestions panel's code; print MRR@10 and more.

    Prints MRR@10, Recall@10, nDCG@10, queries answered with nothing, and per-query latency.
    The layout of BENCH_DIR is in README ("kbsearch evaluate").

    \b
    Example:
        kbsearch evaluate ../shared/benchmarks/stackfaq --peers
        kbsearch evaluate ../shared/benchmarks/stackfaq --search-page
        kbsearch evaluate ~/our-solved-cases --split 2026-q3 --format json
        kbsearch evaluate ../shared/benchmarks/stackfaq --learn-half --peers
    """
    from kbsearch.evaluation import evaluate
    from kbsearch.evaluation import peers as peer_engines

    try:
        benchmark = evaluate.load_benchmark(bench_dir, split)
    except evaluate.BenchmarkError as exc:
        raise click.ClickException(str(exc)) from None
    root = cache or Path(current_app.config["DATABASE"]).parent / "evaluate"
    try:
        served, built = evaluate.cached_build(benchmark.articles, root / benchmark.name,
                                              current_app.config["AUDIENCE"], tuple(current_app.config["IGNORE_KEYS"]))
    except (BuildError, BuildLocked, WorkerFailed) as exc:  # the benchmark's articles, as reindex reports them
        raise click.ClickException(f"cannot build the benchmark's articles: {exc}") from None
    click.echo(f"{benchmark.name} {split}: {len(benchmark.queries)} queries, {len(served.details)} articles "
               f"({'built' if built else 'cached build'} {served.path})", err=True)
    engines = [("kbsearch suggestions", evaluate.kbsearch_engine(served))]
    if learn_half:  # the warm build's folder stays until the command ends
        folder = Path(context.with_resource(tempfile.TemporaryDirectory()))
        try:
            warm, benchmark, filed = learned_build(benchmark, folder, served, current_app.config["AUDIENCE"],
                                                   tuple(current_app.config["IGNORE_KEYS"]))
        except (BuildError, BuildLocked, WorkerFailed) as exc:
            raise click.ClickException(f"cannot build the benchmark's articles with learning: {exc}") from None
        click.echo(f"--learn-half: {filed} even-numbered queries filed as solved cases, learned from "
                   f"{len(warm.learned or ())}; scoring the {len(benchmark.queries)} odd-numbered ones", err=True)
        engines = [("kbsearch, cold", engines[0][1]), ("kbsearch, warm (learned)", evaluate.kbsearch_engine(warm))]
    if search:
        engines.append(("kbsearch search page" + (", cold" if learn_half else ""), evaluate.search_page_engine(served)))
        if learn_half:
            engines.append(("kbsearch search page, warm", evaluate.search_page_engine(warm)))
    if peers:
        articles = evaluate.visible_articles(served)
        engines += [("whoosh search (BM25F)", peer_engines.whoosh_engine(served)),
                    ("plain TF-IDF cosine", peer_engines.tfidf_engine(articles))]
        bm25 = peer_engines.bm25s_engine(articles)
        if bm25 is None:
            click.echo("bm25s is not installed: pip install -e '.[bench]' to compare with it", err=True)
        else:
            engines.append(("bm25s", bm25))
    results = [evaluate.score(name, engine, benchmark) for name, engine in engines]
    if form == "json":
        click.echo(json.dumps({"benchmark": benchmark.name, "split": split,
                               "results": [dataclasses.asdict(r) for r in results]}, indent=2))
        return
    click.echo(f"{'engine':<24} {'MRR@10':>7} {'R@10':>7} {'nDCG@10':>7} {'empty':>6} {'p50 ms':>8} "
               f"{'p95 ms':>8} {'p99 ms':>8}")
    for r in results:
        click.echo(f"{r.engine:<24} {r.mrr:7.4f} {r.recall:7.4f} {r.ndcg:7.4f} {r.empty:6d} {r.p50_ms:8.2f} "
                   f"{r.p95_ms:8.2f} {r.p99_ms:8.2f}")
