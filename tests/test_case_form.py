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
    assert re.search(r'<aside id="suggest-panel"[^>]*\bhidden\b', html)
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
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
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
