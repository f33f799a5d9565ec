"""The category taxonomy: ``categories.yml`` at the root of the articles folder.

One file serves both the reindex (which rejects unknown categories) and the case form
(whose Component Category and Subcategory lists are read from it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kbsearch.corpus import yamlfile

TAXONOMY_FILE = "categories.yml"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class TaxonomyError(Exception):
    """``categories.yml`` cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    subcategories: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, Category]

    def check(self, category: str | None, subcategory: str | None) -> str | None:
        """Return why the pair is not in the taxonomy, or None when it is."""
        if category is None:
            return "subcategory given without a category" if subcategory else None
        if category not in self.categories:
            known = ", ".join(sorted(self.categories))
            return f"unknown category {category!r} (known: {known})"
        subs = self.categories[category].subcategories
        if subcategory is not None and subcategory not in subs:
            known = ", ".join(sorted(subs)) or "none"
            return f"unknown subcategory {subcategory!r} for category {category!r} (known: {known})"
        return None

    def as_dict(self) -> dict[str, dict]:
        """Plain data for JSON, templates and the build manifest."""
        return {
            c.id: {"label": c.label, "subcategories": dict(c.subcategories)}
            for c in self.categories.values()
        }


def load_taxonomy(articles_dir: Path) -> Taxonomy | None:
    """Read ``categories.yml``; None when the folder has none (a foreign knowledge base).

    :raise TaxonomyError: the file is not valid YAML or not of the expected shape.
    """
    path = Path(articles_dir) / TAXONOMY_FILE
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = yamlfile.load(text)
    except yamlfile.YamlError as exc:
        raise TaxonomyError(f"{path}:{exc.line}: invalid YAML: {exc.reason}") from exc
    if not isinstance(data, dict) or not data:
        raise TaxonomyError(f"{path}:1: expected a mapping of category id -> label and subcategories")
    lines = text.split("\n")
    categories: dict[str, Category] = {}
    for cat_id, spec in data.items():
        line = _line_of(lines, str(cat_id))
        if not isinstance(cat_id, str) or not _ID.match(cat_id):
            raise TaxonomyError(f"{path}:{line}: category id {cat_id!r} must be lowercase letters, digits and hyphens")
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
            raise TaxonomyError(f"{path}:{line}: category {cat_id!r} needs a 'label' and 'subcategories'")
        subs = spec.get("subcategories") or {}
        if not isinstance(subs, dict) or not all(isinstance(k, str) and _ID.match(k) and isinstance(v, str) for k, v in subs.items()):
            raise TaxonomyError(f"{path}:{line}: subcategories of {cat_id!r} must map ids to labels")
        categories[cat_id] = Category(cat_id, spec["label"], dict(subs))
    return Taxonomy(categories)


def _line_of(lines: list[str], key: str) -> int:
    for number, line in enumerate(lines, start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1
