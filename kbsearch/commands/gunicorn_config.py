"""gunicorn's configuration file for ``kbsearch serve``, loaded by path (``--config``): hooks only.

Every setting is a command-line flag in ``serve.py``, where each is explained; this file holds
what no flag can say. It imports nothing of kbsearch, so gunicorn's arbiter loads neither Flask
nor the app before each gevent worker patches the standard library.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
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
    _start_deliverer(server)


DELIVERER: list[subprocess.Popen] = []


def _start_deliverer(server: Any) -> None:
    """Run ``kbsearch deliver`` beside the web workers, so a case's emails and webhook go out.

    A process of its own (one SQLite connection, no greenlets), with the server's environment;
    it finishes the message in hand on SIGTERM. ``kbsearch serve --no-deliver`` leaves it to a
    deliverer run elsewhere (cron's ``kbsearch deliver --once``, or several servers' one).
    """
    if os.environ.get("KBSEARCH_SERVE_DELIVERY") != "1":  # set by `kbsearch serve` (not by load tests)
        return
    DELIVERER.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "kbsearch", "deliver"],
                                      preexec_fn=_end_with_parent))
    server.log.info("delivery: kbsearch deliver running as pid %s", DELIVERER[-1].pid)


def _end_with_parent() -> None:
    """In the deliverer, before it runs: SIGTERM it when the server ends, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):  # not Linux: on_exit still stops it on a normal shutdown
        pass


def on_exit(server: Any) -> None:
    """Stop the deliverer with the server, letting it finish the message in hand."""
    for process in DELIVERER:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def post_worker_init(worker: Any) -> None:
    """Leave a Ctrl-C to the arbiter, which passes it on to each worker as one SIGQUIT.

    A terminal sends SIGINT to every process of the server; a gevent worker that also got the
    arbiter's SIGQUIT would quit twice and print a traceback of its second ``SystemExit``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
