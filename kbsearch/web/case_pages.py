"""The case pages (blueprint ``case_pages``): the form with its suggestions panel, and "My case".

The form is a plain multipart POST, so it works without JavaScript; ``static/suggest.js``
adds the live panel on top. Validation errors re-render the form with the customer's
text kept and each message beside its field.
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from kbsearch.cases import store as cases
from kbsearch.cases.attachments import TYPES, Limits, readable
from kbsearch.web.case_api import get_case_or_404, secret_for
from kbsearch.web.csrf import check_form_token
from kbsearch.web.current import attachments_dir, get_build, get_db
from kbsearch.web.intake import FORM_FIELDS, case_from_request

bp = Blueprint("case_pages", __name__)

CASE_COOKIE = "case_secret"  # one per case: each is scoped to its own case's path
CASE_COOKIE_DAYS = 90


def _form(values: dict[str, str], errors: dict[str, str], status: int = 200):
    build = get_build()
    limits = Limits.from_config(current_app.config)
    accept = ",".join(sorted(f".{extension}" for extension in TYPES))
    return render_template("case_pages/form.html", values=values, errors=errors, limits=limits, accept=accept,
                           readable=readable,
                           taxonomy=build.manifest.get("taxonomy") or {}), status


@bp.get("/cases/new")
def new_case():
    """An empty form with a fresh form-session id that ties the panel's events to the case."""
    return _form({"session": secrets.token_urlsafe(12)}, {})


@bp.post("/cases/new")
def submit_case():
    """Store the case and go to its status page, or show the form again with the errors."""
    check_form_token()
    case, fields = case_from_request(get_build())
    if fields.errors:
        values = {name: request.form.get(name, "") for name in FORM_FIELDS}
        values["shown"] = ",".join(request.form.getlist("shown"))
        return _form(values, fields.by_field(), 400)
    try:  # the form's session id makes a resent form (a reload, a lost answer) find its case
        created = cases.create_case(get_db(), case, attachments_dir(), case.session or None, secret_for,
                                    current_app.config, get_build().details)
    except cases.KeyReused:  # another case sent from the same form page: a case of its own
        created = cases.create_case(get_db(), case, attachments_dir(), delivery=current_app.config,
                                    articles=get_build().details)
    # the link that leads back, shown once on the next page (the session cookie is the customer's)
    flash(url_for(".case_status", number=created.number, secret=created.secret, _external=True), "case-link")
    return _with_case_cookie(redirect(url_for(".case_status", number=created.number), 303),
                             created.number, created.secret)


def _with_case_cookie(response: Response, number: str, secret: str) -> Response:
    """Hand the case's secret to the browser as an HttpOnly cookie sent only to this case's page."""
    response.set_cookie(CASE_COOKIE, secret, max_age=CASE_COOKIE_DAYS * 86400,
                        path=url_for(".case_status", number=number), httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.get("/cases/<number>")
def case_status(number: str):
    """ "My case": status, details and, once there is one, the solution.

    A link with ``?secret=`` is exchanged for a cookie scoped to this case and redirected to
    the plain address, so the secret stays out of the browser's history, server access logs
    and anything the page is shared with.

    :raise 404: no such case or a wrong secret.
    """
    sent = request.args.get("secret")
    if sent is not None:
        get_case_or_404(number, sent)  # a wrong secret never becomes a cookie
        return _with_case_cookie(redirect(url_for(".case_status", number=number), 303), number, sent)
    case = get_case_or_404(number, request.cookies.get(CASE_COOKIE, ""))
    category = (get_build().manifest.get("taxonomy") or {}).get(case["category"], {})
    labels = (category.get("label", case["category"]),
              category.get("subcategories", {}).get(case["subcategory"], case["subcategory"]))
    response = current_app.make_response(render_template("case_pages/case.html", case=case, labels=labels))
    # The secret is in this page's address: keep it out of caches and Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
