"""The web layer: the Flask app, its pages and JSON API.

Rule: Flask and werkzeug are imported here and in ``kbsearch.commands`` only. Views read a
request, call ``ranking`` on the current build or the ``cases`` store, and shape the answer;
domain errors (``ValidationError``, ``IndexNotBuilt``) become HTTP answers in ``errors``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from kbsearch.corpus.articles import AUDIENCES
from kbsearch.web import security


class ConfigError(Exception):
    """A setting the service cannot start with; the message names it and what it may be."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``KBSEARCH_*`` environment variables, then ``test_config``."""
    app = Flask(__name__)
    app.config.from_mapping(
        # Paths are relative to the working directory, as operators run the commands from
        # the checkout; the database sits under instance/ as in Flask's tutorial.
        ARTICLES_DIR="articles",
        INDEX_DIR="index",
        DATABASE="instance/kbsearch.sqlite",
        # Who may read what is served. Nothing here signs anyone in, so the default serves
        # public articles only; a customer or internal build belongs behind the portal's sign-in.
        AUDIENCE="public",
        IGNORE_KEYS=[],
        SEARCH_LIMIT=10,
        SUGGEST_LIMIT=5,
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,  # the largest request body, attachments included
        ATTACHMENTS_DIR=None,  # None: an "attachments" folder beside DATABASE
        ATTACHMENTS_MAX_FILES=5,
        ATTACHMENT_MAX_BYTES=10 * 1024 * 1024,
        ATTACHMENTS_MAX_TOTAL_BYTES=25 * 1024 * 1024,
        IMPLICIT_DEFLECTION_MINUTES=30,  # a click with no case within this long counts as deflected
        # None: a key is made once and kept beside the database (see web/security.py).
        SECRET_KEY=None,
        PUBLIC_URL=None,  # the portal's address as customers see it, e.g. https://support.example.com
        # Delivery through the outbox (kbsearch/cases/outbox.py, `kbsearch deliver`): email is off
        # without SMTP_HOST, the webhook without WEBHOOK_URL.
        SMTP_HOST=None,
        SMTP_PORT=25,
        SMTP_USER=None,
        SMTP_PASSWORD=None,
        SMTP_STARTTLS=False,
        MAIL_FROM=None,  # None: SUPPORT_EMAIL, else kbsearch@localhost
        SUPPORT_EMAIL=None,  # the support team's queue: each new case is mailed there
        WEBHOOK_URL=None,
        WEBHOOK_SECRET=None,  # signs each webhook body (X-Kbsearch-Signature-256)
        DELIVERY_RETRY_SECONDS=30,  # the first retry's delay; it doubles, up to an hour
        DELIVERY_GIVE_UP_HOURS=48,  # then a message is marked failed (`kbsearch deliver --failed`)
        DELIVERY_LEASE_SECONDS=300,  # a deliverer killed mid-send holds its message this long
    )
    if test_config is None:
        app.config.from_prefixed_env("KBSEARCH")
    else:
        app.config.from_mapping(test_config)

    _check(app.config)
    try:
        app.secret_key = security.secret_key(app.config["SECRET_KEY"], Path(app.config["DATABASE"]).parent)
    except security.WeakSecret as exc:
        raise ConfigError(str(exc)) from None

    from kbsearch.web import (
        api,
        case_api,
        case_pages,
        csrf,
        current,
        errors,
        find,
        limits,
        pages,
        staff_api,
    )

    security.init_app(app)
    current.init_app(app)
    csrf.init_app(app)
    errors.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(case_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(case_pages.bp)
    app.register_blueprint(find.bp)
    app.register_blueprint(staff_api.bp)
    limits.init_app(app)  # wraps the views registered above
    return app


def _check(config: dict[str, Any]) -> None:
    """Refuse to start on a setting that would only fail later, far from its cause.

    :raise ConfigError: naming the setting.
    """
    if config["AUDIENCE"] not in AUDIENCES:
        raise ConfigError(f"KBSEARCH_AUDIENCE is {config['AUDIENCE']!r}; it must be one of: {', '.join(AUDIENCES)}")
