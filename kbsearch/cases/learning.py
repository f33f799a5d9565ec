"""What a reindex learns from: the words of solved cases, by the article that solved them.

Reads only. The most recent cases per article (by their last update, which for a solved case
is its solving unless someone wrote on it since), so the build's picture of an article's
customers stays current and one popular article cannot take in every word customers use.
"""

from __future__ import annotations

from collections.abc import Container

from kbsearch.cases.db import Database
from kbsearch.cases.report import SOLVED


def solved_cases(db: Database, per_article: int, articles: Container[str] | None = None
                 ) -> list[tuple[str, str, str]]:
    """``(article id, subject, description)`` of the ``per_article`` most recent solved cases of each article.

    Only cases that are ``solved`` or ``closed`` and name the article that solved them
    (``solved_by``); with ``articles``, only those naming one of them.
    """
    table = db["cases"]
    if not table.exists() or "solved_by" not in table.columns_dict:  # a database older than the link
        return []
    marks = ", ".join("?" for _ in SOLVED)
    rows = db.query(
        "select solved_by, subject, description from ("
        " select solved_by, subject, description, row_number() over"
        " (partition by solved_by order by updated desc, id desc) as recent"
        f" from cases where solved_by is not null and status in ({marks})"
        ") where recent <= ? order by solved_by, recent", [*SOLVED, per_article])
    return [(r["solved_by"], r["subject"] or "", r["description"] or "") for r in rows
            if articles is None or r["solved_by"] in articles]
