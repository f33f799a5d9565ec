"""``kbsearch cases draft-article``: a solved case becomes a draft article (KCS capture)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app

from kbsearch.cases import capture
from kbsearch.commands.support import cases_group
from kbsearch.corpus.articles import ArticleError, parse_article
from kbsearch.corpus.taxonomy import TaxonomyError, load_taxonomy
from kbsearch.web import current


@cases_group.command("draft-article")
@click.argument("number")
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder to write the draft in [ARTICLES_DIR].")
def draft_article_command(number: str, folder: Path | None) -> None:
    """Write a draft article from solved case NUMBER: its subject, symptoms and resolution.

    Email addresses, phone numbers and the customer's name are redacted; the draft has
    ``status: draft``, so no build serves it until an editor publishes it. It is checked as
    ``kbsearch reindex`` checks articles before it is written, and never overwrites a file.

    \b
    Example:
        kbsearch cases draft-article CS-000123
        kbsearch cases draft-article CS-000123 --to articles/drafts
    """
    rows = list(current.get_db().query("select * from cases where number = ?", [number]))
    if not rows:
        raise click.ClickException(f"no case {number}")
    articles_dir = Path(current_app.config["ARTICLES_DIR"])
    try:
        taxonomy = load_taxonomy(articles_dir)
    except TaxonomyError as exc:
        raise click.ClickException(str(exc)) from None
    category, subcategory = rows[0]["category"] or None, rows[0]["subcategory"] or None
    for why in filter(None, [taxonomy and category and taxonomy.check(category, subcategory)]):
        click.echo(f"note: {why}; the draft leaves it out", err=True)
        category, subcategory = (category, None) if not taxonomy.check(category, None) else (None, None)
    try:
        name, text = capture.draft(rows[0], datetime.now(timezone.utc).date(), category, subcategory)
    except capture.NotSolved as exc:
        raise click.ClickException(str(exc)) from None
    try:
        parse_article(name, text.encode("utf-8"), taxonomy)
    except ArticleError as exc:  # a bug here, never the editor's to fix
        raise click.ClickException("the draft would be rejected: " + "; ".join(map(str, exc.problems))) from None
    target = (folder or articles_dir) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise click.ClickException(f"{target} already exists: edit it, or remove it to draft again") from None
    click.echo(f"{target}: draft of {number} (status: draft; publish it by setting status: published)")
