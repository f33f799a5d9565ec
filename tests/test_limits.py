"""Rate limits per client: 429 with Retry-After in the error shape, per setting, and ``off``."""

from __future__ import annotations

import io

import pytest

from kbsearch import create_app

CASE = {"subject": "Locked out", "category": "access", "description": "It says locked.", "name": "Ada",
        "email": "ada@example.com"}


@pytest.fixture
def limited(app, config):
    """A fresh app over the built index, with small limits."""
    def make(**limits):
        return create_app({**config, **limits}).test_client()
    return make


def test_case_creation_is_limited_per_client_with_429_and_retry_after(limited):
    client = limited(RATE_LIMIT_CASES="3 per hour")
    assert [client.post("/api/cases", json=CASE).status_code for _ in range(3)] == [201, 201, 201]
    refused = client.post("/api/cases", json=CASE)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    body = refused.get_json()
    assert body["status"] == 429 and "Too many cases" in body["error"] and body["errors"] == []
    other = client.post("/api/cases", json=CASE, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 201  # another client has its own count


def test_the_form_and_the_api_share_one_case_limit(limited):
    client = limited(RATE_LIMIT_CASES="1 per hour")
    assert client.post("/api/cases", json=CASE).status_code == 201
    client.get("/cases/new")
    with client.session_transaction() as session:
        token = session["csrf"]
    response = client.post("/cases/new", data={**CASE, "csrf_token": token, "session": "abcdefgh12"})
    assert response.status_code == 429 and b"Too many cases" in response.data


def test_a_forwarded_for_header_counts_only_behind_a_trusted_proxy(limited):
    direct = limited(RATE_LIMIT_CASES="1 per hour")
    assert direct.post("/api/cases", json=CASE, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 201
    assert direct.post("/api/cases", json=CASE, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 429
    proxied = limited(RATE_LIMIT_CASES="1 per hour", TRUSTED_PROXIES=1)
    assert proxied.post("/api/cases", json=CASE, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 201
    assert proxied.post("/api/cases", json=CASE, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 201


def test_events_and_attachment_bytes_have_limits_of_their_own(limited):
    client = limited(RATE_LIMIT_EVENTS="2 per minute", RATE_LIMIT_UPLOAD_BYTES="3000 per hour")
    event = {"session": "abcdefgh12", "kind": "clicked", "article_id": "locked-account"}
    assert [client.post("/api/events", json=event).status_code for _ in range(3)] == [201, 201, 429]
    log = b"x" * 2000 + b"\n"
    def upload():
        return client.post("/api/cases", data={**CASE, "attachments": [(io.BytesIO(log), "app.log")]})
    assert upload().status_code == 201
    assert upload().status_code == 429  # 2 x ~2.3 kB of request body > 3000 bytes


def test_off_disables_a_limit(limited):
    client = limited(RATE_LIMIT_EVENTS="off")
    event = {"session": "abcdefgh12", "kind": "clicked", "article_id": "locked-account"}
    assert {client.post("/api/events", json=event).status_code for _ in range(30)} == {201}
