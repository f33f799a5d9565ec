"""After a case is opened: its conversation, its status, and how each side reads it.

Every change here queues the messages it causes in its own transaction (``outbox``): a
comment the customer sees on the status page is a comment the team is told about. The
customer's view names no one on the team and holds nothing internal; the team's view holds
everything, never the case secret (only its hash exists).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbsearch.cases import attachments, messages, outbox
from kbsearch.cases.messages import STAFF
from kbsearch.cases.attachments import Accepted
from kbsearch.cases.db import Database, StorageFull, is_full, now, writing
from kbsearch.cases.fields import MAX_DESCRIPTION, Fields, ValidationError
from kbsearch.cases.records import case_record, comments_of, files_of
from kbsearch.cases.store import STATUSES, CaseNotFound, secret_hash

MAX_COMMENT = MAX_DESCRIPTION
MAX_SOLUTION = MAX_DESCRIPTION
PER_PAGE = 50
CUSTOMER = "customer"  # and messages.STAFF: the two authors of a comment
Delivery = outbox.Settings | Mapping[str, Any] | None


class CaseClosed(Exception):
    """The case is closed: the customer opens a new one instead of replying."""


@dataclass
class Change:
    """What an update asks for; ``None`` leaves a field as it is."""

    status: str | None = None
    solution: str | None = None
    solved_by: str | None = None
    by: str = STAFF
    fields: Fields = field(default_factory=Fields)


def _row(db: Database, number: str) -> dict[str, Any]:
    found = list(db.query("select * from cases where number = ?", [number]))
    if not found:
        raise CaseNotFound(number)
    return found[0]


def owner_row(db: Database, number: str, secret: str, email: str | None = None) -> dict[str, Any]:
    """The case row, for whoever holds its secret (compared in constant time), or reads its mail.

    :param email: an address the caller proved it reads mail at (a "find my cases" link): it
        opens the cases opened with that address (compared without case), as ``finding`` lists them.
    :raise CaseNotFound: no such number, or a wrong secret; the two are indistinguishable.
    """
    row = _row(db, number)
    if not owns(row, secret, email):
        raise CaseNotFound(number)
    return row


def owns(row: Mapping[str, Any], secret: str, email: str | None = None) -> bool:
    """Whether ``secret`` (constant time) or a proved ``email`` opens the case ``row``.

    ``check_owner`` for ``add_comment`` and ``update_case`` is built on it, on the row they read.
    """
    if email and row["email"].strip().lower() == email.strip().lower():
        return True
    return bool(secret) and hmac.compare_digest(row["secret_hash"], secret_hash(secret))


def customer_view(db: Database, row: Mapping[str, Any]) -> dict[str, Any]:
    """What the case's owner reads: the case, the team's answer and the conversation."""
    return {
        "number": row["number"], "status": row["status"], "solution": row["solution"],
        "subject": row["subject"], "category": row["category"], "subcategory": row["subcategory"] or None,
        "description": row["description"], "name": row["name"], "email": row["email"],
        "created": row["created"], "updated": row["updated"],
        "attachments": files_of(db, row["id"]), "comments": comments_of(db, row["id"], staff=False),
    }


def staff_view(db: Database, number: str) -> dict[str, Any]:
    """Everything about a case for the support team: the customer's view plus what they tried.

    :raise CaseNotFound: no such number.
    """
    row = _row(db, number)
    return case_record(db, row["id"], with_ids=True, row=row)


def list_cases(db: Database, status: str | None = None, since: str | None = None,
               page: int = 1, per_page: int = PER_PAGE) -> dict[str, Any]:
    """One page of cases, newest first, with the total that matched."""
    where, params = ["1 = 1"], []
    if status:
        where.append("status = ?")
        params.append(status)
    if since:
        where.append("created >= ?")
        params.append(since)
    clause = " and ".join(where)
    total = next(db.query(f"select count(*) as n from cases where {clause}", params))["n"]
    rows = db.query(f"select number, status, subject, category, subcategory, name, email, created, updated, "
                    f"solved_by from cases where {clause} order by id desc limit ? offset ?",
                    params + [per_page, (page - 1) * per_page])
    return {"cases": [dict(r, subcategory=r["subcategory"] or None) for r in rows], "total": total,
            "page": page, "pages": max(1, -(-total // per_page))}


def add_comment(db: Database, number: str, author: str, body: str, name: str = "",
                files: list[Accepted] | None = None, folder: Path | None = None,
                delivery: Delivery = None, check_owner: Callable[[Mapping[str, Any]], None] | None = None
                ) -> dict[str, Any]:
    """Add to the conversation and queue who must hear of it, in one transaction.

    A customer's reply moves a ``waiting`` or ``solved`` case back to ``open`` and tells the
    team; the team's comment is mailed to the customer. Both fire ``case.comment``.
    ``check_owner`` runs on the case row inside the transaction (the secret check).

    :raise CaseNotFound: no such case (or ``check_owner`` refused it).
    :raise CaseClosed: a customer's reply to a closed case.
    :raise StorageFull, DatabaseBusy: nothing of the comment remains.
    """
    files = files or []
    staged = _stage(files, folder)
    at = now()
    try:
        with writing(db):
            row = _row(db, number)
            if check_owner is not None:
                check_owner(row)
            if author == CUSTOMER and row["status"] == "closed":
                raise CaseClosed(f"case {number} is closed: open a new case")
            comment_id = db["comments"].insert({"case_id": row["id"], "author": author, "name": name or None,
                                                "body": body, "created": at}).last_pk
            db["attachments"].insert_all([
                {"case_id": row["id"], "comment_id": comment_id, "name": f.name, "stored_as": s, "size": f.size,
                 "type": f.type, "sha256": f.sha256} for f, s in zip(files, staged)])
            changes: dict[str, Any] = {"updated": at}
            if author == CUSTOMER and row["status"] in ("waiting", "solved"):
                changes["status"] = "open"
            db["cases"].update(row["id"], changes)
            if delivery is not None:
                messages.queue_comment(db, outbox.Settings.of(delivery), row["id"], comment_id)
    except BaseException:
        attachments.discard(staged, folder) if folder else None
        raise
    if folder:
        attachments.publish(staged, folder)
    return {"id": comment_id, "author": author, "body": body, "created": at,
            "attachments": [{"name": f.name, "size": f.size, "type": f.type, "sha256": f.sha256} for f in files]}


def read_change(body: Mapping[str, Any], served_ids: Container[str], by: str = STAFF) -> Change:
    """Check an update's fields: a known status, a solution, and a served article as ``solved_by``.

    :raise ValidationError: naming each bad field.
    """
    change = Change(by=by)
    fields = change.fields
    if body.get("status") is not None:
        if body["status"] not in STATUSES:
            fields.bad("status", f"must be one of {', '.join(STATUSES)}")
        else:
            change.status = body["status"]
    if body.get("solution") is not None:
        change.solution = fields.text(body, "solution", MAX_SOLUTION)
    if body.get("solved_by") is not None:
        article = body["solved_by"]
        if not isinstance(article, str) or article not in served_ids:
            fields.bad("solved_by", "must be the id of an article the knowledge base serves")
        else:
            change.solved_by = article
    if fields.errors:
        raise ValidationError(fields.errors)
    return change


def update_case(db: Database, number: str, change: Change, delivery: Delivery = None,
                check_owner: Callable[[Mapping[str, Any]], None] | None = None) -> dict[str, Any]:
    """Apply ``change``; when anything changed, queue ``case.updated`` and the mails it causes.

    :return: the fields that changed, with their new values.
    :raise CaseNotFound: no such case (or ``check_owner`` refused it).
    :raise CaseClosed: the customer's change to a closed case.
    """
    with writing(db):
        row = _row(db, number)
        if check_owner is not None:
            check_owner(row)
        if change.by == CUSTOMER and row["status"] == "closed":
            raise CaseClosed(f"case {number} is closed: open a new case")
        wanted = {"status": change.status, "solution": change.solution, "solved_by": change.solved_by}
        changed = {k: v for k, v in wanted.items() if v is not None and v != row[k]}
        if changed:
            db["cases"].update(row["id"], dict(changed, updated=now()))
            if delivery is not None:
                messages.queue_updated(db, outbox.Settings.of(delivery), row["id"], changed, change.by)
    return changed


def _stage(files: list[Accepted], folder: Path | None) -> list[str]:
    if not files or folder is None:
        return []
    try:
        return attachments.stage(files, folder)
    except OSError as exc:
        if is_full(exc):
            raise StorageFull("the server's disk is full: nothing was stored") from exc
        raise

