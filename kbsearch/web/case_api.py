"""The case and event API (blueprint ``case_api``, under ``/api``): submit and look up cases, add the
customer's comments, record events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from kbsearch.cases import attachments, conversation, events
from kbsearch.cases import store as cases
from kbsearch.cases.attachments import Accepted, Limits
from kbsearch.cases.fields import Fields, unknown_fields
from kbsearch.web.current import attachments_dir, get_build, get_db
from kbsearch.web.errors import APIError, json_object
from kbsearch.web.intake import case_from_request, uploads
from kbsearch.web.openapi_bodies import CASE_FIELDS, CASE_FORM_FILES, COMMENT_FIELDS

bp = Blueprint("case_api", __name__, url_prefix="/api")


class CaseNumber(BaseConverter):
    """A case number in a path: any segment but the routes beside it (``/cases/find``, ``mine``, ``new``).

    Without it ``GET /api/cases/find`` would look for a case named "find" (404, and ``GET`` in
    its ``Allow``) instead of answering 405.
    """

    regex = r"(?!(?:find|mine|new)(?![^/]))[^/]+"


def add_case_number(state: BlueprintSetupState) -> None:
    """Make ``<case_number:number>`` known before a blueprint's rules are added (``record_once``)."""
    state.app.url_map.converters.setdefault("case_number", CaseNumber)


bp.record_once(add_case_number)

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def secret_for(key: str) -> str:
    """The case secret a request with idempotency ``key`` gets, the same on every retry.

    An HMAC under the server's secret key: derivable only by the server, never stored.
    """
    digest = hmac.new(current_app.secret_key.encode(), f"case-secret:{key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _require_owner(row: dict, secret: str) -> None:
    if not conversation.owns(row, secret):
        raise cases.CaseNotFound(row["number"])


def get_case_or_404(number: str, secret: str) -> dict:
    """The case, for whoever holds its secret.

    :raise 404: no such case, or no or a wrong secret: a stranger cannot tell which.
    """
    database = get_db()
    try:
        return conversation.customer_view(database, conversation.owner_row(database, number, secret))
    except cases.CaseNotFound:
        abort(404, f"No case {number} with that secret.")


@bp.post("/cases")
def submit_case():
    """Open a case: JSON, or multipart with ``attachments``; 201 with its number and secret."""
    key = request.headers.get("Idempotency-Key")
    case, fields = case_from_request(get_build())
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        fields.bad("Idempotency-Key", "must be 1 to 255 visible ASCII characters (a UUID, say)")
    _refuse_unknown(fields)
    fields.check()
    try:
        created = cases.create_case(get_db(), case, attachments_dir(), key, secret_for, current_app.config,
                                    get_build().details)
    except cases.KeyReused as exc:
        raise APIError(422, str(exc), [{"field": "Idempotency-Key", "message": str(exc)}]) from None
    url = url_for("case_pages.case_status", number=created.number, secret=created.secret)
    response = jsonify({"number": created.number, "secret": created.secret, "url": url})
    response.status_code = 201
    response.headers["Location"] = url
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_unknown(fields: Fields) -> None:
    """Name every field the OpenAPI document does not define, and a JSON ``shown`` that is not a list."""
    if request.is_json:
        body = request.get_json(silent=True)  # parsed and cached by case_from_request: an object
        if isinstance(body.get("shown"), str):  # the form's comma-separated ids; JSON has lists
            fields.bad("shown", "must be a list of article ids")
        unknown_fields(fields, body, CASE_FIELDS)
    else:
        unknown_fields(fields, request.form, CASE_FIELDS)
        unknown_fields(fields, request.files, CASE_FORM_FILES)


@bp.get("/cases/<case_number:number>")
def case_details(number: str):
    """A case's status, details and attachments, given its secret (``X-Case-Secret`` or ``?secret=``)."""
    secret = request.headers.get("X-Case-Secret") or request.args.get("secret", "")
    response = jsonify(get_case_or_404(number, secret))
    response.headers["Cache-Control"] = "no-store"
    return response


def read_comment(source, fields: Fields) -> tuple[str, list[Accepted]]:
    """A customer's comment: its text (required, at most ``MAX_COMMENT``) and files, checked as a case's are."""
    body = fields.required(source, "body", conversation.MAX_COMMENT)
    limits = Limits.from_config(current_app.config)
    return body, attachments.check(uploads(limits), limits, fields)


@bp.post("/cases/<case_number:number>/comments")
def add_comment(number: str):
    """Add the customer's comment, given the case's secret (``X-Case-Secret``); 201 with the comment.

    JSON ``{body}``, or multipart with ``body`` and ``attachments``.

    :raise 404: no such case, or no or a wrong secret (checked before anything else is read).
    :raise APIError 409: the case is closed.
    """
    secret = request.headers.get("X-Case-Secret", "")
    database = get_db()
    try:
        conversation.owner_row(database, number, secret)
    except cases.CaseNotFound:
        abort(404, f"No case {number} with that secret.")
    fields = Fields()
    if request.is_json:
        source = json_object("a JSON object with body")
        unknown_fields(fields, source, COMMENT_FIELDS)
    elif request.mimetype in FORMS:
        source = request.form
        unknown_fields(fields, request.form, COMMENT_FIELDS)
        unknown_fields(fields, request.files, CASE_FORM_FILES)
    else:
        raise APIError(415, "send JSON or a form",
                       [{"field": "body", "message": "expected JSON or multipart/form-data"}])
    body, files = read_comment(source, fields)
    fields.check()
    try:
        comment = conversation.add_comment(
            database, number, conversation.CUSTOMER, body, files=files, folder=attachments_dir(),
            delivery=current_app.config, check_owner=lambda row: _require_owner(row, secret))
    except conversation.CaseClosed:
        raise APIError(409, f"Case {number} is closed: open a new case instead.") from None
    response = jsonify(comment)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/events")
def record_event():
    """One step of the deflection funnel, sent by the suggestions panel; 201 with its id."""
    body = json_object("a JSON object with session and kind")
    database = get_db()
    event, fields = events.read_event(body, get_build().details)
    fields.check()
    response = jsonify({"id": events.record(database, event)})
    response.status_code = 201
    return response
