"""From a solved case to a draft article (KCS capture): text in, text out.

The draft takes its title from the subject, a Symptoms section from the description and a
Resolution from the solution, with the case's category and subcategory, ``status: draft`` (so no
build serves it until an editor publishes it) and ``source_case``. What looks like an email
address or a phone number, and the customer's name, are replaced by ``[email]``, ``[phone]`` and
``[name]``; an editor still reads the draft before publishing it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# digit groups joined by a space, '-', '.' or brackets, maybe after a '+': 7 to 15 digits in all
PHONE = re.compile(r"(?<![\w+/.:-])(?:\+\s?)?(?:\(\d{1,5}\)\s?)?\d{1,5}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\w/:-]|\.\d)")
DATE_OR_TIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?")
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
NAME_PART = re.compile(r"[^\W\d_][\w'-]*")
MIN_NAME_PART = 3  # "Jo" and "de" are too common as words to take out everywhere
SLUG = re.compile(r"[^a-z0-9]+")
NO_SOLUTION = "_No solution was written on the case: describe the fix here._"


class NotSolved(Exception):
    """Only a solved (or closed) case becomes an article."""


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(c.isdigit() for c in text)
    grouped = text.startswith("+") or "(" in text or bool(re.search(r"\d[ .-]\d", text))
    if DATE_OR_TIME.fullmatch(text.strip()) or not 7 <= digits <= 15 or (not grouped and digits < 10):
        return text
    groups = re.split(r"[ .()-]+", text.strip("+() "))
    if "." in text and (IPV4.fullmatch(text) or any(len(g) == 1 or len(g) >= 5 for g in groups)):
        return text  # an address or a version (2.7.5, 10.0.19045.1234), not a number to call
    return "[phone]"


def redact(text: str, name: str = "", email: str = "") -> str:
    """``text`` without email addresses, phone numbers, or the customer's ``name`` (whole or any part)."""
    text = EMAIL.sub("[email]", text)
    if email:
        text = re.sub(re.escape(email), "[email]", text, flags=re.IGNORECASE)
    text = PHONE.sub(_phone, text)
    parts = sorted({p for p in NAME_PART.findall(name or "") if len(p) >= MIN_NAME_PART}, key=len, reverse=True)
    for whole in filter(None, [" ".join(name.split()) if name else ""]):
        text = re.sub(r"(?<!\w)" + r"\s+".join(map(re.escape, whole.split())) + r"(?!\w)", "[name]", text,
                      flags=re.IGNORECASE)
    for part in parts:
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text


def slug(text: str, longest: int = 60) -> str:
    """Lower-case ASCII letters and digits joined by '-', cut at a word boundary."""
    words = SLUG.sub("-", text.lower()).strip("-")
    if len(words) > longest:
        words = words[:longest].rsplit("-", 1)[0]
    return words or "case"


def draft(case: Mapping[str, Any], today: date, category: str | None, subcategory: str | None) -> tuple[str, str]:
    """The draft article for ``case`` (a row of ``cases``): its file name and its Markdown.

    ``category`` and ``subcategory`` are those the knowledge base knows (the caller checks the
    case's against ``categories.yml``; None leaves a key out).

    :raise NotSolved: the case is neither solved nor closed.
    """
    if case["status"] not in ("solved", "closed"):
        raise NotSolved(f"case {case['number']} is {case['status']}: only a solved case becomes an article")
    name, email = case.get("name") or "", case.get("email") or ""
    title = " ".join(redact(case["subject"], name, email).split()) or f"Case {case['number']}"
    symptoms = redact(case["description"] or "", name, email).strip()
    solution = redact(case.get("solution") or "", name, email).strip() or NO_SOLUTION
    article_id = f"{case['number'].lower()}-{slug(title)}"
    front = [("id", article_id), ("title", title), ("type", "knowledge"), ("category", category),
             ("subcategory", subcategory), ("status", "draft"), ("source_case", case["number"]),
             ("updated", today.isoformat())]
    # JSON strings are YAML double-quoted scalars: any subject stays one safe value
    meta = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front if value)
    body = f"# {title}\n\n## Symptoms\n\n{symptoms}\n\n## Resolution\n\n{solution}\n"
    return f"{article_id}.md", f"---\n{meta}\n---\n{body}"
