"""The support team's API tokens: shown once when made, kept only as a hash, compared in constant time.

A token is ``kbs_`` and 32 random bytes in URL-safe base64. Checking one hashes it and compares
that with every live token's hash, all of them every time, so how long a check takes says
nothing about which token came close.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

from kbsearch.cases.db import Database, now, writing
from kbsearch.cases.store import secret_hash

PREFIX = "kbs_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class TokenError(Exception):
    """A token name that is taken, unknown or not allowed."""


def create(db: Database, name: str) -> str:
    """Make a token called ``name`` and return it; only its hash is stored.

    :raise TokenError: a bad name, or one already live.
    """
    if not NAME.match(name):
        raise TokenError("a token name is 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    token = PREFIX + secrets.token_urlsafe(32)
    with writing(db):
        if list(db.query("select id from staff_tokens where name = ?", [name])):
            raise TokenError(f"there is already a token called {name} (revoked ones keep their name)")
        db["staff_tokens"].insert({"name": name, "token_hash": secret_hash(token), "created": now(),
                                   "last_used": None, "revoked": None})
    return token


def listing(db: Database) -> list[dict[str, Any]]:
    """Every token's name and dates, oldest first; never a hash."""
    return list(db.query("select name, created, last_used, revoked from staff_tokens order by id"))


def revoke(db: Database, name: str) -> None:
    """Stop ``name`` working from the next request on.

    :raise TokenError: no live token is called that.
    """
    with writing(db):
        done = db.execute("update staff_tokens set revoked = ? where name = ? and revoked is null", [now(), name])
        if done.rowcount != 1:
            raise TokenError(f"no live token called {name}")


def check(db: Database, token: str) -> str | None:
    """The name of the live token ``token`` is, or ``None``; every live hash is compared."""
    if not token:
        return None
    presented = secret_hash(token)
    found = None
    for row in db.query("select name, token_hash from staff_tokens where revoked is null"):
        if hmac.compare_digest(row["token_hash"], presented):
            found = row["name"]
    return found


def touch(db: Database, name: str) -> None:
    """Record when a token was last used (to the minute: at most one write a minute a token)."""
    minute = now()[:16]
    row = next(iter(db.query("select last_used from staff_tokens where name = ?", [name])), None)
    if row is not None and (row["last_used"] or "")[:16] != minute:
        with writing(db):
            db.execute("update staff_tokens set last_used = ? where name = ?", [now(), name])
