"""The outbox: a case's messages are queued in its own transaction; leases, backoff, give-up, re-queue."""

from __future__ import annotations

import io
import json

import pytest
import sqlite_utils.db

from kbsearch import create_app
from kbsearch.cases import db, delivery, outbox, webhook
from kbsearch.cases.store import CaseInput, create_case

CASE = {"subject": "Locked out", "category": "access", "subcategory": "passwords",
        "description": "It says my account is locked.", "name": "Ada", "email": "ada@example.com"}
ON = {"SMTP_HOST": "127.0.0.1", "SUPPORT_EMAIL": "queue@example.com", "PUBLIC_URL": "https://support.example.com",
      "WEBHOOK_URL": "http://127.0.0.1:9/hook"}  # nothing is sent here: queuing needs no server


@pytest.fixture
def queuing(app, config):
    """The test app with email and the webhook switched on."""
    return create_app({**config, **ON})


def everything(config: dict) -> dict[str, list[dict]]:
    database = db.open_db(config["DATABASE"])
    try:
        return {t: list(database.query(f"select * from {t} order by id")) for t in ("cases", "outbox", "events")}
    finally:
        database.close()


def test_a_case_and_its_three_messages_commit_together(queuing, config):
    body = queuing.test_client().post("/api/cases", json=CASE).get_json()
    rows = everything(config)["outbox"]
    assert [(r["channel"], r["target"], r["status"], r["case_number"]) for r in rows] == [
        ("email", "ada@example.com", "pending", "CS-000001"), ("email", "queue@example.com", "pending", "CS-000001"),
        ("webhook", ON["WEBHOOK_URL"], "pending", "CS-000001")]
    assert len({r["delivery_id"] for r in rows}) == 3
    customer, team, hook = rows
    assert customer["secret"] == body["secret"]
    assert f"https://support.example.com/cases/CS-000001?secret={body['secret']}" in customer["payload"]
    assert body["secret"] not in json.dumps([team, hook])
    assert json.loads(hook["payload"])["id"] == hook["delivery_id"]


def test_no_case_remains_when_its_messages_cannot_be_queued(queuing, config, monkeypatch, tmp_path):
    real = sqlite_utils.db.Table.insert

    def broken(self, *args, **kwargs):
        if self.name == "outbox":  # after the case, its attachments and its event are written
            raise RuntimeError("the outbox is broken")
        return real(self, *args, **kwargs)

    monkeypatch.setattr("sqlite_utils.db.Table.insert", broken)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(RuntimeError):
        queuing.test_client().post("/api/cases", data={**CASE, "session": "form-session-1",
                                                       "attachments": [(io.BytesIO(png), "a.png")]})
    monkeypatch.undo()
    assert everything(config) == {"cases": [], "outbox": [], "events": []}
    assert not any((tmp_path / "attachments").iterdir())


def test_a_replayed_request_queues_nothing_more(queuing, config):
    client = queuing.test_client()
    for _ in range(2):
        client.post("/api/cases", json=CASE, headers={"Idempotency-Key": "retry-me-1"})
    assert len(everything(config)["outbox"]) == 3


def test_nothing_is_queued_while_delivery_is_off(client, config):
    assert client.post("/api/cases", json=CASE).status_code == 201
    assert everything(config)["outbox"] == []


def test_without_public_url_the_customer_mail_holds_no_link_and_no_secret(app, config):
    quiet = create_app({**config, **ON, "PUBLIC_URL": None})
    body = quiet.test_client().post("/api/cases", json=CASE).get_json()
    rows = everything(config)["outbox"]
    assert rows[0]["secret"] is None and body["secret"] not in json.dumps(rows) and "?secret=" not in rows[0]["payload"]


def test_an_address_that_could_add_a_recipient_gets_no_mail(queuing, config):
    assert queuing.test_client().post("/api/cases", json={**CASE, "email": "ada,eve@example.com"}).status_code == 201
    rows = everything(config)["outbox"]
    assert [r["target"] for r in rows] == ["queue@example.com", ON["WEBHOOK_URL"]]
    assert json.loads(rows[0]["payload"])["reply_to"] is None




def queue_one(database, tmp_path, **settings) -> str:
    """One case with its webhook queued; return the case's secret."""
    case = CaseInput("Locked out", "access", "", "It is locked.", "Ada", "ada@example.com")
    chosen = outbox.Settings(webhook_url="http://127.0.0.1:9/hook", **settings)
    return create_case(database, case, tmp_path / "files", delivery=chosen).secret


def test_a_lease_keeps_a_message_to_one_deliverer_until_it_expires(database, tmp_path):
    queue_one(database, tmp_path)
    first = outbox.claim(database, 10, due_by=2e9, clock=lambda: 1e9)
    assert first is not None and first.attempts == 1
    assert outbox.claim(database, 10, due_by=2e9, clock=lambda: 1e9 + 9) is None  # held
    second = outbox.claim(database, 10, due_by=2e9, clock=lambda: 1e9 + 10)  # the first deliverer died
    assert second.delivery_id == first.delivery_id and second.attempts == 2 and second.claim != first.claim
    assert outbox.record_sent(database, first) is False  # its result no longer counts
    assert outbox.record_sent(database, second) is True
    assert outbox.claim(database, 10, due_by=2e9) is None


def test_retries_double_up_to_an_hour_then_the_deadline_fails_the_message(database, tmp_path):
    queue_one(database, tmp_path)
    settings = outbox.Settings(retry_seconds=30, give_up_hours=48)
    queued = next(database.query("select queued_at from outbox"))["queued_at"]
    at, delays = queued, []
    for _ in range(200):  # 48 hours of retries take about 60 rounds
        message = outbox.claim(database, 60, due_by=at, clock=lambda at=at: at)
        if outbox.record_failure(database, message, "HTTP 500", settings, clock=lambda at=at: at) == "failed":
            break
        next_attempt = next(database.query("select next_attempt from outbox"))["next_attempt"]
        delays.append(round(next_attempt - at))
        at = next_attempt
    else:
        pytest.fail("the message was never given up")
    assert delays[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600] and set(delays[7:-1]) == {3600}
    assert at == queued + 48 * 3600 and message.attempts == len(delays) + 1  # the last try was at the deadline
    [failed] = delivery.failed(database)
    assert failed["delivery_id"] == message.delivery_id and failed["last_error"] == "HTTP 500"

    with pytest.raises(delivery.NotFailed):
        delivery.requeue(database, "12345")
    delivery.requeue(database, message.delivery_id)
    again = outbox.claim(database, 60, due_by=2e10)
    assert again.delivery_id == message.delivery_id and again.attempts == 1
    with pytest.raises(delivery.NotFailed):  # only a failed message can be re-queued
        delivery.requeue(database, str(again.id))


def test_a_sent_message_keeps_no_secret(database, tmp_path):
    case = CaseInput("Locked out", "access", "", "It is locked.", "Ada", "ada@example.com")
    settings = outbox.Settings(smtp_host="127.0.0.1", public_url="https://support.example.com/")
    secret = create_case(database, case, tmp_path / "files", delivery=settings).secret
    message = outbox.claim(database, 60, due_by=2e10)
    assert message.secret == secret and "https://support.example.com/cases/CS-000001?secret=" in message.payload
    assert outbox.record_sent(database, message)
    [row] = database.query("select * from outbox")
    assert row["secret"] is None and secret not in json.dumps(row) and outbox.ERASED in row["payload"]


def test_the_signature_is_githubs():
    # the example in GitHub's "Validating webhook deliveries"
    assert webhook.signature("It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")


def test_settings_read_from_the_environment_s_strings():
    settings = outbox.Settings.from_config({"SMTP_HOST": "mail", "SMTP_PORT": "587", "SMTP_STARTTLS": "true",
                                            "SMTP_PASSWORD": "hunter2", "WEBHOOK_URL": "", "PUBLIC_URL": "https://x/"})
    assert (settings.smtp_port, settings.smtp_starttls, settings.webhook_url, settings.base_url) == (
        587, True, None, "https://x")
    assert "hunter2" not in repr(settings) and settings.sender == "kbsearch@localhost"
