"""Articles: one Markdown file each, with YAML front matter, validated on load.

Nothing else in kbsearch reads article files. Every problem is reported as
``path:line: message`` so a reviewer can jump straight to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from kbsearch.corpus import markup, yamlfile
from kbsearch.corpus.taxonomy import Taxonomy

TYPES = ("knowledge", "help")
STATUSES = ("draft", "published", "archived")
AUDIENCES = ("public", "customer", "internal")
KNOWN_KEYS = ("id", "title", "type", "category", "subcategory", "status", "audience",
              "language", "tags", "summary", "updated")
# Foreign knowledge bases name some of our fields differently; these fill a field only
# when its own key is absent.
ALIASES = {"summary": ("description",), "updated": ("date", "ms.date")}

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
_SLUG_PART = re.compile(r"[^a-z0-9-]+")
_TAG_SPLIT = re.compile(r"\s*,\s*")

@dataclass(frozen=True)
class Problem:
    """One validation failure, pointing at a file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    type: str
    status: str
    audience: str
    language: str
    category: str | None
    subcategory: str | None
    tags: tuple[str, ...]
    summary: str
    updated: dt.date | None
    body: str  # cleaned Markdown, for rendering
    text: str  # plain text, for indexing and snippets
    path: str  # relative to the articles folder, with forward slashes
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    id_line: int = field(default=1, compare=False)  # where a duplicate id is reported


class ArticleError(Exception):
    """A file failed validation; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def default_id(relpath: str) -> str:
    """The id of a file without one: its name, or for nested files the path joined by ``--``.

    Nested foreign knowledge bases repeat file names across folders, so the path is needed there.
    """
    parts = PurePosixPath(relpath).with_suffix("").parts
    return "--".join(_SLUG_PART.sub("-", part.lower()).strip("-") for part in parts)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_article(relpath: str, data: bytes, taxonomy: Taxonomy | None = None,
                  ignore_keys: Iterable[str] = ()) -> Article:
    """Parse and validate one file's bytes.

    :param ignore_keys: front-matter keys to treat as unknown, for a foreign knowledge base
        whose key of the same name means something else (``audience: itpro``).
    :raise ArticleError: with every problem found in the file.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError([Problem(relpath, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta, key_lines, body, body_line = _split_front_matter(relpath, text)
    for key in ignore_keys:
        meta.pop(key, None)
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(relpath, key_lines.get(key, 1), message))

    def pick(key: str) -> Any:
        if key in meta:
            return meta[key]
        return next((meta[a] for a in ALIASES.get(key, ()) if meta.get(a) not in (None, "")), None)

    cleaned = markup.clean_markdown(body)
    heading = markup.first_heading(cleaned)
    title = _text_field(pick("title"), "title", bad) or (heading[0] if heading else "")
    if not title:
        bad("title", "no title: add 'title:' to the front matter or a '# ' heading")
    if heading:  # the title is its own field; keep a differing H1 as searchable text
        lines = cleaned.split("\n")
        rest = "\n".join(lines[: heading[1]] + lines[heading[1] + 1:])
        words = markup.plain_text(rest)
        plain = words if heading[0] == title else f"{heading[0]}\n{words}"
    else:
        words = plain = markup.plain_text(cleaned)
    if not words.strip():
        problems.append(Problem(relpath, body_line, "empty body: the article has no text below its title"))

    article_id = pick("id")
    article_id = default_id(relpath) if article_id in (None, "") else str(article_id)
    if not _ID.match(article_id):
        bad("id", f"id {article_id!r} may hold only letters, digits, '.', '_', '~' and '-'")
    kind = _choice(pick("type"), "type", TYPES, "knowledge", bad)
    status = _choice(pick("status"), "status", STATUSES, "published", bad)
    audience = _choice(pick("audience"), "audience", AUDIENCES, "public", bad)
    language = _text_field(pick("language"), "language", bad) or "en"
    category = _text_field(pick("category"), "category", bad) or None
    subcategory = _text_field(pick("subcategory"), "subcategory", bad) or None
    if category is None and taxonomy is None and "/" in relpath:
        category = PurePosixPath(relpath).parts[0]
    if taxonomy is not None and (why := taxonomy.check(category, subcategory)):
        bad("subcategory" if "subcategory" in why else "category", why)
    tags = _tags(pick("tags"), bad)
    summary = _text_field(pick("summary"), "summary", bad) or markup.first_paragraph(words)
    updated = _date(pick("updated"), "updated" if "updated" in meta else _alias_key(meta, "updated"), bad)
    if problems:
        raise ArticleError(problems)
    extra = {k: v for k, v in meta.items() if k not in KNOWN_KEYS}
    return Article(article_id, title, kind, status, audience, language, category, subcategory,
                   tags, summary, updated, cleaned, plain, relpath, extra, key_lines.get("id", 1))


def _split_front_matter(relpath: str, text: str) -> tuple[dict, dict[str, int], str, int]:
    """Return (meta, line of each top-level key, body, line where the body starts)."""
    if not text.startswith("---\n"):
        return {}, {}, text, 1
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise ArticleError([Problem(relpath, 1, "front matter starts with '---' but is never closed")])
    front = "\n".join(lines[1:end])
    try:
        meta = yamlfile.load(front)
    except yamlfile.YamlError as exc:  # the front matter starts on the file's second line
        raise ArticleError([Problem(relpath, exc.line + 1, f"invalid YAML in front matter: {exc.reason}")]) from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleError([Problem(relpath, 2, "front matter must be a mapping of keys to values")])
    key_lines = {}
    for number, line in enumerate(lines[1:end], start=2):
        match = re.match(r"^([^\s#:][^:]*):", line)
        if match:
            key_lines.setdefault(match.group(1).strip(), number)
    return {str(k): v for k, v in meta.items()}, key_lines, "\n".join(lines[end + 1:]), end + 2


def _alias_key(meta: Mapping[str, Any], key: str) -> str:
    return next((a for a in ALIASES.get(key, ()) if a in meta), key)


def _text_field(value: Any, key: str, bad) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip()
    bad(key, f"{key} must be text, not {type(value).__name__}")
    return ""


def _choice(value: Any, key: str, allowed: tuple[str, ...], default: str, bad) -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        bad(key, f"unknown {key} {value!r} (expected one of: {', '.join(allowed)})")
        return default
    return value


def _tags(value: Any, bad) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = _TAG_SPLIT.split(value)
    if not isinstance(value, list) or not all(isinstance(t, (str, int)) for t in value):
        bad("tags", "tags must be a list of words or a comma-separated string")
        return ()
    return tuple(dict.fromkeys(str(t).strip().lower() for t in value if str(t).strip()))


def _date(value: Any, key: str, bad) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    bad(key, f"{key} {text!r} is not a date (use YYYY-MM-DD)")
    return None


def visible_to(article: Article, audience: str) -> bool:
    """Whether a reader of ``audience`` may see the article: published, and meant for them.

    Audiences nest: ``public`` readers see public articles, ``customer`` (signed-in) readers
    also see customer ones, and ``internal`` (support staff) see everything published.
    """
    return article.status == "published" and AUDIENCES.index(article.audience) <= AUDIENCES.index(audience)
