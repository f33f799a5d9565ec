"""Find my cases (blueprint ``find``): a customer who lost a status link asks for their cases by email.

``/cases/find`` (a form) and ``POST /api/cases/find`` answer the same whether or not the address
has cases, so they tell a stranger nothing; when it has, ``finding.request_link`` queues one mail
(at most 3 an hour) with a link to ``/cases/mine`` holding the address signed with the server's
key, valid 24 hours. Opening it trades the token for an HttpOnly cookie, scoped to ``/cases``,
holding the same signed address until the 24 hours are up: it lists that address's cases and
opens each one's status page (``case_pages``). The one module that imports itsdangerous.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadData, URLSafeTimedSerializer

from kbsearch.cases import finding
from kbsearch.cases.fields import Fields, unknown_fields
from kbsearch.cases.outbox import Settings
from kbsearch.web.csrf import check_form_token
from kbsearch.web.current import get_db
from kbsearch.web.errors import json_object
from kbsearch.web.openapi_bodies import FIND_FIELDS

bp = Blueprint("find", __name__)

COOKIE = "cases_email"
SALT = "kbsearch-find-cases"
VALID_SECONDS = 24 * 3600
ANSWER = "If this address has cases, we have sent it a link to them."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _read(token: str) -> tuple[str, int] | None:
    """The address ``token`` signs and the whole seconds it has left; None if forged, altered or expired."""
    if not token:
        return None
    try:
        email, signed_at = _serializer().loads(token, max_age=VALID_SECONDS, return_timestamp=True)
    except (BadData, UnicodeError):
        return None
    left = int(VALID_SECONDS - (time.time() - signed_at.timestamp()))
    return (email, left) if isinstance(email, str) and left > 0 else None


def cookie_email() -> str | None:
    """The address this browser proved it reads mail at (the cookie a find link left), or None."""
    found = _read(request.cookies.get(COOKIE, ""))
    return found[0] if found else None


def _ask(email: str) -> None:
    # Whether a mail was queued is never told: the answer must not reveal who has cases.
    settings = Settings.from_config(current_app.config)

    def link(address: str) -> str:
        """The signed link the mail carries: ``PUBLIC_URL/cases/mine?token=…``, as every link in a mail."""
        token = _serializer().dumps(address)
        if settings.base_url:
            return f"{settings.base_url}/cases/mine?token={token}"
        return url_for(".mine", token=token, _external=True)

    finding.request_link(get_db(), settings, email.lower(), link)


def _form(values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render_template("find/form.html", values=values, errors=errors), status


@bp.get("/cases/find")
def find_form():
    """The form asking for the address the cases were opened with."""
    return _form({}, {})


@bp.post("/cases/find")
def ask():
    """Queue the link when the address has cases; say the same thing either way."""
    check_form_token()
    fields = Fields()
    email = fields.email(request.form, "email")
    if fields.errors:
        return _form({"email": request.form.get("email", "")}, fields.by_field(), 400)
    _ask(email)
    flash(ANSWER, "notice")
    return redirect(url_for(".find_form"), 303)


@bp.post("/api/cases/find")
def ask_api():
    """``{email}`` → 202, the same answer whether or not the address has cases."""
    body = json_object("a JSON object with email")
    fields = Fields()
    unknown_fields(fields, body, FIND_FIELDS)
    email = fields.email(body, "email")
    fields.check()
    _ask(email)
    response = jsonify({"message": ANSWER})
    response.status_code = 202
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/mine")
def mine():
    """The cases of the address a find link signed; ``?token=`` is first traded for a cookie.

    :raise 400: the link is forged, altered or older than 24 hours.
    :raise 404: no link was opened in this browser, or its 24 hours are up.
    """
    token = request.args.get("token")
    if token is not None:
        found = _read(token)
        if found is None:
            return _expired(400)
        # a cookie, then a plain address: the token stays out of history, logs and Referer
        response = redirect(url_for(".mine"), 303)
        response.set_cookie(COOKIE, token, max_age=found[1], path=request.script_root + "/cases", httponly=True,
                            samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    email = cookie_email()
    if email is None:
        return _expired(404)
    response = current_app.make_response(render_template(
        "find/mine.html", email=email, cases=finding.cases_for(get_db(), email)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _expired(status: int):
    return render_template("find/expired.html", status=status), status
