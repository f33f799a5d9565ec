"""Rate limits per client on what costs us storage or a person's time: cases, comments, events, uploads, find.

The only module that imports Flask-Limiter. Each limit is a setting in Flask-Limiter's
notation (``20 per hour``, ``5 per minute; 100 per day``) or ``off``. Counts live in this
process's memory unless ``RATE_LIMIT_STORAGE`` names a shared store (``redis://host:6379``),
so with N server processes and no shared store a client may get up to N times a limit.
A refusal is a 429 with ``Retry-After``, in the JSON error shape on ``/api/``.

The client is the connection's address, or with ``TRUSTED_PROXIES`` = N the address the
N-th proxy in front reports in ``X-Forwarded-For`` (werkzeug's ProxyFix): a client can never
choose its own address by sending that header to a server with no proxy in front.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter
from werkzeug.middleware.proxy_fix import ProxyFix

OFF = "off"
DEFAULTS = {
    "RATE_LIMIT_CASES": "20 per hour",  # new cases, from the form or the API
    "RATE_LIMIT_COMMENTS": "60 per hour",  # customers' replies on their cases
    "RATE_LIMIT_EVENTS": "600 per hour",  # the panel's and article pages' events
    "RATE_LIMIT_FIND": "10 per hour",  # "find my cases" requests (each address gets at most 3 mails an hour)
    "RATE_LIMIT_UPLOAD_BYTES": "104857600 per hour",  # request bytes of submissions with files (100 MiB)
    "RATE_LIMIT_STORAGE": "memory://",
    "TRUSTED_PROXIES": 0,
}
# endpoint -> the settings whose limits apply to it
LIMITED = {
    "case_api.submit_case": ("RATE_LIMIT_CASES", "RATE_LIMIT_UPLOAD_BYTES"),
    "case_pages.submit_case": ("RATE_LIMIT_CASES", "RATE_LIMIT_UPLOAD_BYTES"),
    "case_api.record_event": ("RATE_LIMIT_EVENTS",),
    "pages.vote": ("RATE_LIMIT_EVENTS",),  # votes are events; search clicks are not limited: a 429 would block reading
    "case_api.add_comment": ("RATE_LIMIT_COMMENTS", "RATE_LIMIT_UPLOAD_BYTES"),
    "case_pages.reply": ("RATE_LIMIT_COMMENTS", "RATE_LIMIT_UPLOAD_BYTES"),
    "case_pages.change_status": ("RATE_LIMIT_COMMENTS",),  # each one mails the team too
    "find.ask": ("RATE_LIMIT_FIND",),
    "find.ask_api": ("RATE_LIMIT_FIND",),
}
SCOPES = {"RATE_LIMIT_CASES": "cases", "RATE_LIMIT_COMMENTS": "comments", "RATE_LIMIT_EVENTS": "events",
          "RATE_LIMIT_UPLOAD_BYTES": "upload-bytes", "RATE_LIMIT_FIND": "find"}


def _setting(name: str) -> Callable[[], str]:
    def value() -> str:
        configured = str(current_app.config[name]).strip()
        return "1 per second" if configured.lower() == OFF else configured  # exempt below; must still parse
    return value


def _off(name: str) -> Callable[[], bool]:
    return lambda: str(current_app.config[name]).strip().lower() == OFF


def _upload_bytes() -> int:
    """What a submission costs against the byte limit: its body, when it carries files."""
    return (request.content_length or 0) if request.mimetype == "multipart/form-data" else 0


def init_app(app: Flask) -> None:
    for name, default in DEFAULTS.items():
        app.config.setdefault(name, default)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["RATE_LIMIT_STORAGE"])
    limiter = Limiter(key_func=lambda: request.remote_addr or "unknown", app=app)
    app.extensions["kbsearch.limiter"] = limiter
    for endpoint, settings in LIMITED.items():
        view = app.view_functions[endpoint]
        for name in settings:
            cost = _upload_bytes if name == "RATE_LIMIT_UPLOAD_BYTES" else 1
            view = limiter.shared_limit(_setting(name), scope=SCOPES[name], exempt_when=_off(name),
                                        cost=cost, error_message=_message(name))(view)
        app.view_functions[endpoint] = view


def retry_after() -> int:
    """Seconds until the limit this request broke lets it through again (the 429's Retry-After)."""
    limiter: Limiter = current_app.extensions["kbsearch.limiter"]
    broken = limiter.current_limit
    return max(1, math.ceil(broken.reset_at - time.time())) if broken is not None else 60


def _message(name: str) -> str:
    what = {"RATE_LIMIT_CASES": "cases", "RATE_LIMIT_COMMENTS": "comments", "RATE_LIMIT_EVENTS": "events",
            "RATE_LIMIT_UPLOAD_BYTES": "attachment data", "RATE_LIMIT_FIND": "requests to find cases"}[name]
    return f"Too many {what} from this address for now; try again later."
