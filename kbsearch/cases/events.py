"""Deflection events: what the suggestions panel showed and what the customer did with it.

Each form session gets an opaque id; the panel reports ``shown`` (which articles, for
which subject; none: the panel had nothing to suggest), ``clicked``, ``dismissed`` ("Not
relevant") and ``deflected`` ("this solved my problem"). An article page asks "Did this
article help?" of any visitor: ``helpful`` or ``not_helpful`` (with an optional reason), one
vote per article and session, a later one replacing it. ``submitted`` is written by the
server with the case itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from kbsearch.cases.db import Database, now, writing
from kbsearch.cases.fields import Fields, unknown_fields

KINDS = ("shown", "clicked", "dismissed", "helpful", "not_helpful", "deflected", "submitted")
FROM_CLIENTS = tuple(k for k in KINDS if k != "submitted")  # the server records a submission itself
NEEDS_ARTICLE = ("clicked", "dismissed", "helpful", "not_helpful", "deflected")
VOTES = ("helpful", "not_helpful")  # one per article and session: a later vote replaces the earlier
MAX_QUERY = 300  # subjects are at most this long; descriptions are never stored in events
MAX_ARTICLES = 20
MAX_REASON = 500  # why an article did not help, said on its page
FIELDS = ("session", "kind", "article_id", "articles", "query", "reason")  # what a client may send


@dataclass
class Event:
    session: str
    kind: str
    article_id: str | None = None
    articles: list[str] = field(default_factory=list)
    case_number: str | None = None
    query: str | None = None
    reason: str | None = None


def read_event(source: Mapping, served_ids: Mapping) -> tuple[Event, Fields]:
    """Check an event from the panel: the kind's required fields, and that what it names exists."""
    fields = Fields()
    session = fields.token(source, "session", required=True)
    kind = fields.text(source, "kind", 20)
    if kind not in FROM_CLIENTS:
        fields.bad("kind", "must be one of " + ", ".join(FROM_CLIENTS))
    article_id = fields.text(source, "article_id", 200) or None
    if kind in NEEDS_ARTICLE and not article_id:
        fields.bad("article_id", f"is required for {kind} events")
    elif article_id and article_id not in served_ids:
        fields.bad("article_id", f"no article {article_id!r}")
    if isinstance(source.get("articles"), str):  # a JSON body: the form-style "a,b" is not a list
        fields.bad("articles", "must be a list of article ids")
    articles = fields.id_list(source, "articles", MAX_ARTICLES) if not fields.has("articles") else []
    unknown = [a for a in articles if a not in served_ids]
    if unknown:
        fields.bad("articles", f"no article {unknown[0]!r}")
    if kind == "shown" and source.get("articles") is None:  # [] is an answer: nothing to suggest
        fields.bad("articles", "is required for shown events: the ids displayed ([] when none)")
    query = " ".join(fields.text(source, "query", 20_000).split())[:MAX_QUERY] or None
    reason = fields.text(source, "reason", MAX_REASON).strip() or None
    if reason and kind != "not_helpful":
        fields.bad("reason", "is only for not_helpful events")
    unknown_fields(fields, source, FIELDS)
    return Event(session, kind, article_id, articles, None, query, reason), fields


def record(db: Database, event: Event) -> int:
    """Store one event; return its id. A vote replaces the session's earlier vote on that article."""
    with writing(db):
        if event.kind in VOTES:
            db.execute("delete from events where session = ? and article_id = ? and kind in (?, ?)",
                       [event.session, event.article_id, *VOTES])
        return db["events"].insert({
            "session": event.session, "kind": event.kind, "article_id": event.article_id,
            "articles": json.dumps(event.articles) if event.articles or event.kind == "shown" else None,
            "case_number": event.case_number, "query": event.query, "reason": event.reason, "created": now(),
        }).last_pk


def prune(db: Database, before: date) -> dict[str, int]:
    """Delete the events and searches recorded before ``before`` (UTC); return how many of each.

    Cases, with the articles their panel showed, their conversation and attachments, are kept.
    """
    with writing(db):
        counts = {}
        for table in ("events", "searches"):
            counts[table] = db.execute(f"delete from {table} where created < ?", [before.isoformat()]).rowcount
    return counts
