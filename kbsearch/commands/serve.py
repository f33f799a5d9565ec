"""``kbsearch serve``: gunicorn with gevent workers, so clients sending slowly cannot starve it.

Why gevent (measured with ``scripts/load_suggest.py --worker-class`` and 50 clients trickling
headers, README "Serving"): a sync worker serves one connection at a time, so two clients sending
headers a byte a second stopped the service; gthread commits a thread to a connection once its
first byte arrives, so it lasts only as many slow clients as it has threads; waitress buffers
requests but ranks in one process (0.7 x sync's suggestion throughput on two cores). A gevent
worker keeps one process per core for the CPU-bound ranking, a slow client is a cheap greenlet
(up to gunicorn's ``--worker-connections``, 1,000 a worker), and unfinished headers are dropped
after ``HEADERS_SECONDS``. Nothing blocks the loop for long: searches never touch the database,
and waits for its write lock are ``time.sleep`` calls, which gevent turns into switches.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kbsearch.commands.reindex import EXIT_REJECTED, run_build
from kbsearch.index import layout

WORKER_CLASS = "gevent"
# gunicorn's keep-alive, which a gevent worker also applies to reading each request's headers:
# a client that has not sent them this many seconds after connecting (or after its last
# answer) is disconnected, so trickling headers holds nothing for long.
HEADERS_SECONDS = 2
# A 1,000-character `q` (the app's limit) is up to 12,000 bytes percent-encoded, 4 UTF-8 bytes a
# character, plus the rest of the URL. gunicorn allows at most 8,190 here, and 0 means no limit
# at all; gunicorn_config.py raises that ceiling, so the line stays bounded.
REQUEST_LINE_LIMIT = 16384
# The access log never holds a query string or a Referer: case pages carry their secret in
# `?secret=`, and the same-origin Referer of the next page would repeat it. %(U)s is the path only.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
CONFIG_FILE = Path(__file__).with_name("gunicorn_config.py")


def gunicorn_args(host: str, port: int, workers: int, worker_class: str = WORKER_CLASS) -> list[str]:
    """gunicorn's command line after ``python -m gunicorn``; ``scripts/load_suggest.py`` measures the same.

    ``--config`` also keeps a ``gunicorn.conf.py`` in the working directory from being read, and
    ``--no-control-socket`` keeps gunicorn (25 and later) from opening its control socket at a
    path every server of the user shares ($HOME/.gunicorn/gunicorn.ctl).
    """
    return ["--config", str(CONFIG_FILE), "--bind", f"{host}:{port}", "--workers", str(workers),
            "--worker-class", worker_class, "--keep-alive", str(HEADERS_SECONDS),
            "--limit-request-line", str(REQUEST_LINE_LIMIT),
            "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT, "--no-control-socket",
            "kbsearch:create_app()"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int,
              help="gunicorn worker processes (gevent): one per core.")
@click.option("--no-deliver", is_flag=True,
              help="Do not run `kbsearch deliver` beside the server (another process sends the outbox).")
@with_appcontext
def serve_command(host: str, port: int, workers: int, no_deliver: bool) -> None:
    """Serve the app with gunicorn's gevent workers, building the index first if there is none.

    A `kbsearch deliver` process runs beside them, so cases' emails and webhooks go out.

    \b
    Example:
        kbsearch serve
        KBSEARCH_AUDIENCE=public kbsearch serve --host 0.0.0.0 --port 8080 --workers 4
    """
    index = Path(current_app.config["INDEX_DIR"])
    if layout.current_build(index) is None:
        click.echo(f"no index in {index}: building it first")
        try:
            run_build(Path(current_app.config["ARTICLES_DIR"]), index, False, False, ())
        except click.exceptions.Exit as exc:
            if exc.exit_code != EXIT_REJECTED:  # rejected files are reported; the rest is served
                raise
    os.environ["KBSEARCH_SERVE_DELIVERY"] = "0" if no_deliver else "1"  # read by gunicorn_config's hook
    args = [sys.executable, "-m", "gunicorn", *gunicorn_args(host, port, workers)]
    click.echo(f"serving on http://{host}:{port}")
    sys.stdout.flush()
    os.execv(sys.executable, args)
