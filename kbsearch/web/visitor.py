"""The visitor's first-party session id (cookie ``kb_session``), which ties their searches and votes.

Random, HttpOnly, SameSite=Lax, path ``/``, 30 days from the first search or vote (never
extended), Secure behind an https ``PUBLIC_URL``. It is set only when something is recorded, and
it is all that is kept about who searched: no IP address, no user agent.
"""

from __future__ import annotations

import secrets

from flask import after_this_request, current_app, g, request

from kbsearch.cases.fields import TOKEN

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
    secure = str(current_app.config.get("PUBLIC_URL") or "").startswith("https://")

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
