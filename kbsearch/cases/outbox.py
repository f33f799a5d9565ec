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

import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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
    def of(cls, delivery: Settings | Mapping[str, Any] | None) -> Settings:
        """``delivery`` as settings: already settings, or the app's configuration they are read from."""
        return delivery if isinstance(delivery, Settings) else cls.from_config(delivery or {})

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


def new_id() -> str:
    """A delivery id: one per message, the same on every attempt."""
    return str(uuid.uuid4())


def insert(db: Database, channel: str, message: tuple[str, str, str, str, str],
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
