"""The support team's commands: ``cases set-status`` and ``report``."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from kbsearch.cases import db, report, store
from kbsearch.web import current

cases_group = AppGroup("cases", help="Work with submitted cases.")


@cases_group.command("set-status")
@click.argument("number")
@click.argument("status", type=click.Choice(store.STATUSES))
@click.option("--solution", help="The answer shown to the customer on the case's status page.")
def set_status_command(number: str, status: str, solution: str | None) -> None:
    """Move case NUMBER to STATUS, optionally with the solution the customer will read.

    \b
    Example:
        kbsearch cases set-status CS-000123 open
        kbsearch cases set-status CS-000123 solved --solution "Reset the SSO certificate: ..."
    """
    database = current.get_db()
    try:
        store.set_status(database, number, status, solution)
    except store.CaseNotFound:
        raise click.ClickException(f"no case {number}") from None
    click.echo(f"{number}: {status}" + (" (solution saved)" if solution is not None else ""))


@click.command("report")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC), inclusive.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC), inclusive.")
@click.option("--format", "form", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--implicit-minutes", type=click.IntRange(1), default=None,
              help="Minutes after a click with no case that count as a deflection [IMPLICIT_DEFLECTION_MINUTES].")
@with_appcontext
def report_command(since, until, form: str, implicit_minutes: int | None) -> None:
    """Print the deflection funnel per day and in total.

    \b
    Example:
        kbsearch report
        kbsearch report --since 2026-11-01 --until 2026-11-30 --format csv > november.csv
    """
    minutes = implicit_minutes or current_app.config["IMPLICIT_DEFLECTION_MINUTES"]
    first: date | None = since.date() if since else None
    last: date | None = until.date() if until else None
    rows, total = report.funnel(current.get_db(), first, last, minutes)
    click.echo(report.render(rows, total, form, minutes))


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the case database (the server also does this on first use).

    \b
    Example:
        kbsearch init-db
        KBSEARCH_DATABASE=/srv/kb/cases.sqlite kbsearch init-db
    """
    database = db.open_db(current_app.config["DATABASE"])
    try:
        applied = db.migrate(database)
    finally:
        database.close()
    click.echo(f"{current_app.config['DATABASE']}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
