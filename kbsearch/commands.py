"""Operator commands: ``reindex`` and ``serve`` (on ``kbsearch`` and ``flask --app kbsearch``)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from kbsearch import builds
from kbsearch.build import BuildError, BuildReport, build
from kbsearch.loader import scan
from kbsearch.workers import WorkerFailed

EXIT_REJECTED = 1  # some files were rejected; the rest went live
EXIT_NOT_SWITCHED = 2  # nothing went live: --strict refusal, or nothing could be built


def init_app(app: Flask) -> None:
    app.cli.add_command(reindex_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(evaluate_command)


def run_build(articles: Path, index: Path, incremental: bool, strict: bool,
              ignore_keys: tuple[str, ...]) -> BuildReport:
    """Build with a progress bar on a terminal; print the summary; exit non-zero on problems."""
    audience = current_app.config["AUDIENCE"]
    ignore = ignore_keys or tuple(current_app.config["IGNORE_KEYS"])
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=len(scan(articles)[0]), label="reading articles",
                                   file=sys.stderr) as bar:
                report = build(articles, index, audience=audience, incremental=incremental,
                               strict=strict, ignore_keys=ignore, progress=bar.update)
        else:
            report = build(articles, index, audience=audience, incremental=incremental,
                           strict=strict, ignore_keys=ignore)
    except (BuildError, builds.BuildLocked, WorkerFailed) as exc:
        click.echo(f"reindex failed, nothing was switched: {exc}", err=True)
        sys.exit(EXIT_NOT_SWITCHED)
    _print_summary(report)
    if not report.switched:
        click.echo(f"--strict: {len(report.rejected_files)} file(s) rejected, the served index is unchanged",
                   err=True)
        sys.exit(EXIT_NOT_SWITCHED)
    if report.problems:
        sys.exit(EXIT_REJECTED)
    return report


def _print_summary(report: BuildReport) -> None:
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    by_reason: dict[str, list[str]] = defaultdict(list)
    for skipped in report.skipped:
        by_reason[skipped.reason].append(skipped.path)
    for reason, paths in by_reason.items():
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        click.echo(f"skipped {len(paths)}: {reason} ({shown})")
    mode = "incremental" if report.incremental else "full"
    click.echo(
        f"{mode} build: {report.files} files read, {report.parsed} parsed, {report.indexed} indexed "
        f"(visible to readers), {len(report.rejected_files)} rejected, {len(report.skipped)} skipped; "
        f"{report.seconds:.2f} s, {report.rate:.0f} articles/s"
        + (f"; build {report.build_id} is live" if report.switched else "")
    )
    counts = "; ".join(f"{key}: " + ", ".join(f"{v} {n}" for v, n in c.items()) for key, c in report.counts.items())
    click.echo(f"articles by {counts}")


@click.command("reindex")
@click.option("--articles", type=click.Path(file_okay=False, path_type=Path), help="Articles folder [ARTICLES_DIR].")
@click.option("--index", type=click.Path(file_okay=False, path_type=Path), help="Index folder [INDEX_DIR].")
@click.option("--incremental", is_flag=True, help="Re-read only added, changed and removed files.")
@click.option("--strict", is_flag=True, help="Switch nothing if any file is rejected.")
@click.option("--ignore-key", "ignore_keys", multiple=True, metavar="KEY",
              help="Treat a front-matter key as unknown (a foreign KB's `audience: itpro`). Repeatable.")
@with_appcontext
def reindex_command(articles: Path | None, index: Path | None, incremental: bool, strict: bool,
                    ignore_keys: tuple[str, ...]) -> None:
    """Validate the articles, build a new index and switch to it atomically.

    Exit status: 0 clean; 1 some files rejected (left out, the rest is live);
    2 nothing switched (--strict with rejected files, or nothing to build).

    \b
    Example:
        kbsearch reindex
        kbsearch reindex --incremental
        kbsearch reindex --articles ../kb --index /srv/kb/index --strict
    """
    run_build(articles or Path(current_app.config["ARTICLES_DIR"]),
              index or Path(current_app.config["INDEX_DIR"]), incremental, strict, ignore_keys)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@with_appcontext
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the app with gunicorn, building the index first if there is none.

    \b
    Example:
        kbsearch serve
        KBSEARCH_AUDIENCE=public kbsearch serve --host 0.0.0.0 --port 8080 --workers 4
    """
    index = Path(current_app.config["INDEX_DIR"])
    if builds.current_build(index) is None:
        click.echo(f"no index in {index}: building it first")
        try:
            run_build(Path(current_app.config["ARTICLES_DIR"]), index, False, False, ())
        except SystemExit as exc:
            if exc.code != EXIT_REJECTED:  # rejected files are reported; the rest is served
                raise
    args = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
            "--access-logfile", "-", "kbsearch:create_app()"]
    click.echo(f"serving on http://{host}:{port}")
    sys.stdout.flush()
    os.execv(sys.executable, args)



@click.command("evaluate")
@click.argument("bench_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--split", default="dev", show_default=True, help="The folder holding queries.jsonl and qrels.tsv.")
@click.option("--peers", is_flag=True, help="Also run Whoosh search, plain TF-IDF and bm25s (if installed).")
@click.option("--format", "form", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              help="Where builds of benchmark articles are kept [instance/evaluate].")
@with_appcontext
def evaluate_command(bench_dir: Path, split: str, peers: bool, form: str, cache: Path | None) -> None:
    """Replay a benchmark's judged queries through the suggestions panel's code; print MRR@10 and more.

    Prints MRR@10, Recall@10, nDCG@10, queries answered with nothing, and per-query latency.
    The layout of BENCH_DIR is in README ("kbsearch evaluate").

    \b
    Example:
        kbsearch evaluate ../shared/benchmarks/stackfaq --peers
        kbsearch evaluate ~/our-solved-cases --split 2026-q3 --format json
    """
    from kbsearch import evaluate
    from kbsearch import peers as peer_engines

    try:
        benchmark = evaluate.load_benchmark(bench_dir, split)
    except evaluate.BenchmarkError as exc:
        raise click.ClickException(str(exc)) from None
    root = cache or Path(current_app.config["DATABASE"]).parent / "evaluate"
    served, built = evaluate.cached_build(benchmark.articles, root / benchmark.name, current_app.config["AUDIENCE"],
                                          tuple(current_app.config["IGNORE_KEYS"]))
    click.echo(f"{benchmark.name} {split}: {len(benchmark.queries)} queries, {len(served.details)} articles "
               f"({'built' if built else 'cached build'} {served.path})", err=True)
    engines = [("kbsearch suggestions", evaluate.kbsearch_engine(served))]
    if peers:
        articles = evaluate.visible_articles(served)
        engines += [("whoosh search (BM25F)", evaluate.whoosh_engine(served)),
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
