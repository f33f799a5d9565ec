"""Safe defaults: response headers, the session cookie, the secret key, and inputs that once gave 500."""

from __future__ import annotations

import stat

import pytest

from kbsearch import create_app
from kbsearch.web import ConfigError, security


@pytest.mark.parametrize("path", ["/", "/cases/new", "/api/status", "/api/nothing-here"])
def test_every_response_carries_the_browser_protections(client, path):
    headers = client.get(path).headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_the_session_cookie_is_samesite_lax_and_httponly(client):
    cookie = client.get("/cases/new").headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_behind_an_https_portal(app, config):
    app = create_app({**config, "PUBLIC_URL": "https://support.example.com"})  # beside the built index
    assert "Secure" in app.test_client().get("/cases/new").headers["Set-Cookie"]


def test_without_a_configured_key_one_is_made_once_private_and_shared(config, tmp_path):
    first, second = create_app(config), create_app(config)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    key_file = tmp_path / security.SECRET_FILE  # beside the database
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700


@pytest.mark.parametrize("weak", ["dev", "short"])
def test_a_default_or_short_secret_key_is_refused(config, weak):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**config, "SECRET_KEY": weak})


def test_a_session_forged_with_the_old_default_key_does_not_pass_the_form_check(client):
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    forger = Flask("forger")
    forger.secret_key = "dev"
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps({"csrf": "forged-token"})
    client.set_cookie("session", forged)
    form = {"csrf_token": "forged-token", "subject": "x", "category": "access", "description": "y",
            "name": "A", "email": "a@example.com", "session": "abcdefgh12"}
    assert client.post("/cases/new", data=form).status_code == 400


def test_a_non_ascii_form_token_is_refused_not_a_crash(client):
    client.get("/cases/new")
    response = client.post("/cases/new", data={"csrf_token": "tökén", "subject": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("page", ["²", "٣", "1e3", "-1", "99999999999999999999"])
def test_a_page_number_in_any_script_is_never_a_crash(client, page):
    assert client.get("/", query_string={"q": "password", "page": page}).status_code == 200
    assert client.get("/api/search", query_string={"q": "password", "page": page}).status_code == 400


def test_a_lone_surrogate_is_a_named_400(client):
    response = client.post("/api/cases", json={"subject": "\ud800", "category": "access", "description": "d",
                                               "name": "A", "email": "a@example.com"})
    assert response.status_code == 400
    assert "subject" in [e["field"] for e in response.get_json()["errors"]]
