"""The knowledge loop's commands: ``kbsearch report [funnel|gaps|articles]`` and ``kbsearch events prune``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from kbsearch.cases import article_stats, events, gaps, loop_html, report
from kbsearch.cases.db import DatabaseBusy
from kbsearch.index.opened import IndexNotBuilt
from kbsearch.ranking import groups
from kbsearch.web import current

FORMATS = ("table", "json", "csv", "html")


def _period_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--format", "form", type=click.Choice(FORMATS), default=None,
                            help="table (default), json, csv, or html: the whole loop on one page.")(function)
    function = click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC), inclusive.")(function)
    return click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC), inclusive.")(function)


@click.group("report", cls=AppGroup, invoke_without_command=True)
@_period_options
@click.option("--implicit-minutes", type=click.IntRange(1), default=None,
              help="Minutes after a click with no case that count as a deflection [IMPLICIT_DEFLECTION_MINUTES].")
@click.pass_context
@with_appcontext
def report_group(ctx: click.Context, since, until, form: str | None, implicit_minutes: int | None) -> None:
    """The knowledge loop: the deflection funnel (the default), the gaps, and what each article does.

    \b
    Example:
        kbsearch report
        kbsearch report --since 2026-11-01 --until 2026-11-30 --format csv > november.csv
        kbsearch report gaps --since 2026-11-01
        kbsearch report articles --format json
        kbsearch report --format html > knowledge-loop.html
    """
    ctx.obj = {"since": since, "until": until, "form": form, "implicit_minutes": implicit_minutes}
    if ctx.invoked_subcommand is None:
        _emit("funnel", since, until, form, implicit_minutes)


@report_group.command("funnel")
@_period_options
@click.pass_context
def funnel_command(ctx: click.Context, since, until, form: str | None) -> None:
    """Form sessions per day and in total: shown, clicked, deflected, cases, and the link rate.

    \b
    Example:
        kbsearch report funnel --since 2026-11-01 --format json
    """
    _emit("funnel", *_inherit(ctx, since, until, form))


@report_group.command("gaps")
@_period_options
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Entries per list.")
@click.pass_context
def gaps_command(ctx: click.Context, since, until, form: str | None, limit: int) -> None:
    """What customers did not find: searches with no results or no click, case forms with no
    suggestion, cases sent despite suggestions (grouped by similar text), and articles to review.

    \b
    Example:
        kbsearch report gaps --since 2026-11-01
        kbsearch report gaps --format csv --limit 100 > gaps.csv
    """
    _emit("gaps", *_inherit(ctx, since, until, form), limit=limit)


@report_group.command("articles")
@_period_options
@click.pass_context
def articles_command(ctx: click.Context, since, until, form: str | None) -> None:
    """Per article: shown, clicked, votes, dismissed, deflected, cases after a view, linked cases.

    \b
    Example:
        kbsearch report articles --since 2026-11-01 --format csv > articles.csv
    """
    _emit("articles", *_inherit(ctx, since, until, form))


def _inherit(ctx: click.Context, since, until, form: str | None) -> tuple:
    """A sub-report's period and format, else those given to ``report`` itself."""
    outer = ctx.obj or {}
    return (since or outer.get("since"), until or outer.get("until"), form or outer.get("form"),
            outer.get("implicit_minutes"))


def _emit(which: str, since, until, form: str | None, implicit_minutes: int | None, limit: int = 20) -> None:
    form = form or "table"
    minutes = implicit_minutes or current_app.config["IMPLICIT_DEFLECTION_MINUTES"]
    first: date | None = since.date() if since else None
    last: date | None = until.date() if until else None
    database = current.get_db()
    if which == "funnel" and form != "html":
        rows, total = report.funnel(database, first, last, minutes)
        click.echo(report.render(rows, total, form, minutes))
        return
    build = _build()
    titles = {i: d["title"] for i, d in build.details.items()} if build else {}
    tally = article_stats.tally(database, first, last, minutes)
    if which == "articles" and form != "html":
        click.echo(article_stats.render(article_stats.articles(tally, titles), form))
        return
    grouper = _grouper(build.ranker) if build else None
    found = gaps.gaps(database, first, last, groups.query_key, grouper, tally, titles, limit)
    if form != "html":
        click.echo(gaps.render(found, form))
        return
    rows, total = report.funnel(database, first, last, minutes)
    period = f"from {first or 'the first record'} to {last or 'today'} (UTC)"
    click.echo(loop_html.page(report.as_json(rows, total, minutes), found, article_stats.articles(tally, titles),
                              period, _article_url, gaps.WELL_COVERED))


def _build():
    """The served build, for titles and the model; None without one (the reports still run)."""
    try:
        return current.get_build()
    except IndexNotBuilt as exc:
        click.echo(f"note: {exc}; article titles and text groups are left out", err=True)
        return None


def _grouper(ranker) -> gaps.Grouper:
    def group(texts: Sequence[str]):
        return groups.group(ranker, texts), groups.best_articles(ranker, texts)
    return group


def _article_url(article_id: str) -> str:
    """An article's address as customers see it (``PUBLIC_URL``), else its path on the portal."""
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/articles/{quote(article_id, safe='')}"


events_group = AppGroup("events", help="The events and searches recorded for the reports.")


@events_group.command("prune")
@click.option("--before", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Delete what was recorded before this day (UTC).")
def prune_command(before) -> None:
    """Delete events and searches recorded before a day; cases and their conversations are kept.

    \b
    Example:
        kbsearch events prune --before 2026-08-01
        kbsearch events prune --before "$(date -u -d '90 days ago' +%F)"
    """
    try:
        counts = events.prune(current.get_db(), before.date())
    except DatabaseBusy as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"deleted {counts['events']} events and {counts['searches']} searches recorded before "
               f"{before.date().isoformat()}")
