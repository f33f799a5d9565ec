"""The support team's API (blueprint ``staff_api``, under ``/api/staff``): read, answer and move cases.

Every request must carry ``Authorization: Bearer <token>`` with a live token (``kbsearch tokens
create``). The token is checked before anything else is read, against every live token's hash in
constant time, so without one the answer is the same 401 (with ``WWW-Authenticate: Bearer``)
whether or not the case exists. Answers hold customers' data: they are never stored by caches.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, send_from_directory, url_for
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from kbsearch.cases import conversation, records, tokens
from kbsearch.cases.fields import Fields, ValidationError, unknown_fields
from kbsearch.cases.store import STATUSES, CaseNotFound
from kbsearch.web.current import attachments_dir, get_build, get_db
from kbsearch.web.errors import json_object
from kbsearch.web.openapi_bodies import CHANGE_FIELDS, STAFF_COMMENT_FIELDS

bp = Blueprint("staff_api", __name__, url_prefix="/api/staff")

MAX_PAGE = 100_000
MAX_SINCE = 100
LARGEST_ID = 2**63 - 1  # SQLite's largest integer: a longer id cannot name a row
# RFC 3339's full-date, or its date-time (what OpenAPI's "date" and "date-time" formats mean)
SINCE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                   r"(?:[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2}))?")
REALM = "kbsearch staff API"


def read_since(value: str) -> str:
    """``value`` (a date, or an RFC 3339 date-time) as the UTC time cases store, to compare as text.

    A date is midnight UTC; a fraction of a second rounds up, since stored times are whole seconds.

    :raise ValueError: anything else, or a day that does not exist.
    """
    if not SINCE.fullmatch(value):
        raise ValueError("must be a date (YYYY-MM-DD) or a date and time such as 2026-11-23T09:30:00Z")
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:  # 2026-02-30, 25:00:00...
        raise ValueError(f"{value} is not a date or time that exists") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
        if moment.microsecond:
            moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    except OverflowError:  # before year 1 or after 9999 in UTC: before every case, or after every case
        return "" if moment.year == 1 else "~"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.before_request
def authenticate() -> None:
    """Let only a live token's holder in; its name is ``g.staff_name``.

    :raise 401: no ``Authorization: Bearer`` header, or a token that is wrong or revoked.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    database = get_db()
    name = tokens.check(database, token.strip()) if scheme.lower() == "bearer" else None
    if name is None:
        raise Unauthorized("Send a live staff token: Authorization: Bearer <token> (kbsearch tokens create).",
                           www_authenticate=WWWAuthenticate("bearer", {"realm": REALM}))
    tokens.touch(database, name)
    g.staff_name = name


@bp.after_request
def never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def get_case_or_404(number: str) -> dict[str, Any]:
    """Everything about case ``number``, with a download link on each of its files.

    :raise 404: no such case.
    """
    try:
        case = conversation.staff_view(get_db(), number)
    except CaseNotFound:
        abort(404, f"No case {number}.")
    for attachment in case["attachments"] + [a for c in case["comments"] for a in c["attachments"]]:
        attachment["url"] = url_for(".attachment", number=number, attachment_id=attachment["id"])
    return case


@bp.get("/cases")
def list_cases():
    """One page of cases, newest first, with the total that matched (a page past the last one is empty)."""
    fields = Fields()
    status = fields.text(request.args, "status", 20) or None
    if status and status not in STATUSES:
        fields.bad("status", f"must be one of {', '.join(STATUSES)}")
    since = fields.text(request.args, "since", MAX_SINCE) or None
    if since:
        try:
            since = read_since(since)
        except ValueError as exc:
            fields.bad("since", str(exc))
    page = fields.integer(request.args, "page", 1, 1, MAX_PAGE)
    fields.check()
    return jsonify(conversation.list_cases(get_db(), status, since, page))


@bp.get("/cases/<number>")
def case(number: str):
    """A case: details, files, what the customer tried, the conversation, the solution."""
    return jsonify(get_case_or_404(number))


@bp.get("/cases/<number>/attachments/<int:attachment_id>")
def attachment(number: str, attachment_id: int):
    """A file of the case, as a download under the name the customer gave it.

    :raise 404: no such file on this case.
    """
    found = records.attachment_of(get_db(), number, attachment_id) if attachment_id <= LARGEST_ID else None
    if found is None:
        abort(404, f"Case {number} has no file {attachment_id}.")
    response = send_from_directory(attachments_dir(), found["stored_as"], mimetype=found["type"],
                                   as_attachment=True, download_name=found["name"], etag=False, conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"  # never rendered as anything but its stored type
    return response


@bp.post("/cases/<number>/comments")
def add_comment(number: str):
    """Answer the customer: the comment is mailed to them and fires ``case.comment``; 201 with it."""
    body = json_object("a JSON object with body")
    fields = Fields()
    text = fields.required(body, "body", conversation.MAX_COMMENT)
    unknown_fields(fields, body, STAFF_COMMENT_FIELDS)
    fields.check()
    try:
        comment = conversation.add_comment(get_db(), number, conversation.STAFF, text, g.staff_name,
                                           delivery=current_app.config)
    except CaseNotFound:
        abort(404, f"No case {number}.")
    response = jsonify({**comment, "name": g.staff_name})
    response.status_code = 201
    response.headers["Location"] = url_for(".case", number=number)
    return response


@bp.patch("/cases/<number>")
def update_case(number: str):
    """Change status, solution or the article that solved it; the customer and the webhook are told."""
    body = json_object("a JSON object with status, solution or solved_by")
    fields = Fields()
    unknown_fields(fields, body, CHANGE_FIELDS)
    served = get_build().details if body.get("solved_by") is not None else {}
    try:
        change = conversation.read_change(body, served, by=conversation.STAFF)
    except ValidationError as exc:
        fields.errors[:0] = exc.errors
    fields.check()
    try:
        changed = conversation.update_case(get_db(), number, change, current_app.config)
    except CaseNotFound:
        abort(404, f"No case {number}.")
    return jsonify({"changed": list(changed), "case": get_case_or_404(number)})
