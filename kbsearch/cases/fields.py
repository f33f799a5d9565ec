"""Request validation shared by the API, the case form and the events endpoint.

A ``Fields`` collects every problem with a request, so one 400 (or one re-rendered form)
names all of them at once, each with the field it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Limits shared by the suggestions panel and the case it becomes.
MAX_SUBJECT = 300
MAX_DESCRIPTION = 20_000

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_UNKNOWN_NAMED = 10  # a body of a million unknown keys must not get a million error entries
WHOLE_NUMBER = re.compile(r"^-?[0-9]{1,9}$")


class ValidationError(Exception):
    """Bad input; ``errors`` names each bad field (``{"field", "message"}``). The web layer answers 400."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("invalid request: " + ", ".join(e["field"] for e in errors))
        self.errors = errors


class Fields:
    """Collects field errors so one 400 can name all of them."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def bad(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})

    def text(self, source: Mapping, name: str, limit: int) -> str:
        value = source.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.bad(name, "must be a string")
            return ""
        if not value.isascii() and not _encodable(value):
            self.bad(name, "must be valid Unicode text (a lone surrogate is not)")
            return ""
        if len(value) > limit:
            self.bad(name, f"must be at most {limit} characters")
        return value

    def required(self, source: Mapping, name: str, limit: int) -> str:
        """A text field that must hold more than white space; returned stripped."""
        value = self.text(source, name, limit).strip()
        if not value and not self.has(name):
            self.bad(name, "is required")
        return value

    def email(self, source: Mapping, name: str) -> str:
        value = self.required(source, name, 254)
        if value and not EMAIL.match(value):
            self.bad(name, "must be an email address such as name@example.com")
        return value

    def token(self, source: Mapping, name: str, required: bool = False) -> str:
        """An opaque id chosen by a client (a form session): 8-64 letters, digits, - or _."""
        value = self.text(source, name, 64).strip()
        if (value or required) and not TOKEN.match(value):
            self.bad(name, "must be 8 to 64 letters, digits, '-' or '_'")
        return value

    def id_list(self, source: Mapping, name: str, limit: int) -> list[str]:
        """A list of article ids: a JSON array, or a form field with ids separated by commas."""
        value: Any = source.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in value):
            self.bad(name, "must be a list of article ids")
            return []
        if len(value) > limit:
            self.bad(name, f"must hold at most {limit} ids")
            return []
        return list(dict.fromkeys(value))

    def has(self, name: str) -> bool:
        return any(e["field"] == name for e in self.errors)

    def by_field(self) -> dict[str, str]:
        """The first message for each field, for showing beside a form's inputs."""
        messages: dict[str, str] = {}
        for error in self.errors:
            messages.setdefault(error["field"], error["message"])
        return messages

    def integer(self, source: Mapping, name: str, default: int, low: int, high: int) -> int:
        value = source.get(name, default)
        if isinstance(value, str) and WHOLE_NUMBER.match(value.strip()):  # ASCII digits: "²".isdigit() too
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.bad(name, f"must be a whole number from {low} to {high}")
            return default
        return value

    def check(self) -> None:
        """:raise ValidationError: naming every bad field found so far."""
        if self.errors:
            raise ValidationError(self.errors)


def _encodable(value: str) -> bool:
    """Whether ``value`` is storable text: JSON may carry "\\ud800", which UTF-8 cannot hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def taxonomy_filters(fields: Fields, source: Mapping, taxonomy: dict | None) -> tuple[str | None, str | None]:
    category = fields.text(source, "category", 100) or None
    subcategory = fields.text(source, "subcategory", 100) or None
    if taxonomy is not None:
        if category and category not in taxonomy:
            fields.bad("category", f"unknown category {category!r}")
        elif subcategory and (not category or subcategory not in taxonomy[category]["subcategories"]):
            fields.bad("subcategory", f"unknown subcategory {subcategory!r} for category {category!r}")
    return category, subcategory


def unknown_fields(fields: Fields, source: Mapping, known: tuple[str, ...]) -> None:
    """Name each field a body should not hold: a misspelt optional field is refused, never silently dropped.

    At most ``MAX_UNKNOWN_NAMED`` are named, each cut to 100 characters, so the answer stays small
    whatever was sent. Every JSON view uses it.
    """
    unknown = [name for name in source if name not in known]
    for name in unknown[:MAX_UNKNOWN_NAMED]:
        # clients once sent case_number with "submitted" events
        reason = "is recorded by the server with the case, never sent" if name == "case_number" else (
            "is not a field of this request")
        if not isinstance(name, str):  # a form part with no name at all
            name, reason = "body", "holds a part without a name"
        fields.bad(name if len(name) <= 100 else name[:100] + "…", reason)
    if len(unknown) > MAX_UNKNOWN_NAMED:
        fields.bad("body", f"holds {len(unknown) - MAX_UNKNOWN_NAMED} more unknown fields")
