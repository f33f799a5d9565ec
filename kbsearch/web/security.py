"""Safe defaults every response and cookie gets, and the secret key that signs sessions.

Browsers are told to run only our own scripts, never to frame our pages, never to guess a
content type and to send no address to other sites; the session cookie is SameSite=Lax,
HttpOnly and, behind an https ``PUBLIC_URL``, Secure. The secret key is never the development
default: with none configured, one is made once and kept in ``instance/`` for every worker.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask, Response

HEADERS = {
    # 'self' only: no inline script or style runs, so injected markup cannot act
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
}
SECRET_FILE = "secret_key"
REFUSED_KEYS = {"dev", "", "changeme", "secret"}


class WeakSecret(Exception):
    """A configured SECRET_KEY anyone could guess."""


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by this user only; tighten it if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def secret_key(configured: str | None, instance: Path) -> str:
    """The key that signs sessions: the configured one, or one kept in ``instance/secret_key``.

    Every worker process reads the same file; the first to start creates it, exclusively,
    readable by this user only.

    :raise WeakSecret: the configured key is a well-known default.
    """
    if configured is not None:
        if configured in REFUSED_KEYS or len(configured) < 16:
            raise WeakSecret("KBSEARCH_SECRET_KEY is a default or shorter than 16 characters: set a long random "
                             "value, or unset it to have one generated in the instance folder")
        return configured
    path = private_dir(instance) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
        handle.flush()
        os.fsync(handle.fileno())
    return _read_key(path)


def _read_key(path: Path) -> str:
    for _ in range(100):  # another worker may be writing it this instant
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.01)
    raise WeakSecret(f"{path.name} in the instance folder is empty: delete it to have a new key made")


def init_app(app: Flask) -> None:
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if str(app.config.get("PUBLIC_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
