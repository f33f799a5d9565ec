"""What the article page adds to an article's rendered body: related articles it does not already
link, and code blocks a keyboard can scroll."""

from __future__ import annotations

import re

RELATED = 5  # related articles under an article
_LINKED = re.compile(r'href="/articles/([^"#?/]+)')  # the articles a rendered body links to


def related_not_linked(build, article_id: str, body: str) -> list[tuple[str, dict]]:
    """The most similar articles, leaving out those the body already links (and the article itself)."""
    linked = set(_LINKED.findall(body)) | {article_id}
    found = build.ranker.related(article_id, RELATED + len(linked))
    return [(i, build.details[i]) for i in found if i not in linked][:RELATED]


def focusable_code(body: str) -> str:
    """``<pre>`` blocks scroll sideways on a phone: focusable (``tabindex=0``), a keyboard can scroll them.

    The sanitiser (``corpus.render``) leaves ``<pre>`` without attributes, so the tag is matched whole.
    """
    return body.replace("<pre>", '<pre tabindex="0">')
