"""``kbsearch tokens``: the support team's staff API tokens, made, listed and revoked."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from kbsearch.cases import tokens as staff_tokens
from kbsearch.cases.db import DatabaseBusy, StorageFull
from kbsearch.web import current

tokens_group = AppGroup("tokens", help="The support team's tokens for the staff API (/api/staff/).")


@tokens_group.command("create")
@click.argument("name")
def create_command(name: str) -> None:
    """Make a token called NAME and print it once; only its hash is kept.

    The last line printed is the token alone. Send it as ``Authorization: Bearer <token>``.

    \b
    Example:
        kbsearch tokens create grace
        TOKEN=$(kbsearch tokens create helpdesk-sync | tail -n 1)
    """
    try:
        token = staff_tokens.create(current.get_db(), name)
    except staff_tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    except (DatabaseBusy, StorageFull) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Token {name} for the staff API (Authorization: Bearer <token>). It is shown this once and only "
               "its hash is kept: store it now. The next line is the token:")
    click.echo(token)


@tokens_group.command("list")
def list_command() -> None:
    """List every token: its name, when it was made, last used and revoked (never the token).

    \b
    Example:
        kbsearch tokens list
    """
    rows = staff_tokens.listing(current.get_db())
    if not rows:
        click.echo("no tokens (make one with kbsearch tokens create NAME)")
        return
    table = [("name", "created", "last used", "revoked")] + [
        (r["name"], r["created"], r["last_used"] or "never", r["revoked"] or "-") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())


@tokens_group.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Stop the token called NAME working, from the next request on (its name stays taken).

    \b
    Example:
        kbsearch tokens revoke grace
    """
    try:
        staff_tokens.revoke(current.get_db(), name)
    except staff_tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    except (DatabaseBusy, StorageFull) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: revoked; requests with it are refused (401) from now on")
