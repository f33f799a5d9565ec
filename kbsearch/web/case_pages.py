"""The case pages (blueprint ``case_pages``): the form with its suggestions panel, and "My case".

The form is a plain multipart POST, so it works without JavaScript; ``static/suggest.js``
adds the live panel on top. Validation errors re-render the form with the customer's
text kept and each message beside its field.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from kbsearch.cases import store as cases
from kbsearch.cases.attachments import TYPES, Limits, readable
from kbsearch.web.case_api import get_case_or_404
from kbsearch.web.csrf import check_form_token
from kbsearch.web.current import attachments_dir, get_build, get_db
from kbsearch.web.intake import FORM_FIELDS, case_from_request

bp = Blueprint("case_pages", __name__)


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
    created = cases.create_case(get_db(), case, attachments_dir())
    return redirect(url_for(".case_status", number=created.number, secret=created.secret), 303)


@bp.get("/cases/<number>")
def case_status(number: str):
    """ "My case": status, details and, once there is one, the solution.

    :raise 404: no such case or a wrong secret.
    """
    case = get_case_or_404(number, request.args.get("secret", ""))
    category = (get_build().manifest.get("taxonomy") or {}).get(case["category"], {})
    labels = (category.get("label", case["category"]),
              category.get("subcategories", {}).get(case["subcategory"], case["subcategory"]))
    response = current_app.make_response(render_template("case_pages/case.html", case=case, labels=labels))
    # The secret is in this page's address: keep it out of caches and Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
