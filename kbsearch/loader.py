"""Read a whole articles folder: which files are articles, parse each, reject duplicates.

The reindex keeps each file's outcome keyed by content hash, so an incremental build parses
only the files that were added or changed and still ends with exactly what a full load gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kbsearch.articles import Article, ArticleError, Problem, content_hash, parse_article
from kbsearch.taxonomy import TAXONOMY_FILE, Taxonomy

# relpath -> (sha256 of the bytes, the parsed article or the problems found in it)
Entry = tuple[str, Article | tuple[Problem, ...]]


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Loaded:
    articles: list[Article]
    problems: list[Problem]
    skipped: list[Skipped]
    entries: dict[str, Entry] = field(default_factory=dict)
    parsed: int = 0  # files actually parsed (the rest came unchanged from a previous build)

    @property
    def rejected_files(self) -> list[str]:
        return sorted({p.path for p in self.problems})


def scan(root: Path) -> tuple[list[str], list[Skipped]]:
    """List the article files under ``root`` and the Markdown files passed over, with why."""
    files: list[str] = []
    skipped: list[Skipped] = []
    for path in sorted(Path(root).rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if any(part.startswith(".") for part in parts):
            continue  # editor and VCS files are not part of the knowledge base
        if "includes" in parts[:-1]:
            skipped.append(Skipped(rel, "include fragment: text pulled into other articles, not an article"))
        elif parts[-1].lower() == "readme.md":
            skipped.append(Skipped(rel, "README: describes the folder, not an article"))
        elif path.is_file():
            files.append(rel)
    return files, skipped


def load_folder(root: Path, taxonomy: Taxonomy | None, ignore_keys: Iterable[str] = (),
                previous: Mapping[str, Entry] | None = None,
                progress: Callable[[int], None] | None = None) -> Loaded:
    """Load every article under ``root``; reuse ``previous`` entries whose hash is unchanged."""
    root = Path(root)
    files, skipped = scan(root)
    ignore = tuple(ignore_keys)
    entries: dict[str, Entry] = {}
    parsed = 0
    for rel in files:
        data = (root / rel).read_bytes()
        digest = content_hash(data)
        old = (previous or {}).get(rel)
        if old is not None and old[0] == digest:
            entries[rel] = old
        else:
            parsed += 1
            try:
                entries[rel] = (digest, parse_article(rel, data, taxonomy, ignore))
            except ArticleError as exc:
                entries[rel] = (digest, tuple(exc.problems))
        if progress:
            progress(1)
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for rel, (_, outcome) in entries.items():
        if isinstance(outcome, tuple):
            problems.extend(outcome)
        elif outcome.id in seen:
            problems.append(Problem(rel, outcome.id_line,
                                    f"duplicate id {outcome.id!r}: already used by {seen[outcome.id]}"))
        else:
            seen[outcome.id] = rel
            articles.append(outcome)
    return Loaded(articles, problems, skipped, entries, parsed)


def taxonomy_path(root: Path) -> Path:
    return Path(root) / TAXONOMY_FILE
