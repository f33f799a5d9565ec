"""Delivery: sending what the outbox holds, at least once, from any number of deliverers.

``deliver_due`` sends the messages due now one at a time: claim one (a lease), send it, record
the result. ``run_forever`` repeats that every second until SIGTERM or SIGINT, finishing the
message in hand first; ``kbsearch deliver`` runs either, and ``kbsearch serve`` starts
``kbsearch deliver`` beside its web workers. Operators list and re-queue failed messages here.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbsearch.cases import mail, outbox, webhook
from kbsearch.cases.db import (
    Database,
    DatabaseBusy,
    StorageFull,
    migrate,
    open_db,
    writing,
)
from kbsearch.cases.outbox import Claimed, Settings

POLL_SECONDS = 1.0
Report = Callable[[str], None]


@dataclass
class Tally:
    """What a run did; ``lost``: messages another deliverer took over after this one's lease ran out."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0

    def add(self, other: Tally) -> None:
        for name in ("sent", "retried", "failed", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed" + (
            f", {self.lost} taken over by another deliverer" if self.lost else "")


def send(message: Claimed, settings: Settings) -> None:
    """Send one claimed message with the settings of this deliverer; any exception is a failed attempt."""
    if message.channel == "email":
        if not settings.smtp_host:
            raise RuntimeError("SMTP_HOST is not set where `kbsearch deliver` runs")
        mail.send(message.payload, settings.smtp_host, settings.smtp_port, settings.smtp_user,
                  settings.smtp_password, settings.smtp_starttls, settings.send_seconds)
    elif message.channel == "webhook":
        webhook.post(message.target, message.payload, message.delivery_id, message.event,
                     settings.webhook_secret, settings.send_seconds)
    else:
        raise ValueError(f"no way to send a {message.channel!r} message")


def deliver_due(db: Database, settings: Settings, stop: Callable[[], bool] = lambda: False,
                report: Report = lambda line: None) -> Tally:
    """Send every message due when this starts (a retry scheduled meanwhile waits for the next run).

    :raise DatabaseBusy: the write lock could not be had; what was claimed is due again when
        its lease runs out.
    """
    tally = Tally()
    due_by = time.time()
    while not stop():
        message = outbox.claim(db, settings.lease_seconds, due_by)
        if message is None:
            break
        what = f"{message.case_number or message.event} {message.channel} {message.delivery_id}"
        try:
            send(message, settings)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the attempt failed and is retried
            error = f"{type(exc).__name__}: {exc}"
            outcome = outbox.record_failure(db, message, error, settings)
            if outcome == "retry":
                tally.retried += 1
                report(f"{what}: attempt {message.attempts} failed, will retry ({error})")
            elif outcome == "failed":
                tally.failed += 1
                report(f"{what}: failed, giving up after {message.attempts} attempts ({error})")
            else:
                tally.lost += 1
            continue
        if outbox.record_sent(db, message):
            tally.sent += 1
            report(f"{what}: sent")
        else:
            tally.lost += 1
    return tally


def run_forever(database: str | Path, settings: Settings, poll: float = POLL_SECONDS,
                stop: threading.Event | None = None, report: Report = print) -> Tally:
    """Deliver until SIGTERM or SIGINT (or ``stop`` is set), polling every ``poll`` seconds.

    A signal lets the message being sent finish and be recorded, then returns. The signal
    handlers are installed only when this runs in the main thread.
    """
    stop = stop or threading.Event()
    previous = _on_signals(stop) if threading.current_thread() is threading.main_thread() else {}
    db = open_db(database)
    total = Tally()
    try:
        migrate(db)
        while not stop.is_set():
            try:
                total.add(deliver_due(db, settings, stop.is_set, report))
            except (DatabaseBusy, StorageFull) as exc:  # what was claimed goes again once its lease ends
                report(f"{exc}: trying again shortly")
            stop.wait(poll)
    finally:
        db.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return total


def _on_signals(stop: threading.Event) -> dict[int, Any]:
    def handle(signum: int, frame: object) -> None:
        stop.set()

    return {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}


def failed(db: Database) -> list[dict[str, Any]]:
    """The messages given up on, oldest first (``kbsearch deliver --failed``)."""
    return list(db.query("select id, delivery_id, channel, event, case_number, target, attempts, created, "
                         "last_error from outbox where status = 'failed' order by id"))


class NotFailed(Exception):
    """No failed message has that id or delivery id."""


def requeue(db: Database, ident: str) -> dict[str, Any]:
    """Make a failed message due now, with the same delivery id and a new deadline.

    :param ident: the outbox id or the delivery id, as ``kbsearch deliver --failed`` lists them.
    :raise NotFailed: no failed message is known by ``ident``.
    """
    column = "id" if ident.isdigit() else "delivery_id"
    with writing(db):
        found = list(db.query(f"select id, delivery_id, channel, target from outbox "
                              f"where {column} = ? and status = 'failed'", [ident]))
        if not found:
            raise NotFailed(ident)
        at = time.time()
        db.execute("update outbox set status = 'pending', attempts = 0, queued_at = ?, next_attempt = ? "
                   "where id = ?", [at, at, found[0]["id"]])
    return found[0]


def counts(db: Database) -> dict[str, int]:
    """Messages by status."""
    return {r["status"]: r["n"] for r in db.query("select status, count(*) as n from outbox group by status")}
