"""The ``kbsearch`` console script: the app's commands without ``flask --app``."""

from __future__ import annotations

from flask.cli import FlaskGroup

from kbsearch import create_app

main = FlaskGroup(
    create_app=create_app,
    help="""kbsearch: knowledge-base search and case deflection.

    Configuration comes from KBSEARCH_* environment variables (see README).

    \b
    Example:
        kbsearch reindex
        kbsearch serve
    """,
)
