"""One error shape for the whole app, and the handlers that translate exceptions to it.

API clients (``/api/...``) always get ``{"error", "errors": [{"field", "message"}], "status"}``;
people get an HTML page saying the same thing.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kbsearch.cases.db import DatabaseBusy, StorageFull
from kbsearch.cases.fields import ValidationError
from kbsearch.index.opened import IndexNotBuilt
from kbsearch.web import limits


class APIError(Exception):
    """A request the API refuses; ``errors`` names each bad field."""

    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


def json_error(status: int, message: str, errors: list[dict[str, str]] | None = None) -> Response:
    response = jsonify({"error": message, "errors": errors or [], "status": status})
    response.status_code = status
    return response


def _respond(status: int, message: str, errors: list[dict[str, str]] | None = None):
    if request.path.startswith("/api/"):
        return json_error(status, message, errors)
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    """Route every error source (ours, routing 404/405, missing index) to one shape."""

    @app.errorhandler(APIError)
    def handle_api_error(exc: APIError):
        return _respond(exc.status, exc.message, exc.errors)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        response = app.make_response(_respond(exc.code or 500, exc.description or exc.name))
        for name, value in exc.get_headers():  # e.g. Allow on a 405, which HTTP requires
            if name.lower() != "content-type":
                response.headers[name] = value
        if exc.code == 429:
            response.headers["Retry-After"] = str(limits.retry_after())
        return response

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc: ValidationError):
        return _respond(400, str(exc), exc.errors)

    @app.errorhandler(DatabaseBusy)
    def handle_busy(exc: DatabaseBusy):
        response = app.make_response(_respond(503, str(exc)))
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(StorageFull)
    def handle_full(exc: StorageFull):
        app.logger.error("%s", exc.__cause__ or exc)
        return _respond(507, "The server cannot store anything right now (its disk is full). Nothing was "
                             "saved: please try again later.")

    @app.errorhandler(IndexNotBuilt)
    def handle_index_not_built(exc: IndexNotBuilt):
        # 503: the service is up but has nothing to serve until the operator builds an index.
        # The log names the folder; clients are told what to do, not where the server keeps it.
        app.logger.error("%s", exc)
        return _respond(503, exc.public)


def json_object(expected: str) -> dict:
    """The request's JSON object body.

    :raise APIError: 415 when the body is not JSON, 400 when it is not one object (or is
        nested too deeply to parse) — ``expected`` says what to send.
    """
    if not request.is_json:
        raise APIError(415, "send a JSON object", [{"field": "body", "message": f"expected {expected}"}])
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # silent=True does not cover a document nested thousands deep
        body = None
    if not isinstance(body, dict):
        raise APIError(400, "send a JSON object", [{"field": "body", "message": f"expected {expected}"}])
    return body
