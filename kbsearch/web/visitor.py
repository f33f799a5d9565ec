"""The visitor's first-party session id (cookie ``kb_session``), which ties their searches and votes.

Random, HttpOnly, SameSite=Lax, path ``/``, 30 days from the first search or vote (never
extended), Secure behind an https ``PUBLIC_URL``. It is set only when something is recorded, and
it is all that is kept about who searched: no IP address, no user agent.
"""

from __future__ import annotations

import secrets

from flask import after_this_request, current_app, g, request

from kbsearch.cases import searches
from kbsearch.cases.db import DatabaseBusy, StorageFull
from kbsearch.cases.fields import TOKEN
from kbsearch.web.current import get_db

COOKIE = "kb_session"
DAYS = 30
RECORD_WAIT_SECONDS = 0.25  # a search never waits longer than this for its own record


def session() -> str | None:
    """The visitor's session id, if their browser sent a valid one."""
    value = request.cookies.get(COOKIE, "")
    return value if TOKEN.match(value) else None


def ensure_session() -> str:
    """The visitor's session id, made (and set on this response) if they have none yet."""
    existing = session() or g.get("kb_new_session")
    if existing:
        return existing
    g.kb_new_session = made = secrets.token_urlsafe(24)
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))  # set from PUBLIC_URL (web/security.py)

    @after_this_request
    def set_cookie(response):
        response.set_cookie(COOKIE, made, max_age=DAYS * 24 * 3600, path="/", httponly=True, samesite="Lax",
                            secure=secure)
        return response

    return made


def prefetched() -> bool:
    """Whether the browser is only prefetching or prerendering (address-bar guesses as the visitor types)."""
    purpose = (request.headers.get("Sec-Purpose") or request.headers.get("Purpose") or "").lower()
    return "prefetch" in purpose or "prerender" in purpose


def record_search(session: str, q: str, filters: dict, total: int) -> int | None:
    """Record a search under ``session``; None when blank or the database is busy or full.

    It waits at most ``RECORD_WAIT_SECONDS``: the answer never waits on its own record.
    """
    try:
        return searches.record(get_db(), session, q, filters, total, RECORD_WAIT_SECONDS)
    except (DatabaseBusy, StorageFull) as exc:
        current_app.logger.warning("search not recorded: %s", exc)
        return None
