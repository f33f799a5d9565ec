"""Markdown clean-up and plain-text extraction for indexing.

Rendering a whole corpus through a Markdown renderer is too slow for a batch reindex
(thousands of articles a second), and indexing only needs the words, so plain text is
taken with a handful of regular expressions. Pages render the cleaned Markdown instead.
"""

from __future__ import annotations

import html
import re

# Docs-platform directives that foreign knowledge bases carry. Include markers pull in
# boilerplate shared by hundreds of articles, which only dilutes relevance: drop them.
_INCLUDE = re.compile(r"\[!INCLUDE[^\]\n]*\](?:\([^)\n]*\))?\]?", re.IGNORECASE)
_IMAGE_DIRECTIVE = re.compile(r":::image\b[^\n]*?:::(?:\s*:::image-end:::)?", re.IGNORECASE)
_ALT_TEXT = re.compile(r'alt-text="([^"]*)"', re.IGNORECASE)
_ALERT = re.compile(r"^([ \t]*>[ \t]*)\[!(?:NOTE|IMPORTANT|WARNING|TIP|CAUTION)\]\s*$", re.IGNORECASE | re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_DEF = re.compile(r"^[ \t]*\[[^\]\n]+\]:[ \t]*\S+.*$", re.MULTILINE)
_URL = re.compile(r"https?://\S+")
# Only real HTML tags are stripped: support articles are full of placeholders such as
# <servername> or <GUID> whose words matter to a search.
_TAG = re.compile(
    r"</?(?:a|b|i|u|p|br|hr|em|strong|code|pre|span|div|sup|sub|img|table|thead|tbody|tr|td|th"
    r"|ul|ol|li|dl|dt|dd|kbd|blockquote|center|font|h[1-6]|section|details|summary|iframe|video)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_LIST_MARK = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+", re.MULTILINE)
_QUOTE_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)
# The lookahead names the characters a match can start with: without it the engine tries every
# alternative at every position of every article (a third of parsing time on ms-support).
_EMPHASIS = re.compile(r"(?=[*_`~])(\*{1,3}|_{2,3}|`+|~~|(?<![\w_])_(?=\S)|(?<=\S)_(?![\w_]))")
# Runs of blanks become one space; a lone space, by far the most common run, is not replaced.
_SPACES = re.compile(r"[\t\u00a0\u200b\u200e\u200f\ufeff][ \t\u00a0\u200b\u200e\u200f\ufeff]*"
                     r"| [ \t\u00a0\u200b\u200e\u200f\ufeff]+")


def clean_markdown(markdown: str) -> str:
    """Return the Markdown without directives a plain renderer would show as literal text."""
    text = _HTML_COMMENT.sub("", markdown)
    text = _INCLUDE.sub("", text)
    text = _IMAGE_DIRECTIVE.sub(_alt_text, text)
    return _ALERT.sub(r"\1", text)


def _alt_text(match: re.Match) -> str:
    alt = _ALT_TEXT.search(match.group(0))
    return alt.group(1) if alt else ""


def first_heading(markdown: str) -> tuple[str, int] | None:
    """Return the first level-1 heading outside code fences and its 0-based line index."""
    in_fence = False
    for number, line in enumerate(markdown.split("\n")):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = _HEADING.match(line)
        if not in_fence and match and len(match.group(1)) == 1:
            return match.group(2).strip(), number
    return None


def plain_text(markdown: str) -> str:
    """Reduce cleaned Markdown to its words, one paragraph per line.

    Code blocks keep their text (pasted error output is what customers type), headings keep
    their words, links keep their label and lose their target.
    """
    lines = [line for line in markdown.split("\n") if not _FENCE.match(line)]
    text = "\n".join(lines)
    text = _REF_DEF.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _TAG.sub(" ", text)
    text = _TABLE_RULE.sub("", text)
    text = _QUOTE_MARK.sub("", text)
    text = _LIST_MARK.sub("", text)
    text = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]+", "", text, flags=re.MULTILINE)
    text = _EMPHASIS.sub("", text)
    text = html.unescape(text).replace("|", " ")
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        joined = _SPACES.sub(" ", " ".join(block.split("\n"))).strip()
        if joined:
            paragraphs.append(joined)
    return "\n".join(paragraphs)


def first_paragraph(text: str, limit: int = 280) -> str:
    """Return the first paragraph of plain text, cut at a word boundary near ``limit``."""
    paragraph = text.split("\n", 1)[0] if text else ""
    if len(paragraph) <= limit:
        return paragraph
    return paragraph[:limit].rsplit(" ", 1)[0] + "…"
