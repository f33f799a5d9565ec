"""The case and event API (blueprint ``case_api``, under ``/api``): submit and look up cases, record events."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for

from kbsearch.cases import events
from kbsearch.cases import store as cases
from kbsearch.web.current import attachments_dir, get_build, get_db
from kbsearch.web.errors import json_object
from kbsearch.web.intake import case_from_request

bp = Blueprint("case_api", __name__, url_prefix="/api")


def get_case_or_404(number: str, secret: str) -> dict:
    """The case, for whoever holds its secret.

    :raise 404: no such case, or no or a wrong secret: a stranger cannot tell which.
    """
    try:
        return cases.get_case(get_db(), number, secret)
    except cases.CaseNotFound:
        abort(404, f"No case {number} with that secret.")


@bp.post("/cases")
def submit_case():
    """Open a case: JSON, or multipart with ``attachments``; 201 with its number and secret."""
    case, fields = case_from_request(get_build())
    fields.check()
    created = cases.create_case(get_db(), case, attachments_dir())
    url = url_for("case_pages.case_status", number=created.number, secret=created.secret)
    response = jsonify({"number": created.number, "secret": created.secret, "url": url})
    response.status_code = 201
    response.headers["Location"] = url
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/<number>")
def case_details(number: str):
    """A case's status, details and attachments, given its secret (``X-Case-Secret`` or ``?secret=``)."""
    secret = request.headers.get("X-Case-Secret") or request.args.get("secret", "")
    response = jsonify(get_case_or_404(number, secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/events")
def record_event():
    """One step of the deflection funnel, sent by the suggestions panel; 201 with its id."""
    body = json_object("a JSON object with session and kind")
    database = get_db()
    event, fields = events.read_event(body, get_build().details, database)
    fields.check()
    response = jsonify({"id": events.record(database, event)})
    response.status_code = 201
    return response
