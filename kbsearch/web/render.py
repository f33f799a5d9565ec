"""Article Markdown to safe HTML for the article page.

Articles are reviewed, but a knowledge base also imports foreign content: nothing that
could run script, restyle the page or leave through a ``javascript:`` link survives.
"""

from __future__ import annotations

import re

import markdown
import nh3

from kbsearch.corpus.markup import first_heading

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre",
    "s", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"align"}, "th": {"align"}}
# Support articles are full of placeholders such as <servername>: show them as text unless
# they are a tag we allow. A code span is left alone (Markdown escapes it); any other <tag>
# is kept only if allowed.
_TAG = re.compile(r"<(/?)([A-Za-z][\w.:-]*)([^<>]*)>")
_TICKS = re.compile(r"`+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ARTICLE_LINK = re.compile(r'href="(?:\./)?([A-Za-z0-9][A-Za-z0-9._~-]*)\.md(#[^"]*)?"')


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
            line = _escape_outside_code(line)
        out.append(line)
    return "\n".join(out)


def to_html(source: str, article_url: str = "/articles/", drop_title: bool = True) -> str:
    """Render cleaned article Markdown to sanitised HTML; links to ``x.md`` become article URLs.

    :param drop_title: leave out the first ``# `` heading, which the page shows as its title.
    """
    if drop_title and (heading := first_heading(source)):
        lines = source.split("\n")
        source = "\n".join(lines[: heading[1]] + lines[heading[1] + 1:])
    html = markdown.markdown(_escape_placeholders(source), extensions=["tables", "fenced_code", "sane_lists"])
    html = _ARTICLE_LINK.sub(lambda m: f'href="{article_url}{m.group(1)}{m.group(2) or ""}"', html)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
