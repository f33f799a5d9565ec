"""Operator command ``reindex`` (on ``kbsearch`` and ``flask --app kbsearch``); ``serve`` builds with it."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kbsearch.cases import db
from kbsearch.cases.learning import solved_cases
from kbsearch.corpus.loader import scan
from kbsearch.index import layout
from kbsearch.index.reindex import BuildError, BuildReport, build
from kbsearch.index.workers import WorkerFailed
from kbsearch.ranking.learned import PER_ARTICLE, Case

EXIT_REJECTED = 1  # some files were rejected; the rest went live
EXIT_NOT_SWITCHED = 2  # nothing went live: --strict refusal, nothing to build, or no space to build it


def learned_cases(database: Path) -> list[Case] | None:
    """The solved, linked cases of ``database`` a build learns from (None: there is no database yet)."""
    if not database.exists():
        return None
    opened = db.open_db(database)
    try:
        return [Case(*row) for row in solved_cases(opened, PER_ARTICLE)]
    finally:
        opened.close()


def run_build(articles: Path, index: Path, incremental: bool, strict: bool,
              ignore_keys: tuple[str, ...], learn: bool = True) -> BuildReport:
    """Build with a progress bar on a terminal; print the summary; exit non-zero on problems.

    With ``learn``, the build learns from the solved cases of ``DATABASE`` linked to its articles.

    :raise click.exceptions.Exit: with ``EXIT_REJECTED`` or ``EXIT_NOT_SWITCHED`` (click exits
        with it, and a caller can tell one from the other, as ``serve`` does).
    """
    audience = current_app.config["AUDIENCE"]
    ignore = ignore_keys or tuple(current_app.config["IGNORE_KEYS"])
    try:
        cases = learned_cases(Path(current_app.config["DATABASE"])) if learn else None
        if sys.stderr.isatty():
            with click.progressbar(length=len(scan(articles)[0]), label="reading articles",
                                   file=sys.stderr) as bar:
                report = build(articles, index, audience=audience, incremental=incremental,
                               strict=strict, ignore_keys=ignore, progress=bar.update, cases=cases)
        else:
            report = build(articles, index, audience=audience, incremental=incremental,
                           strict=strict, ignore_keys=ignore, cases=cases)
    except (BuildError, layout.BuildLocked, WorkerFailed, db.DatabaseBusy) as exc:
        click.echo(f"reindex failed, nothing was switched: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_NOT_SWITCHED) from None
    _print_summary(report)
    if cases is not None:
        click.echo(f"learned from {len(cases)} solved case(s) linked to {len({c.article_id for c in cases})} article(s)"
                   f" (at most {PER_ARTICLE} per article; those of articles this build does not serve teach nothing)")
    if not report.switched:
        click.echo(f"--strict: {len(report.rejected_files)} file(s) rejected, the served index is unchanged",
                   err=True)
        raise click.exceptions.Exit(EXIT_NOT_SWITCHED)
    if report.problems:
        raise click.exceptions.Exit(EXIT_REJECTED)
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
@click.option("--no-learn", is_flag=True, help="Learn nothing from the solved cases in DATABASE.")
@with_appcontext
def reindex_command(articles: Path | None, index: Path | None, incremental: bool, strict: bool,
                    ignore_keys: tuple[str, ...], no_learn: bool) -> None:
    """Validate the articles, build a new index and switch to it atomically.

    Exit status: 0 clean; 1 some files rejected (left out, the rest is live);
    2 nothing switched (--strict with rejected files, nothing to build, or no space
    on the index's volume: the message says about how much a build needs).

    \b
    Example:
        kbsearch reindex
        kbsearch reindex --incremental
        kbsearch reindex --no-learn
        kbsearch reindex --articles ../kb --index /srv/kb/index --strict
    """
    run_build(articles or Path(current_app.config["ARTICLES_DIR"]),
              index or Path(current_app.config["INDEX_DIR"]), incremental, strict, ignore_keys, not no_learn)
