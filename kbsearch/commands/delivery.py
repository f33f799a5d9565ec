"""``kbsearch deliver``: send the outbox's emails and webhooks, list and re-queue failed ones."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from kbsearch.cases import db, delivery, outbox


@click.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron and tests).")
@click.option("--failed", "list_failed", is_flag=True, help="List the messages given up on, then exit.")
@click.option("--retry", "retry_id", metavar="ID", help="Make a failed message due now (its id or delivery id).")
@with_appcontext
def deliver_command(once: bool, list_failed: bool, retry_id: str | None) -> None:
    """Send the emails and webhooks cases queued, retrying failures, until SIGTERM or Ctrl-C.

    Any number of deliverers may run at once: each message is sent by one at a time, at least
    once, with the same delivery id on every attempt.

    \b
    Example:
        kbsearch deliver
        kbsearch deliver --once
        kbsearch deliver --failed
        kbsearch deliver --retry 42
    """
    if once + list_failed + bool(retry_id) > 1:
        raise click.UsageError("use one of --once, --failed and --retry")
    settings = outbox.Settings.from_config(current_app.config)
    if not (once or list_failed or retry_id):
        _forever(settings)
        return
    database = db.open_db(current_app.config["DATABASE"])
    try:
        db.migrate(database)
        if list_failed:
            _list_failed(database)
        elif retry_id:
            try:
                row = delivery.requeue(database, retry_id)
            except delivery.NotFailed:
                raise click.ClickException(f"no failed message {retry_id} (see kbsearch deliver --failed)") from None
            click.echo(f"{row['id']} {row['delivery_id']}: due now ({row['channel']} to {row['target']})")
        else:
            click.echo(f"{delivery.deliver_due(database, settings, report=click.echo)}")
    except (db.DatabaseBusy, db.StorageFull) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        database.close()


def _list_failed(database: db.Database) -> None:
    rows = delivery.failed(database)
    for row in rows:
        click.echo(f"{row['id']}  {row['delivery_id']}  {row['event']}  {row['case_number'] or '-'}  {row['channel']} "
                   f"to {row['target']}  queued {row['created']}, {row['attempts']} attempts: {row['last_error']}")
    click.echo(f"{len(rows)} failed message(s)" + ("; re-queue one with kbsearch deliver --retry ID" if rows else ""))
    click.echo("outbox: " + (", ".join(f"{n} {status}" for status, n in sorted(delivery.counts(database).items()))
                             or "empty"))


def _forever(settings: outbox.Settings) -> None:
    email = (f"email through {settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host
             else "email off (no SMTP_HOST)")
    hook = f"webhook to {settings.webhook_url}" if settings.webhook_url else "webhook off (no WEBHOOK_URL)"
    click.echo(f"delivering: {email}, {hook}; stop with Ctrl-C or SIGTERM")
    try:
        total = delivery.run_forever(current_app.config["DATABASE"], settings, report=click.echo)
    except (db.DatabaseBusy, db.StorageFull) as exc:  # only while migrating: later ones are retried
        raise click.ClickException(str(exc)) from None
    click.echo(f"stopped: {total}")
