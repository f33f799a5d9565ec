"""Reading a case submission from a request, the same way for the API and the HTML form."""

from __future__ import annotations

from flask import current_app, request

from kbsearch.cases.attachments import Limits, Upload
from kbsearch.cases.fields import Fields
from kbsearch.cases.store import CaseInput, read_case
from kbsearch.index.opened import Build
from kbsearch.web.errors import APIError, json_object

FORM_FIELDS = ("subject", "category", "subcategory", "description", "name", "email", "session")


def uploads(limits: Limits) -> list[Upload]:
    """The files of a multipart request; an empty file input sends a nameless part, skipped here."""
    files = []
    for storage in request.files.getlist("attachments"):
        if not storage.filename:
            continue
        # One byte past the limit is enough to know a file is too large.
        files.append(Upload(storage.filename, storage.stream.read(limits.max_file_bytes + 1)))
    return files


def case_from_request(build: Build) -> tuple[CaseInput, Fields]:
    """A submission as JSON (no attachments) or as a form with files, checked against the build.

    :raise APIError 415/400: the body is neither a form nor a JSON object.
    """
    limits = Limits.from_config(current_app.config)
    taxonomy = build.manifest.get("taxonomy")
    if request.is_json:
        return read_case(json_object("a JSON object"), [], taxonomy, build.details, limits)
    if request.mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise APIError(415, "send JSON or a form",
                       [{"field": "body", "message": "expected JSON or multipart/form-data"}])
    source: dict[str, str] = {name: request.form.get(name, "") for name in FORM_FIELDS}
    source["shown"] = ",".join(request.form.getlist("shown"))
    return read_case(source, uploads(limits), taxonomy, build.details, limits)
