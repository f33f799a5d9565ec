"""The case pages (blueprint ``case_pages``): the form with its suggestions panel, and "My case".

The form is a plain multipart POST, so it works without JavaScript; ``static/suggest.js``
adds the live panel on top. Validation errors re-render the form with the customer's
text kept and each message beside its field. "My case" shows the conversation, takes the
customer's replies and their "This is solved" / "Reopen", all plain forms too. It opens for
the case's secret (a cookie scoped to the case) or for the address a "find my cases" link
signed (``find``'s cookie).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from kbsearch.cases import conversation
from kbsearch.cases import store as cases
from kbsearch.cases.attachments import TYPES, Limits, readable
from kbsearch.cases.fields import Fields
from kbsearch.corpus.render import to_html
from kbsearch.web import find
from kbsearch.web.case_api import add_case_number, read_comment, secret_for
from kbsearch.web.case_form import all_errors, files_to_choose_again, ordered_taxonomy, prefill
from kbsearch.web.csrf import check_form_token
from kbsearch.web.current import attachments_dir, get_build, get_db
from kbsearch.web.intake import FORM_FIELDS, case_from_request

bp = Blueprint("case_pages", __name__)
bp.record_once(add_case_number)

CASE_COOKIE = "case_secret"  # one per case: each is scoped to its own case's path
CASE_COOKIE_DAYS = 90
STATUS_LABELS = {"new": "Received: waiting for an engineer", "open": "An engineer is working on it",
                 "waiting": "Waiting for your reply", "solved": "Solved", "closed": "Closed"}
# The customer's two buttons: the status each sets, and the statuses it may be pressed from.
BUTTONS = {"solved": ("new", "open", "waiting"), "open": ("solved",)}
DONE = {"solved": "Marked as solved. Thank you for letting us know.",
        "open": "Reopened: the support team will look at your case again."}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PART = re.compile(r"(<[^>]*>)")
_SKIP = re.compile(r"<(/?)(a|code|pre)\b", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>\"']+")


def _accept() -> str:
    return ",".join(sorted(f".{extension}" for extension in TYPES))


def _form(values: dict[str, str], errors: dict[str, str], status: int = 200, again: list[str] | None = None):
    limits = Limits.from_config(current_app.config)
    return render_template("case_pages/form.html", values=values, errors=errors, limits=limits, accept=_accept(),
                           readable=readable, again=again or [],
                           taxonomy=ordered_taxonomy(get_build().manifest)), status


@bp.get("/cases/new")
def new_case():
    """A form with a fresh form-session id that ties the panel's events to the case.

    ``?subject=`` and ``?category=`` start it (the search page's and an article's "Contact support").
    """
    taxonomy = get_build().manifest.get("taxonomy") or {}
    return _form({**prefill(request.args, taxonomy), "session": secrets.token_urlsafe(12)}, {})


@bp.post("/cases/new")
def submit_case():
    """Store the case and go to its status page, or show the form again with the errors."""
    check_form_token()
    case, fields = case_from_request(get_build())
    if fields.errors:
        values = {name: request.form.get(name, "") for name in FORM_FIELDS}
        values["shown"] = ",".join(request.form.getlist("shown"))
        return _form(values, all_errors(fields), 400, files_to_choose_again(fields))
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


@bp.get("/cases/<case_number:number>")
def case_status(number: str):
    """ "My case": status, details, the solution, the conversation, and the reply box.

    A link with ``?secret=`` is exchanged for a cookie scoped to this case and redirected to
    the plain address, so the secret stays out of the browser's history, server access logs
    and anything the page is shared with.

    :raise 404: no such case, or neither its secret nor a find link for its address: a page
        saying how to get back in.
    """
    sent = request.args.get("secret")
    if sent is not None:
        if _owned(number, sent, by_email=False) is None:  # a wrong secret never becomes a cookie
            return _no_access(number)
        return _with_case_cookie(redirect(url_for(".case_status", number=number), 303), number, sent)
    row = _owned(number)
    return _no_access(number) if row is None else _page(row, {}, {})


@bp.post("/cases/<case_number:number>/reply")
def reply(number: str):
    """Add the customer's reply (text and files) and go back to the page; errors re-render it (400).

    :raise 404: as the page. A closed case stores nothing and says so (409).
    """
    check_form_token()
    row = _owned(number)
    if row is None:
        return _no_access(number)
    fields = Fields()
    body, files = read_comment(request.form, fields)
    values = {"body": request.form.get("body", "")}
    if fields.errors:
        return _page(row, values, fields.by_field(), 400)
    try:
        conversation.add_comment(get_db(), number, conversation.CUSTOMER, body, files=files,
                                 folder=attachments_dir(), delivery=current_app.config, check_owner=_check())
    except conversation.CaseClosed:
        return _page(_owned(number) or row, values, {}, 409, refused="closed")
    flash("Your reply was added.", "notice")
    return redirect(url_for(".case_status", number=number), 303)


@bp.post("/cases/<case_number:number>/status")
def change_status(number: str):
    """ "This is solved" (``status=solved``) and "Reopen" (``status=open``); then back to the page.

    :raise 400: any other status. :raise 404: as the page. A closed case changes nothing (409).
    """
    check_form_token()
    row = _owned(number)
    if row is None:
        return _no_access(number)
    wanted = request.form.get("status", "")
    if wanted not in BUTTONS:
        abort(400, "Choose \"This is solved\" or \"Reopen\".")
    if row["status"] == "closed":
        return _page(row, {}, {}, 409, refused="closed")
    if row["status"] in BUTTONS[wanted]:  # else pressed on a page gone stale: nothing to change
        try:
            conversation.update_case(get_db(), number, conversation.Change(status=wanted, by=conversation.CUSTOMER),
                                     current_app.config, check_owner=_check())
        except conversation.CaseClosed:
            return _page(_owned(number) or row, {}, {}, 409, refused="closed")
    flash(DONE[wanted], "notice")
    return redirect(url_for(".case_status", number=number), 303)


def _owned(number: str, secret: str | None = None, by_email: bool = True) -> dict | None:
    """The case's row for this browser, by its case cookie (or ``secret``) or ``find``'s cookie; else None."""
    secret = request.cookies.get(CASE_COOKIE, "") if secret is None else secret
    email = find.cookie_email() if by_email else None
    try:
        return conversation.owner_row(get_db(), number, secret, email)
    except cases.CaseNotFound:
        return None


def _check():
    """What ``conversation`` checks again on the row it reads in its transaction: the owner."""
    secret, email = request.cookies.get(CASE_COOKIE, ""), find.cookie_email()

    def check(row) -> None:
        if not conversation.owns(row, secret, email):
            raise cases.CaseNotFound(row["number"])
    return check


def _no_access(number: str):
    return render_template("case_pages/no_access.html", number=number), 404


def _page(row: dict, values: dict[str, str], errors: dict[str, str], status: int = 200, refused: str = ""):
    case = conversation.customer_view(get_db(), row)
    category = (get_build().manifest.get("taxonomy") or {}).get(case["category"], {})
    labels = (category.get("label", case["category"]),
              category.get("subcategories", {}).get(case["subcategory"], case["subcategory"]))
    response = current_app.make_response((render_template(
        "case_pages/case.html", case=case, labels=labels, values=values, errors=errors, refused=refused,
        limits=Limits.from_config(current_app.config), accept=_accept(), readable=readable), status))
    # Not cached, no Referer off the site ("no-referrer" made Chromium post its forms as Origin: null: a 403).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@bp.app_template_filter("when")
def when(stamp: str | None) -> str:
    """A stored UTC time as people read it: ``6 Dec 2026, 14:05 UTC``."""
    try:
        at = datetime.strptime(stamp or "", "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return stamp or ""
    return f"{at.day} {MONTHS[at.month - 1]} {at.year}, {at:%H:%M} UTC"


@bp.app_template_filter("rendered")
def rendered(text: str | None) -> str:
    """A solution's or comment's Markdown as sanitised HTML, bare web addresses made links too."""
    html = to_html(text or "")
    out, inside = [], 0  # inside: how deep in <a>, <code> or <pre>, where text stays as it is
    for part in _PART.split(html):
        if part.startswith("<"):
            if tag := _SKIP.match(part):
                inside = max(0, inside + (-1 if tag.group(1) else 1))
        elif not inside:
            part = _BARE_URL.sub(_link, part)
        out.append(part)
    return "".join(out)


def _link(match: re.Match) -> str:
    url, trail = match.group(0), ""
    while url[-1] in ".,;:!?)]":  # the sentence's punctuation, not the address's
        url, trail = url[:-1], url[-1] + trail
    return f'<a href="{url}" rel="noopener noreferrer">{url}</a>{trail}'
