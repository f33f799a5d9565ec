"""kbsearch: knowledge-base search and case deflection for a support portal.

The package is layered; data flows one way, and each subpackage's docstring states its rule:

- ``corpus``: an articles folder -> ``Article`` and its analysed words;
- ``ranking``: per-request arithmetic on an opened build (suggestions, the search page);
- ``index``: one build folder, written by the reindex and opened by servers and evaluate;
- ``cases``: the case store (cases, events, attachments, the report);
- ``evaluation``: replaying judged queries against a build;
- ``web``: the Flask app; ``commands``: the ``kbsearch`` console script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The Flask app with the console commands (``flask --app kbsearch`` and gunicorn find it here).

    The package's one composition root: ``web`` builds the app, ``commands`` adds its CLI.
    Imported on call, so the offline layers (a reindex's workers, ``kbsearch evaluate``)
    never import Flask.
    """
    from kbsearch import commands
    from kbsearch.web import create_app as create

    app = create(test_config)
    commands.init_app(app)
    return app
