"""Cases: what a customer submits, how it is checked, stored and looked up again.

A case is stored with its attachments' metadata and a ``submitted`` event in one
transaction, after its files are on disk, so the number handed back always names a
complete case. The secret that unlocks it is returned once and kept only as a hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbsearch.cases import attachments, messages, outbox
from kbsearch.cases.attachments import Accepted, Limits, Upload
from kbsearch.cases.db import Database, StorageFull, is_full, now, writing
from kbsearch.cases.fields import MAX_DESCRIPTION, MAX_SUBJECT, Fields, taxonomy_filters

MAX_NAME = 200
MAX_SHOWN = 50
STATUSES = ("new", "open", "waiting", "solved", "closed")  # "waiting": on the customer


class CaseNotFound(Exception):
    """No case with that number (or the secret does not match it)."""


@dataclass
class CaseInput:
    """A validated case, ready to store."""

    subject: str
    category: str
    subcategory: str
    description: str
    name: str
    email: str
    session: str = ""
    shown: list[str] = field(default_factory=list)
    files: list[Accepted] = field(default_factory=list)


@dataclass(frozen=True)
class Created:
    number: str
    secret: str
    replayed: bool = False  # an earlier request with the same idempotency key made this case


class KeyReused(Exception):
    """An idempotency key already made a case with other content."""


def read_case(source: Mapping, uploads: list[Upload], taxonomy: dict | None, served_ids: Mapping,
              limits: Limits) -> tuple[CaseInput, Fields]:
    """Check every field of a submission; the caller decides how to show ``Fields.errors``.

    ``shown`` (the articles the panel showed) keeps only ids the served build holds.
    """
    fields = Fields()
    subject = fields.required(source, "subject", MAX_SUBJECT)
    category, subcategory = taxonomy_filters(fields, source, taxonomy)
    if not category and not fields.has("category"):
        fields.bad("category", "is required")
    description = fields.required(source, "description", MAX_DESCRIPTION)
    name = fields.required(source, "name", MAX_NAME)
    email = fields.email(source, "email")
    session = fields.token(source, "session")
    shown = [i for i in fields.id_list(source, "shown", MAX_SHOWN) if i in served_ids]
    files = attachments.check(uploads, limits, fields)
    return CaseInput(subject, category or "", subcategory or "", description, name, email, session,
                     shown, files), fields


def secret_hash(secret: str) -> str:
    """What is stored of a secret or token: it is high-entropy, so one SHA-256 suffices."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_case(db: Database, case: CaseInput, folder: Path, key: str | None = None,
                secret_for: Callable[[str], str] | None = None,
                delivery: outbox.Settings | Mapping[str, Any] | None = None,
                articles: Mapping[str, Mapping[str, Any]] | None = None) -> Created:
    """Store ``case`` and its files; return its number and secret once both are durable.

    With an idempotency ``key`` (a client's ``Idempotency-Key``, or the form's session id) a
    retry of a request whose answer was lost returns the case the first one made: its secret
    is then ``secret_for(key)`` (an HMAC under the server's key), so it can be given again
    without ever being stored.

    Files are written as temporary ``.part`` files first and renamed only after the case
    commits; ``attachments.sweep`` finishes or removes any that a crash left between the two.

    The messages the case causes (emails and webhook, by ``delivery``: settings, or the app's
    configuration they are read from; ``articles``, the build's catalogue, gives them titles)
    are queued in the outbox in the same transaction: no case without its messages.

    :raise KeyReused: ``key`` made another case (different subject or email).
    :raise StorageFull, DatabaseBusy: nothing of the case remains.
    """
    key_hash = secret_hash(f"idempotency:{key}") if key else None
    secret = secret_for(key) if key and secret_for else secrets.token_urlsafe(18)
    try:
        staged = attachments.stage(case.files, folder)
    except OSError as exc:
        if is_full(exc):
            raise StorageFull("the server's disk is full: nothing was stored") from exc
        raise
    created = now()
    try:
        with writing(db):
            if key_hash is not None:
                earlier = list(db.query("select number, subject, email, secret_hash from cases "
                                        "where idempotency_hash = ?", [key_hash]))
                if earlier:
                    attachments.discard(staged, folder)
                    return _replay(earlier[0], case, secret)
            table = db["cases"]
            case_id = table.insert({
                "number": f"pending-{secrets.token_hex(8)}", "secret_hash": secret_hash(secret),
                "subject": case.subject, "category": case.category, "subcategory": case.subcategory,
                "description": case.description, "name": case.name, "email": case.email, "status": "new",
                "solution": None, "session": case.session or None, "shown": json.dumps(case.shown),
                "created": created, "updated": created, "idempotency_hash": key_hash,
            }).last_pk
            number = f"CS-{case_id:06d}"
            table.update(case_id, {"number": number})
            db["attachments"].insert_all([
                {"case_id": case_id, "name": f.name, "stored_as": s, "size": f.size, "type": f.type,
                 "sha256": f.sha256} for f, s in zip(case.files, staged)])
            if case.session:
                db["events"].insert({"session": case.session, "kind": "submitted", "article_id": None,
                                     "articles": None, "case_number": number, "query": None,
                                     "created": created})
            if delivery is not None:
                settings = outbox.Settings.of(delivery)
                messages.queue_case_created(db, settings, case_id, secret, articles or {})
    except BaseException:
        attachments.discard(staged, folder)
        raise
    attachments.publish(staged, folder)
    return Created(number, secret)


def _replay(earlier: Mapping[str, Any], case: CaseInput, secret: str) -> Created:
    if (earlier["subject"], earlier["email"]) != (case.subject, case.email):
        raise KeyReused("this Idempotency-Key was already used for another case")
    if not hmac.compare_digest(earlier["secret_hash"], secret_hash(secret)):  # the server's key changed since
        raise KeyReused("this Idempotency-Key's case cannot be given again: send a new key")
    return Created(earlier["number"], secret, replayed=True)
