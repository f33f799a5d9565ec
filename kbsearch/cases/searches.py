"""Searches: what visitors asked the search page, how many results came back, which one they opened.

A search is recorded under the visitor's first-party session id and nothing else that names
them (no address, no user agent). The same query with the same filters asked again by the same
session within ``SAME_SEARCH_MINUTES`` (a reload, the next page, coming back from an article)
is the same search. Only the first result opened is kept, with its rank (1 = the top result).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from kbsearch.cases.db import Database, now, writing

MAX_QUERY = 300
SAME_SEARCH_MINUTES = 30
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def normalise(query: str) -> str:
    """The query as stored: white space collapsed, at most ``MAX_QUERY`` characters."""
    return " ".join(query.split())[:MAX_QUERY]


def _filters(filters: Mapping[str, str | None]) -> str:
    return json.dumps({k: v for k, v in sorted(filters.items()) if v}, ensure_ascii=False)


def record(db: Database, session: str, query: str, filters: Mapping[str, str | None], total: int,
           busy_seconds: float | None = None) -> int | None:
    """Store a submitted search (or find the same one made moments ago); return its id.

    None when the query is blank. ``busy_seconds`` bounds the wait for the write lock: a search
    must never wait long for its own record.

    :raise DatabaseBusy, StorageFull: nothing was stored; the caller answers the search anyway.
    """
    query = normalise(query)
    if not query:
        return None
    stored_filters = _filters(filters)
    since = (datetime.now(timezone.utc) - timedelta(minutes=SAME_SEARCH_MINUTES)).strftime(STAMP)
    with writing(db, busy_seconds):
        same = list(db.query("select id from searches where session = ? and created >= ? and query = ? "
                             "and filters = ? order by id desc limit 1", [session, since, query, stored_filters]))
        if same:
            return same[0]["id"]
        return db["searches"].insert({"session": session, "query": query, "filters": stored_filters,
                                      "total": total, "created": now()}).last_pk


def record_click(db: Database, search_id: int, session: str, rank: int, article_id: str,
                 busy_seconds: float | None = None) -> bool:
    """Note the result a search's visitor opened first; whether it was recorded.

    Only the session that made the search may record its click, once, with a rank it could have seen.
    """
    with writing(db, busy_seconds):
        changed = db.execute("update searches set clicked = ?, rank = ? where id = ? and session = ? "
                             "and clicked is null and total >= ?", [article_id, rank, search_id, session, rank]).rowcount
    return changed == 1
