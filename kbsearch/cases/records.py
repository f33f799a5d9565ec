"""A case as it is read back: its files, its conversation, and the record messages carry.

Shared by the outbox (what a message says) and the conversation (what each side reads), so
both describe a case the same way. Reads only; it runs inside the caller's transaction.
"""

from __future__ import annotations

import json
from typing import Any

from kbsearch.cases.db import Database


def files_of(db: Database, case_id: int, comment_id: int | None = None, with_ids: bool = False
             ) -> list[dict[str, Any]]:
    """The files sent with the case itself (``comment_id`` None) or with one comment."""
    columns = "id, name, size, type, sha256" if with_ids else "name, size, type, sha256"
    if comment_id is None:
        return list(db.query(f"select {columns} from attachments where case_id = ? and comment_id is null "
                             "order by id", [case_id]))
    return list(db.query(f"select {columns} from attachments where case_id = ? and comment_id = ? order by id",
                         [case_id, comment_id]))


def comments_of(db: Database, case_id: int, staff: bool) -> list[dict[str, Any]]:
    """The conversation, oldest first; the team member's name only in the team's view.

    The comments' files are read in one query, not one a comment.
    """
    files: dict[int, list[dict[str, Any]]] = {}
    columns = "id, name, size, type, sha256" if staff else "name, size, type, sha256"
    for f in db.query(f"select comment_id, {columns} from attachments where case_id = ? and comment_id is not null "
                      "order by id", [case_id]):
        files.setdefault(f.pop("comment_id"), []).append(f)
    result = []
    for c in db.query("select * from comments where case_id = ? order by id", [case_id]):
        comment = {"id": c["id"], "author": c["author"], "body": c["body"], "created": c["created"],
                   "attachments": files.get(c["id"], [])}
        if staff:
            comment["name"] = c["name"]
        result.append(comment)
    return result


def case_record(db: Database, case_id: int, with_ids: bool = False, row: Any = None) -> dict[str, Any]:
    """A case as the team and messages see it, with what its customer already tried in the panel.

    ``tried``: ``shown`` the articles the panel showed, ``opened`` those clicked (``clicked``
    events of the case's form session), ``dismissed`` those marked "Not relevant". Never the
    secret: only its hash exists, and it is left out.
    """
    row = row or next(db.query("select * from cases where id = ?", [case_id]))  # ``row``: the caller read it

    def did(kind: str) -> list[str]:
        if not row["session"]:
            return []
        return [e["article_id"] for e in db.query(
            "select article_id from events where session = ? and kind = ? and article_id is not null "
            "group by article_id order by min(id)", [row["session"], kind])]

    return {
        "number": row["number"], "status": row["status"], "subject": row["subject"], "category": row["category"],
        "subcategory": row["subcategory"] or None, "description": row["description"], "name": row["name"],
        "email": row["email"], "created": row["created"], "updated": row["updated"],
        "solution": row["solution"], "solved_by": row["solved_by"],
        "attachments": files_of(db, case_id, with_ids=with_ids),
        "tried": {"shown": json.loads(row["shown"] or "[]"), "opened": did("clicked"),
                  "dismissed": did("dismissed")},
        "comments": comments_of(db, case_id, staff=True),
    }


def attachment_of(db: Database, number: str, attachment_id: int) -> dict[str, Any] | None:
    """One file of case ``number`` (sent with the case or with any of its comments), or ``None``."""
    found = db.query("select a.id, a.name, a.stored_as, a.size, a.type, a.sha256 from attachments a "
                     "join cases c on c.id = a.case_id where c.number = ? and a.id = ?", [number, attachment_id])
    return next(iter(found), None)
