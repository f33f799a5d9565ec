"""Find my cases: a customer who lost the status link asks for one by email.

The answer is the same whether or not the address has cases, so the form tells a stranger
nothing; only the address's owner receives the list. The link itself is made by the caller
(signed with the server's key, valid 24 hours) and queued like any message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kbsearch.cases.db import Database, writing
from kbsearch.cases.messages import queue_find
from kbsearch.cases.outbox import Settings

MAX_PER_HOUR = 3  # mails to one address: enough for a typo and a retry, too few to flood anyone


def cases_for(db: Database, email: str) -> list[dict[str, Any]]:
    """What the signed link's page lists: each case's number, subject, status and dates."""
    return list(db.query("select number, subject, status, created, updated from cases "
                         "where lower(email) = lower(?) order by id desc", [email.strip()]))


def request_link(db: Database, settings: Settings, email: str, make_link: Callable[[str], str],
                 clock: Callable[[], float] = time.time) -> bool:
    """Queue the mail with the link when the address has cases and has had < 3 in the last hour.

    :return: whether a mail was queued (for tests and logs only: never tell the asker).
    """
    address = email.strip().lower()
    with writing(db):
        numbers = [c["number"] for c in cases_for(db, address)]
        if not numbers:
            return False
        recent = next(db.query("select count(*) as n from outbox where event = 'cases.find' "
                               "and lower(target) = ? and queued_at > ?", [address, clock() - 3600]))["n"]
        if recent >= MAX_PER_HOUR:
            return False
        return queue_find(db, settings, address, numbers, make_link(address)) is not None
