"""The case form as a plain HTML form: labels, CSRF token, errors beside fields, text kept."""

from __future__ import annotations

import io
import re

import pytest

from kbsearch.web import current

FIELDS = {"subject": "Invoice missing", "category": "billing", "subcategory": "invoices",
          "description": "Where is last month's invoice?", "name": "Grace", "email": "grace@example.com"}


def open_form(client) -> dict[str, str]:
    """GET the form; return its hidden fields (token and form session)."""
    html = client.get("/cases/new").get_data(as_text=True)
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_the_form_has_a_label_for_every_field_and_the_panel_is_hidden_without_script(client):
    html = client.get("/cases/new").get_data(as_text=True)
    for field in ("subject", "category", "subcategory", "description", "attachments", "name", "email"):
        assert re.search(rf'<label for="{field}">', html) and f'id="{field}"' in html, field
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'<section id="suggest-panel"[^>]*\bhidden\b', html)
    # the panel comes right after the subject, so it is before Submit in Tab order at every width
    assert html.index('id="subject"') < html.index('id="suggest-panel"') < html.index('id="category"')
    assert 'role="status" aria-live="polite"' in html
    assert 'data-suggest-url="/api/suggest"' in html and 'data-events-url="/api/events"' in html


def test_subcategories_are_grouped_by_category_from_the_taxonomy(client):
    html = client.get("/cases/new").get_data(as_text=True)
    assert '<optgroup label="Signing in" data-category="access">' in html
    assert '<option value="invoices" >Invoices</option>' in html


def test_each_form_gets_its_own_session_id(client):
    first, second = open_form(client), open_form(client)
    assert first["session"] != second["session"] and len(first["session"]) >= 16


def test_a_good_submission_goes_to_the_case_page(app, client):
    hidden = open_form(client)
    data = {**hidden, **FIELDS, "attachments": [(io.BytesIO(b"%PDF-1.7 ..."), "invoice.pdf")]}
    response = client.post("/cases/new", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases/CS-000001"  # no secret in the address bar or history
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("case_secret=") and "Path=/cases/CS-000001" in cookie and "HttpOnly" in cookie
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Case CS-000001" in text and "invoice.pdf" in text and "Billing" in text
    assert "/cases/CS-000001?secret=" in text  # the link back, shown once
    assert "/cases/CS-000001?secret=" not in client.get("/cases/CS-000001").get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "same-origin" and page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert next(current.get_db().query("select session from cases"))["session"] == hidden["session"]


def test_errors_show_beside_their_fields_and_the_text_survives(app, client):
    hidden = open_form(client)
    data = {**hidden, **FIELDS, "email": "grace at example", "description": " ", "shown": "locked-account"}
    response = client.post("/cases/new", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'id="email"[^>]*value="grace at example"[^>]*aria-describedby="email-error', html)
    assert '<p class="field-error" id="email-error">must be an email address' in html
    assert '<p class="field-error" id="description-error">is required</p>' in html
    assert 'value="Invoice missing"' in html and '<option value="billing" selected>' in html
    assert f'name="session" value="{hidden["session"]}"' in html and 'name="shown" value="locked-account"' in html
    with app.app_context():
        assert list(current.get_db().query("select * from cases")) == []


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_post_without_this_sessions_token_is_refused(app, client, token):
    hidden = open_form(client)
    data = {**FIELDS, "session": hidden["session"]} | ({"csrf_token": token} if token else {})
    response = client.post("/cases/new", data=data)
    assert response.status_code == 400 and "expired or came from another site" in response.get_data(as_text=True)
    with app.app_context():
        assert list(current.get_db().query("select * from cases")) == []


def test_another_browser_cannot_reuse_a_token(app, client):
    hidden = open_form(client)
    stranger = app.test_client()
    assert stranger.post("/cases/new", data={**hidden, **FIELDS}).status_code == 400


def test_the_status_page_needs_the_secret(app, client):
    secret = client.post("/api/cases", json=FIELDS).get_json()["secret"]
    stranger = app.test_client()  # no cookie
    assert stranger.get("/cases/CS-000001").status_code == 404
    assert stranger.get(f"/cases/CS-000001?secret={secret}x").status_code == 404
    assert stranger.get(f"/cases/CS-000001?secret={secret}", follow_redirects=True).status_code == 200


def test_a_status_link_is_exchanged_for_a_cookie_scoped_to_its_case(client):
    body = client.post("/api/cases", json=FIELDS)
    number, secret = body.get_json()["number"], body.get_json()["secret"]
    first = client.get(f"/cases/{number}?secret={secret}")
    assert first.status_code == 303 and first.headers["Location"] == f"/cases/{number}"
    assert f"Path=/cases/{number}" in first.headers["Set-Cookie"]
    assert client.get(f"/cases/{number}").status_code == 200  # the cookie now opens it
    assert client.get(f"/cases/{number}?secret=wrong").status_code == 404  # and a wrong link sets nothing
    client.delete_cookie("case_secret", path=f"/cases/{number}")
    assert client.get(f"/cases/{number}").status_code == 404


def test_a_link_can_start_the_form_with_a_subject_and_a_category(client):
    html = client.get("/cases/new?subject=Refund  for%20order&category=billing&subcategory=invoices").get_data(
        as_text=True)
    assert 'value="Refund for order"' in html and '<option value="billing" selected>' in html
    assert '<option value="invoices" selected>' in html
    plain = client.get("/cases/new?category=nope&subject=" + "x" * 400).get_data(as_text=True)
    assert "selected>" not in plain and 'value="' + "x" * 300 + '"' in plain


def test_categories_keep_the_order_of_categories_yml(kb, config):
    from kbsearch import create_app
    from kbsearch.index.reindex import build
    (kb / "categories.yml").write_text(
        "billing:\n  label: Billing\n  subcategories:\n    refunds: Refunds\n    invoices: Invoices\n"
        "access:\n  label: Signing in\n  subcategories:\n    sso: Single sign-on\n    passwords: Passwords\n",
        encoding="utf-8")
    build(kb, config["INDEX_DIR"])
    client = create_app(config).test_client()
    html = client.get("/cases/new").get_data(as_text=True)
    assert html.index('<option value="billing"') < html.index('<option value="access"')
    assert html.index('value="refunds"') < html.index('value="invoices"') < html.index('value="sso"')
    assert html.index('value="sso"') < html.index('value="passwords"')
    page = client.get("/categories").get_data(as_text=True)
    assert page.index("Billing") < page.index("Signing in")


def test_after_an_error_every_bad_file_is_named_and_the_good_ones_must_be_chosen_again(client):
    hidden = open_form(client)
    files = [(io.BytesIO(b"MZ\x90"), "tool.exe"), (io.BytesIO(b"not a png"), "shot.png"),
             (io.BytesIO(b"a,b\n1,2\n"), "export.csv"), (io.BytesIO(b"%PDF-1.7"), "invoice.pdf")]
    response = client.post("/cases/new", data={**hidden, **FIELDS, "email": "", "attachments": files})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="attachments-error">(.*?)</p>', html, re.DOTALL).group(1)
    assert "tool.exe" in error and "shot.png" in error and "export.csv" not in error
    again = re.search(r'<p id="choose-again">(.*?)</p>', html, re.DOTALL).group(1)
    assert "<strong>export.csv</strong>" in again and "<strong>invoice.pdf</strong>" in again
    assert "tool.exe" not in again
    # the summary takes the focus when the page opens, so the customer hears what to fix
    assert re.search(r'<div id="form-errors"[^>]*role="alert"[^>]*tabindex="-1"[^>]*autofocus', html)
