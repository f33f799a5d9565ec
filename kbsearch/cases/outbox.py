"""The outbox: every message kbsearch sends, queued in the transaction of the change that causes it.

A committed case is its messages queued, and a message leaves the queue only as ``sent`` or
``failed``, so a crash anywhere between the commit and the send loses nothing: the deliverer
(``delivery.py``) sends what is due, at least once. A message keeps one delivery id for all
its attempts, so a receiver can drop a repeat. A deliverer claims a message with a lease
before sending it; one killed mid-send leaves a lease that expires, and the message is due
again. Statuses: ``pending`` -> ``sending`` -> ``sent``, or back to ``pending`` with a later
``next_attempt``, or ``failed`` once its deadline has passed.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kbsearch.cases import mail, webhook
from kbsearch.cases.db import Database, now, writing

ERASED = "ERASED-ONCE-SENT"  # what replaces a case secret in a sent message
MAX_BACKOFF = 3600.0  # retries double from DELIVERY_RETRY_SECONDS up to one hour apart
RESULT_BUSY_SECONDS = 30.0  # a sent message's result waits this long for the write lock, not 2 s
Clock = Callable[[], float]


@dataclass(frozen=True)
class Settings:
    """What to queue and how to send it, from the app's configuration (README, "Configuration")."""

    smtp_host: str | None = None  # no SMTP_HOST: no email is queued
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str | None = None
    support_email: str | None = None
    public_url: str | None = None
    webhook_url: str | None = None  # no WEBHOOK_URL: no webhook is queued
    webhook_secret: str | None = field(default=None, repr=False)
    retry_seconds: float = 30.0
    give_up_hours: float = 48.0
    lease_seconds: float = 300.0  # longer than any send may take: a send gets at most half of it

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        def text(key: str) -> str | None:
            value = config.get(key)
            return str(value) if value not in (None, "") else None

        starttls = config.get("SMTP_STARTTLS", False)
        return cls(text("SMTP_HOST"), int(config.get("SMTP_PORT") or 25), text("SMTP_USER"), text("SMTP_PASSWORD"),
                   starttls is True or str(starttls).lower() in ("1", "true", "yes", "on"),
                   text("MAIL_FROM"), text("SUPPORT_EMAIL"), text("PUBLIC_URL"), text("WEBHOOK_URL"),
                   text("WEBHOOK_SECRET"), float(config.get("DELIVERY_RETRY_SECONDS", 30)),
                   float(config.get("DELIVERY_GIVE_UP_HOURS", 48)), float(config.get("DELIVERY_LEASE_SECONDS", 300)))

    @property
    def sender(self) -> str:
        return self.mail_from or self.support_email or "kbsearch@localhost"

    @property
    def base_url(self) -> str | None:
        """``PUBLIC_URL`` without its trailing slash: every link in a message starts with it."""
        return self.public_url.rstrip("/") if self.public_url else None

    @property
    def send_seconds(self) -> float:
        """The longest a send may wait on the network: half the lease, so no lease ends mid-send."""
        return self.lease_seconds / 2


@dataclass(frozen=True)
class Claimed:
    """A message a deliverer holds the lease on: send it, then record the result with ``claim``."""

    id: int
    delivery_id: str
    channel: str
    event: str
    case_number: str | None
    target: str
    payload: str
    secret: str | None
    claim: str
    attempts: int
    queued_at: float


def queue_case_created(db: Database, settings: Settings, case_id: int, secret: str,
                       articles: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Queue what a new case causes: the customer's and the team's emails and the webhook.

    Runs inside the case's own transaction and reads the case back from it, so the messages
    describe exactly what was committed. ``articles`` is the served build's catalogue (id ->
    details with a ``title``), for the titles of the articles the panel showed.
    :return: the delivery ids queued.
    """
    case = case_record(db, case_id)
    tried = {i for ids in case["tried"].values() for i in ids}
    titles = {i: str((articles.get(i) or {}).get("title") or i) for i in tried}
    queued = []
    if settings.smtp_host:
        link = f"{settings.base_url}/cases/{case['number']}?secret={secret}" if settings.base_url else None
        customer = mail.customer_mail(case, settings.sender, settings.support_email, link, _id())
        if customer is not None:
            queued.append(_insert(db, "email", customer, secret if link else None))
        if settings.support_email:
            team = mail.team_mail(case, settings.sender, settings.support_email, titles, settings.base_url, _id())
            queued.append(_insert(db, "email", team))
    if settings.webhook_url:
        queued.append(_insert(db, "webhook", webhook.message(settings.webhook_url, _id(), "case.created", case)))
    return queued


def case_record(db: Database, case_id: int) -> dict[str, Any]:
    """A case as messages describe it, with what its customer already tried in the panel.

    ``tried``: ``shown`` the articles the panel showed, ``opened`` those clicked (``clicked``
    events of the case's form session), ``dismissed`` those marked "Not relevant".
    """
    row = next(db.query("select * from cases where id = ?", [case_id]))
    files = db.query("select name, size, type, sha256 from attachments where case_id = ? order by id", [case_id])

    def did(kind: str) -> list[str]:
        if not row["session"]:
            return []
        return [e["article_id"] for e in db.query(
            "select article_id from events where session = ? and kind = ? and article_id is not null "
            "group by article_id order by min(id)", [row["session"], kind])]

    return {
        "number": row["number"], "status": row["status"], "subject": row["subject"], "category": row["category"],
        "subcategory": row["subcategory"] or None, "description": row["description"], "name": row["name"],
        "email": row["email"], "created": row["created"], "attachments": list(files),
        "tried": {"shown": json.loads(row["shown"] or "[]"), "opened": did("clicked"),
                  "dismissed": did("not_helpful")},
        "comments": [],
    }


def _id() -> str:
    return str(uuid.uuid4())


def _insert(db: Database, channel: str, message: tuple[str, str, str, str, str],
            secret: str | None = None) -> str:
    """One outbox row: ``message`` is (delivery id, event, case number, target, payload)."""
    delivery_id, event, number, target, payload = message
    at = time.time()
    db["outbox"].insert({
        "delivery_id": delivery_id, "channel": channel, "event": event, "case_number": number, "target": target,
        "payload": payload, "secret": secret, "status": "pending", "attempts": 0, "queued_at": at,
        "next_attempt": at, "lease_until": None, "claim": None, "last_error": None, "created": now(), "sent": None,
    })
    return delivery_id


def claim(db: Database, lease_seconds: float, due_by: float, clock: Clock = time.time) -> Claimed | None:
    """Take the lease on the next message due by ``due_by``; ``None`` when nothing is due.

    A lease that expired (its deliverer was killed mid-send) first makes its message pending
    again, with the same delivery id. Everything happens under the write lock, and the
    ``status = 'pending'`` guard makes a message claimable by one deliverer at a time.
    """
    with writing(db):
        at = clock()
        db.execute("update outbox set status = 'pending', claim = null, lease_until = null, "
                   "last_error = 'its deliverer stopped while sending (the lease expired)' "
                   "where status = 'sending' and lease_until <= ?", [at])
        due = list(db.query("select id from outbox where status = 'pending' and next_attempt <= ? "
                            "order by next_attempt, id limit 1", [due_by]))
        if not due:
            return None
        token = secrets.token_hex(8)
        taken = db.execute("update outbox set status = 'sending', lease_until = ?, claim = ?, "
                           "attempts = attempts + 1 where id = ? and status = 'pending'",
                           [at + lease_seconds, token, due[0]["id"]])
        if taken.rowcount != 1:
            return None
        row = next(db.query("select * from outbox where id = ?", [due[0]["id"]]))
    return Claimed(row["id"], row["delivery_id"], row["channel"], row["event"], row["case_number"], row["target"],
                   row["payload"], row["secret"], token, row["attempts"], row["queued_at"])


def record_sent(db: Database, message: Claimed) -> bool:
    """Mark ``message`` sent and erase its case secret; ``False`` if its lease was lost meanwhile."""
    payload = message.payload.replace(message.secret, ERASED) if message.secret else message.payload
    with writing(db, RESULT_BUSY_SECONDS):
        done = db.execute("update outbox set status = 'sent', sent = ?, payload = ?, secret = null, claim = null, "
                          "lease_until = null, last_error = null where id = ? and claim = ?",
                          [now(), payload, message.id, message.claim])
    return done.rowcount == 1


def record_failure(db: Database, message: Claimed, error: str, settings: Settings,
                   clock: Clock = time.time) -> str:
    """Schedule the next attempt, or mark ``message`` failed once its deadline has passed.

    Attempts are ``DELIVERY_RETRY_SECONDS`` apart, doubling, capped at an hour; the last one
    is at the deadline, ``DELIVERY_GIVE_UP_HOURS`` after the message was queued.
    :return: ``"retry"``, ``"failed"``, or ``"lost"`` (another deliverer holds it now).
    """
    at = clock()
    deadline = message.queued_at + settings.give_up_hours * 3600
    delay = min(settings.retry_seconds * 2 ** max(message.attempts - 1, 0), MAX_BACKOFF)
    status = "failed" if at >= deadline else "pending"
    with writing(db, RESULT_BUSY_SECONDS):
        done = db.execute("update outbox set status = ?, next_attempt = ?, last_error = ?, claim = null, "
                          "lease_until = null where id = ? and claim = ?",
                          [status, min(at + delay, deadline), error[:1000], message.id, message.claim])
    if done.rowcount != 1:
        return "lost"
    return "failed" if status == "failed" else "retry"
