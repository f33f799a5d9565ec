"""The support team's commands, for a team without a help desk: ``cases list|show|comment|set-status``.

They do what the staff API does (``web/staff_api.py``), through the same domain functions, so a
comment or a status change here mails the customer and fires the webhook exactly as one made
through the API. ``init-db`` is here too; staff tokens are in ``tokens.py``.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from kbsearch.cases import conversation, db, store
from kbsearch.cases.attachments import readable
from kbsearch.cases.db import DatabaseBusy, StorageFull
from kbsearch.cases.fields import Fields, ValidationError
from kbsearch.index.opened import IndexNotBuilt
from kbsearch.web import current
from kbsearch.web.staff_api import read_since

cases_group = AppGroup("cases", help="Work with submitted cases: list, read, answer and move them.")

LIST_COLUMNS = ("number", "status", "created", "updated", "name", "email", "subject", "category", "subcategory",
                "solved_by")
EVERY_CASE = 10**9  # the page size that lists them all in one query
MAX_STAFF_NAME = 100


def _fail(exc: ValidationError, names: dict[str, str] | None = None) -> click.ClickException:
    """A ``ValidationError`` as one line, each field called what the command calls it."""
    names = names or {}
    return click.ClickException("; ".join(f"{names.get(e['field'], e['field'])} {e['message']}" for e in exc.errors))


@cases_group.command("list")
@click.option("--status", type=click.Choice(store.STATUSES), help="Only cases with this status.")
@click.option("--since", metavar="DATE", help="Only cases opened since this day (YYYY-MM-DD, UTC) or RFC 3339 time.")
@click.option("--format", "form", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def list_command(status: str | None, since: str | None, form: str) -> None:
    """List cases, newest first.

    \b
    Example:
        kbsearch cases list --status new
        kbsearch cases list --since 2026-11-01 --format csv > november.csv
    """
    try:
        since_utc = read_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    cases = conversation.list_cases(current.get_db(), status, since_utc, 1, EVERY_CASE)["cases"]
    if form == "json":
        click.echo(json.dumps(cases, indent=2, ensure_ascii=False))
    elif form == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, LIST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(cases)
        click.echo(out.getvalue(), nl=False)
    else:
        click.echo(_table(cases))


def _table(cases: list[dict[str, Any]]) -> str:
    if not cases:
        return "no cases"
    rows = [("number", "status", "opened", "from", "subject")] + [
        (c["number"], c["status"], c["created"], f"{c['name']} <{c['email']}>", _cut(c["subject"], 60))
        for c in cases]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines + [f"{len(cases)} case(s)"])


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


@cases_group.command("show")
@click.argument("number")
@click.option("--format", "form", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show_command(number: str, form: str) -> None:
    """Show case NUMBER: its details, what the customer tried and the conversation, oldest first.

    \b
    Example:
        kbsearch cases show CS-000123
        kbsearch cases show CS-000123 --format json
    """
    try:
        case = conversation.staff_view(current.get_db(), number)
    except store.CaseNotFound:
        raise click.ClickException(f"no case {number}") from None
    if form == "json":
        click.echo(json.dumps(case, indent=2, ensure_ascii=False))
    else:
        click.echo(_text(case, _titles()))


def _titles() -> dict[str, str]:
    """Article titles for the ids a case names; without an index the ids alone are shown."""
    try:
        return {i: str(d.get("title") or i) for i, d in current.get_build().details.items()}
    except IndexNotBuilt:
        return {}


def _text(case: dict[str, Any], titles: dict[str, str]) -> str:
    def article(i: str) -> str:
        return f"{titles[i]} ({i})" if i in titles else i

    def files(found: list[dict[str, Any]]) -> list[str]:
        return [f"    - {f['name']} ({f['type']}, {readable(f['size'])}; id {f['id']})" for f in found]

    where = case["category"] + (f" / {case['subcategory']}" if case["subcategory"] else "")
    lines = [f"{case['number']}  {case['subject']}", f"status: {case['status']}    category: {where}",
             f"from: {case['name']} <{case['email']}>    opened {case['created']}, updated {case['updated']}"]
    if case["solution"]:
        lines.append(f"solution: {case['solution']}")
    if case["solved_by"]:
        lines.append(f"solved by: {article(case['solved_by'])}")
    lines += ["", textwrap.indent(case["description"], "  "), ""]
    if case["attachments"]:
        lines += ["attachments:", *files(case["attachments"])]
    tried = case["tried"]
    lines.append("tried in the suggestions panel:" if any(tried.values()) else "tried: nothing (no suggestions shown)")
    for key, label in (("shown", "shown"), ("opened", "opened"), ("dismissed", "not relevant")):
        if tried[key]:
            lines.append(f"    {label}: " + "; ".join(article(i) for i in tried[key]))
    lines += ["", "conversation (oldest first):" if case["comments"] else "conversation: none yet"]
    for comment in case["comments"]:
        who = "the customer" if comment["author"] == conversation.CUSTOMER else f"the team ({comment['name']})"
        lines += [f"  {comment['created']}  {who}:", textwrap.indent(comment["body"], "      ")]
        lines += files(comment["attachments"])
    return "\n".join(lines)


@cases_group.command("comment")
@click.argument("number")
@click.argument("text")
@click.option("--as", "name", default="support", show_default=True,
              help="The team member the comment is recorded as (the customer reads 'the support team').")
def comment_command(number: str, text: str, name: str) -> None:
    """Answer the customer on case NUMBER with TEXT, as the support team.

    The customer is mailed the comment and the webhook fires (``case.comment``) when
    ``kbsearch deliver`` (or ``kbsearch serve``) sends the outbox.

    \b
    Example:
        kbsearch cases comment CS-000123 "Reset it from Settings > Security, then sign in again."
        kbsearch cases comment CS-000123 "$(cat answer.txt)" --as grace
    """
    fields = Fields()
    body = fields.required({"body": text}, "body", conversation.MAX_COMMENT)
    staff_name = fields.required({"--as": name}, "--as", MAX_STAFF_NAME)
    try:
        fields.check()
        comment = conversation.add_comment(current.get_db(), number, conversation.STAFF, body, staff_name,
                                           delivery=current_app.config)
    except ValidationError as exc:
        raise _fail(exc, {"body": "TEXT"}) from None
    except store.CaseNotFound:
        raise click.ClickException(f"no case {number}") from None
    except (DatabaseBusy, StorageFull) as exc:
        raise click.ClickException(str(exc)) from None
    queued = [what for what, setting in (("an email to the customer", "SMTP_HOST"),
                                         ("the case.comment webhook", "WEBHOOK_URL")) if current_app.config[setting]]
    click.echo(f"{number}: comment {comment['id']} added as {staff_name}; "
               + (f"queued {' and '.join(queued)}" if queued else "nothing to send (no SMTP_HOST or WEBHOOK_URL)"))


@cases_group.command("set-status")
@click.argument("number")
@click.argument("status", type=click.Choice(store.STATUSES))
@click.option("--solution", help="The answer shown to the customer on the case's status page.")
@click.option("--article", help="The id of the article that solved the case (the knowledge loop learns from it).")
def set_status_command(number: str, status: str, solution: str | None, article: str | None) -> None:
    """Move case NUMBER to STATUS, optionally with the solution the customer will read.

    The customer is told by email and the webhook fires (``case.updated``), as from the staff API.

    \b
    Example:
        kbsearch cases set-status CS-000123 open
        kbsearch cases set-status CS-000123 solved --solution "Reset the SSO certificate: ..." --article sso-cert
    """
    body = {"status": status, "solution": solution, "solved_by": article}
    try:
        served = current.get_build().details if article is not None else {}
        change = conversation.read_change(body, served)
        changed = conversation.update_case(current.get_db(), number, change, current_app.config)
    except ValidationError as exc:
        raise _fail(exc, {"solved_by": f"--article {article}:"}) from None
    except IndexNotBuilt as exc:
        raise click.ClickException(f"--article needs the served index: {exc}") from None
    except store.CaseNotFound:
        raise click.ClickException(f"no case {number}") from None
    except (DatabaseBusy, StorageFull) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{number}: {status}" + (f" ({', '.join(sorted(changed))} changed)" if changed else " (unchanged)"))


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the case database (the server also does this on first use).

    \b
    Example:
        kbsearch init-db
        KBSEARCH_DATABASE=/srv/kb/cases.sqlite kbsearch init-db
    """
    database = db.open_db(current_app.config["DATABASE"])
    try:
        applied = db.migrate(database)
    finally:
        database.close()
    click.echo(f"{current_app.config['DATABASE']}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
