"""gunicorn's configuration file for ``kbsearch serve``, loaded by path (``--config``): hooks only.

Every setting is a command-line flag in ``serve.py``, where each is explained; this file holds
what no flag can say. It imports nothing of kbsearch, so gunicorn's arbiter loads neither Flask
nor the app before each gevent worker patches the standard library.
"""

from __future__ import annotations

import signal
from typing import Any

from gunicorn.http import message


def on_starting(server: Any) -> None:
    """Let ``--limit-request-line`` pass gunicorn's fixed 8,190-byte ceiling, and stay a bound.

    A 1,000-character query is up to 12,000 bytes percent-encoded (4 UTF-8 bytes a character),
    but gunicorn clamps a larger limit to ``MAX_REQUEST_LINE`` and offers only 0, no limit at
    all, beyond it: then one client streaming an endless request line, re-scanned on every
    read, stalls a whole gevent worker (measured). Workers are forked from here, so they inherit it.
    """
    if not hasattr(message, "MAX_REQUEST_LINE"):
        raise RuntimeError("gunicorn.http.message.MAX_REQUEST_LINE is gone: kbsearch serve cannot raise "
                           "--limit-request-line past gunicorn's ceiling; see kbsearch/commands/gunicorn_config.py")
    message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, server.cfg.limit_request_line)


def post_worker_init(worker: Any) -> None:
    """Leave a Ctrl-C to the arbiter, which passes it on to each worker as one SIGQUIT.

    A terminal sends SIGINT to every process of the server; a gevent worker that also got the
    arbiter's SIGQUIT would quit twice and print a traceback of its second ``SystemExit``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
