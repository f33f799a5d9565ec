"""Deflection events: what the suggestions panel showed and what the customer did with it.

Each form session gets an opaque id; the panel reports ``shown`` (which articles, for
which subject), ``clicked``, ``helpful``, ``not_helpful`` and ``deflected`` ("this solved
my problem"). ``submitted`` is written by the server with the case itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from kbsearch.cases.db import Database, now, writing
from kbsearch.cases.fields import Fields, unknown_fields

KINDS = ("shown", "clicked", "helpful", "not_helpful", "deflected", "submitted")
FROM_CLIENTS = tuple(k for k in KINDS if k != "submitted")  # the server records a submission itself
NEEDS_ARTICLE = ("clicked", "helpful", "not_helpful", "deflected")
MAX_QUERY = 300  # subjects are at most this long; descriptions are never stored in events
MAX_ARTICLES = 20
FIELDS = ("session", "kind", "article_id", "articles", "query")  # what a client may send


@dataclass
class Event:
    session: str
    kind: str
    article_id: str | None = None
    articles: list[str] = field(default_factory=list)
    case_number: str | None = None
    query: str | None = None


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
    if kind == "shown" and not articles and not fields.has("articles"):
        fields.bad("articles", "is required for shown events: the ids displayed")
    query = " ".join(fields.text(source, "query", 20_000).split())[:MAX_QUERY] or None
    unknown_fields(fields, source, FIELDS)
    return Event(session, kind, article_id, articles, None, query), fields


def record(db: Database, event: Event) -> int:
    """Store one event; return its id."""
    with writing(db):
        return db["events"].insert({
            "session": event.session, "kind": event.kind, "article_id": event.article_id,
            "articles": json.dumps(event.articles) if event.articles else None,
            "case_number": event.case_number, "query": event.query, "created": now(),
        }).last_pk
