"""Markdown to safe HTML: article pages (rendered once, by the reindex) and any other Markdown shown.

The only module that imports pyromark and nh3. Articles are reviewed, but a knowledge base
also imports foreign content, and other Markdown shown on pages (a case's comments) is
written by anyone: nothing that could run script, restyle the page or leave through a
``javascript:`` link survives.

Markdown is CommonMark with GitHub's tables, rendered by pulldown-cmark (the Rust renderer of
rustdoc and mdBook, through pyromark): a reindex renders every article, and Python-Markdown
took 3-4 ms an article, as much work as all the rest of a full build (README, "Why
pulldown-cmark"); pulldown-cmark takes about 0.03 ms. Raw HTML is let through it and cleaned
after (nh3, the Rust ammonia library), so the tags we allow (``<kbd>``, ``<details>``...) work.
"""

from __future__ import annotations

import re

import nh3
import pyromark

from kbsearch.corpus.markup import first_heading

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre",
    "s", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"align"}, "th": {"align"}}
OPTIONS = pyromark.Options.ENABLE_TABLES  # GitHub's tables; fenced code and lists are CommonMark's own
# Support articles are full of placeholders such as <servername>: show them as text unless
# they are a tag we allow. A code span is left alone (Markdown escapes it); any other <tag>
# is kept only if allowed.
_TAG = re.compile(r"<(/?)([A-Za-z][\w.:-]*)([^<>]*)>")
_TICKS = re.compile(r"`+")
_FENCE = re.compile(r"^\s*(```|~~~)")
# a table column's alignment, as the align attribute we allow rather than a style attribute
_ALIGN = re.compile(r'<(t[dh]) style="text-align: (left|center|right)">')
_ARTICLE_LINK = re.compile(r'href="(?:\./)?([A-Za-z0-9][A-Za-z0-9._~-]*)\.md(#[^"]*)?"')
# The sanitiser's time grows with the square of how deeply elements nest: 20 KB of ">" or "- "
# on one line nest 10,000 quotes or lists deep, and took a second. Past MAX_MARKERS on a line,
# a quote or list marker is escaped, shown as the text it is: a line nests that deep at most,
# and nesting across lines costs indentation that grows with each level.
MAX_MARKERS = 32
_MARKER = r"(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*"  # a quote's or a list item's
_MARKERS = re.compile(rf"[ \t]*(?:{_MARKER}){{{MAX_MARKERS}}}(?=[>*+\d-])")  # ... then one more
_CLEANER = nh3.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                       link_rel="noopener noreferrer")


def _escape_tag(match: re.Match) -> str:
    if match.group(2).lower() in ALLOWED_TAGS:
        return match.group(0)
    return f"&lt;{match.group(1)}{match.group(2)}{match.group(3)}&gt;"


def _code_spans(line: str) -> list[tuple[int, int]]:
    """Where the code spans of ``line`` are: a run of backticks closed by the next run as long.

    One pass over the runs, each length's next occurrence looked up, never a backtracking
    regular expression: a line of 8,000 backticks once took seconds to render.
    """
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(line)]
    later: dict[int, list[int]] = {}  # run length -> indices of the runs of that length, last first
    for i in range(len(runs) - 1, -1, -1):
        later.setdefault(runs[i][1] - runs[i][0], []).append(i)
    spans, i = [], 0
    while i < len(runs):
        length = runs[i][1] - runs[i][0]
        same = later[length]
        while same and same[-1] <= i:
            same.pop()
        if not same:
            i += 1
            continue
        j = same.pop()
        spans.append((runs[i][0], runs[j][1]))
        i = j + 1
    return spans


def _escape_outside_code(line: str) -> str:
    out, last = [], 0
    for start, end in _code_spans(line):
        out.append(_TAG.sub(_escape_tag, line[last:start]))
        out.append(line[start:end])
        last = end
    out.append(_TAG.sub(_escape_tag, line[last:]))
    return "".join(out)


def _escape_placeholders(source: str) -> str:
    out, in_fence = [], False
    for line in source.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            if "<" in line:  # most lines have no tag: not scanned (a fifth of a render)
                line = _escape_outside_code(line)
            if deep := _MARKERS.match(line):
                line = f"{line[:deep.end()]}\\{line[deep.end():]}"
        out.append(line)
    return "\n".join(out)


def to_html(source: str, *, drop_title: bool = False, article_url: str = "/articles/") -> str:
    """Render Markdown to sanitised HTML; links to ``x.md`` become article URLs.

    :param drop_title: leave out the first ``# `` heading: an article page shows its title itself.
    """
    if drop_title and (heading := first_heading(source)):
        lines = source.split("\n")
        source = "\n".join(lines[: heading[1]] + lines[heading[1] + 1:])
    html = _ALIGN.sub(r'<\1 align="\2">', pyromark.html(_escape_placeholders(source), options=OPTIONS))
    html = _ARTICLE_LINK.sub(lambda m: f'href="{article_url}{m.group(1)}{m.group(2) or ""}"', html)
    return _CLEANER.clean(html)


def article_html(body: str) -> str:
    """An article page's body: its cleaned Markdown (``Article.body``) as sanitised HTML, less its title."""
    return to_html(body, drop_title=True)
