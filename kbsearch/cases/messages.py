"""What each change to a case tells whom: the mails and webhooks it queues in the outbox.

Each ``queue_*`` runs inside the transaction of the change that causes it and reads the
case back from it, so a message describes exactly what was committed. Who hears of what:

- a new case: the customer (receipt with the status link, the one message holding the
  secret), the team (``SUPPORT_EMAIL``), the webhook (``case.created``);
- the team's comment: the customer, the webhook (``case.comment``);
- the customer's reply: the team, the webhook (``case.comment``);
- a status, solution or article change: the customer when the team made it, the team when the
  customer did ("This is solved", "Reopen"), the webhook (``case.updated``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kbsearch.cases import mail, webhook
from kbsearch.cases.db import Database, now
from kbsearch.cases.outbox import Settings, insert, new_id
from kbsearch.cases.records import case_record

STAFF = "staff"


def queue_case_created(db: Database, settings: Settings, case_id: int, secret: str,
                       articles: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Queue what a new case causes; ``articles`` (the served catalogue) gives the tried articles titles.

    :return: the delivery ids queued.
    """
    case = case_record(db, case_id)
    tried = {i for ids in case["tried"].values() for i in ids}
    titles = {i: str((articles.get(i) or {}).get("title") or i) for i in tried}
    queued = []
    if settings.smtp_host:
        link = f"{settings.base_url}/cases/{case['number']}?secret={secret}" if settings.base_url else None
        customer = mail.customer_mail(case, settings.sender, settings.support_email, link, new_id())
        if customer is not None:
            queued.append(insert(db, "email", customer, secret if link else None))
        if settings.support_email:
            team = mail.team_mail(case, settings.sender, settings.support_email, titles, settings.base_url, new_id())
            queued.append(insert(db, "email", team))
    if settings.webhook_url:
        queued.append(insert(db, "webhook", webhook.message(settings.webhook_url, new_id(), "case.created", case)))
    return queued


def queue_comment(db: Database, settings: Settings, case_id: int, comment_id: int) -> list[str]:
    """Queue what a comment causes: the other side's mail and ``case.comment``."""
    case = case_record(db, case_id)
    comment = next(c for c in case["comments"] if c["id"] == comment_id)
    if comment["author"] == STAFF:
        text = f"the support team answered on case {case['number']}:"
    else:
        text = f"{case['name']} replied on case {case['number']}:"
    return _notify(db, settings, case, "case.comment", comment["author"] == STAFF, text, comment["body"],
                   comment["created"], comment=comment)


def queue_updated(db: Database, settings: Settings, case_id: int, changes: Mapping[str, Any],
                  by: str) -> list[str]:
    """Queue what a change of status, solution or solving article causes.

    The customer hears of the team's changes of status or solution (not of a linked article
    alone); the team hears of the customer's own "This is solved" and "Reopen".
    """
    case = case_record(db, case_id)
    if by == STAFF:
        text = f"your case {case['number']} is now {mail.STATUS_WORDS.get(case['status'], case['status'])}."
        mailed = "status" in changes or "solution" in changes
    else:
        text, mailed = f"{case['name']} marked case {case['number']} {case['status']}.", True
    return _notify(db, settings, case, "case.updated", by == STAFF, text, changes.get("solution"), now(),
                   mailed=mailed, changes=dict(changes), by=by)


def _notify(db: Database, settings: Settings, case: dict[str, Any], event: str, to_customer: bool, text: str,
            quoted: str | None, created: str, mailed: bool = True, **extra: Any) -> list[str]:
    """Queue the mail to the other side (customer, or ``SUPPORT_EMAIL``) and the webhook ``event``."""
    queued = []
    if settings.smtp_host and mailed:
        if to_customer:
            note = mail.answer_mail(case, event, text, settings.sender, settings.support_email, settings.base_url,
                                    new_id(), quoted)
        elif settings.support_email:
            note = mail.team_note(case, event, text, settings.sender, settings.support_email, settings.base_url,
                                  new_id(), quoted)
        else:
            note = None
        if note is not None:
            queued.append(insert(db, "email", note))
    if settings.webhook_url:
        queued.append(insert(db, "webhook", webhook.message(settings.webhook_url, new_id(), event, case, created,
                                                            **extra)))
    return queued


def queue_find(db: Database, settings: Settings, email: str, numbers: list[str], link: str) -> str | None:
    """Queue the "find my cases" mail holding ``link`` (signed, so it is erased once sent)."""
    if not settings.smtp_host:
        return None
    found = mail.find_mail(email, numbers, settings.sender, link, new_id())
    return insert(db, "email", found, link) if found is not None else None
