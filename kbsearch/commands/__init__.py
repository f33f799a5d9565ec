"""The ``kbsearch`` console script: operator and support commands over the other layers.

Rule: click commands only; each reads its settings from the app's configuration (``flask.cli``)
and turns the layers' errors into a message and an exit status, never a traceback
(``click.ClickException`` for exit 1, ``click.exceptions.Exit`` for others).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def init_app(app: Flask) -> None:
    # capture adds ``cases draft-article`` to the ``cases`` group when imported
    from kbsearch.commands import capture, delivery, evaluate, reindex, report, serve, support, tokens  # noqa: F401

    app.cli.add_command(reindex.reindex_command)
    app.cli.add_command(serve.serve_command)
    app.cli.add_command(evaluate.evaluate_command)
    app.cli.add_command(support.init_db_command)
    app.cli.add_command(support.cases_group)
    app.cli.add_command(tokens.tokens_group)
    app.cli.add_command(report.report_group)
    app.cli.add_command(report.events_group)
    app.cli.add_command(delivery.deliver_command)


def _create_app(*args: object) -> Flask:
    from kbsearch.web import ConfigError, create_app

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    init_app(app)
    return app


main = FlaskGroup(
    create_app=_create_app,
    help="""kbsearch: knowledge-base search and case deflection.

    Configuration comes from KBSEARCH_* environment variables (see README).

    \b
    Example:
        kbsearch reindex
        kbsearch serve
    """,
)
