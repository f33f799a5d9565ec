"""Cross-site request forgery protection, in two layers.

1. Every state-changing request is refused when the browser says it came from another
   site: ``Sec-Fetch-Site: cross-site``/``same-site``, or an ``Origin`` that is not ours.
   API clients that are not browsers send neither header and pass.
2. HTML forms also carry a per-session token (``csrf_token()`` in templates), for
   browsers too old to send those headers.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, request, session

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def csrf_token() -> str:
    """This browser session's form token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_form_token() -> None:
    """:raise 400: the form's token is missing or is not this session's."""
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    # compared as bytes: compare_digest refuses str holding non-ASCII, which anyone can send
    if not expected or not hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode()):
        abort(400, "This form has expired or came from another site. Reload the page and send it again.")


def _refuse_cross_site() -> None:
    if request.method in SAFE_METHODS:
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        abort(403, "Cross-site requests are refused.")
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        # Hosts only: behind a proxy that ends TLS the scheme we see is http while the
        # browser's is https; the proxy must pass the Host header on.
        if urlsplit(origin).netloc != request.host:
            abort(403, "Cross-site requests are refused.")
    elif origin == "null":
        abort(403, "Requests from an opaque origin are refused.")


def init_app(app: Flask) -> None:
    app.before_request(_refuse_cross_site)
    app.jinja_env.globals["csrf_token"] = csrf_token
