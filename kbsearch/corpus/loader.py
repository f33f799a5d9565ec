"""Read a whole articles folder: which files are articles, parse and analyse each, reject duplicates.

The reindex keeps each file's outcome keyed by content hash, so an incremental build parses
only the files that were added or changed and still ends with exactly what a full load gives.
Parsing and analysing is most of a full reindex's work; the reindex may hand it to worker
processes (``kbsearch.workers``).
"""

from __future__ import annotations

import functools
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kbsearch.corpus.articles import (
    Article,
    ArticleError,
    Problem,
    content_hash,
    parse_article,
)
from kbsearch.corpus.taxonomy import TAXONOMY_FILE, Taxonomy
from kbsearch.corpus.words import ArticleWords, words_of

# relpath -> (sha256 of the bytes, the parsed article or the problems found in it, its words)
Entry = tuple[str, Article | tuple[Problem, ...], ArticleWords | None]

CHUNK = 64  # files parsed between two progress reports
Parser = Callable[[list[tuple[str, bytes]]], Iterable[list[tuple[str, Entry]]]]
# a file's size, modification and change times (ns), inode and device; the change time
# moves on every write, even when a tool sets the modification time back
Signature = tuple[int, int, int, int, int]
RECENT_NS = 2_000_000_000  # modified this recently before a load: read it again next time


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
    words: list[ArticleWords] = field(default_factory=list)  # of each article, in the same order
    signatures: dict[str, Signature] = field(default_factory=dict)  # see load_folder

    @property
    def rejected_files(self) -> list[str]:
        return sorted({p.path for p in self.problems})


def scan(root: Path) -> tuple[list[str], list[Skipped]]:
    """List the article files under ``root`` and the Markdown files passed over, with why.

    Files come in path order, folder by folder (as sorted ``Path`` objects would be): the
    order decides which of two files with one id keeps it, and the order of rows in a build.
    """
    files, skipped, _ = scan_signatures(root)
    return files, skipped


def scan_signatures(root: Path) -> tuple[list[str], list[Skipped], list[Signature]]:
    """``scan``, with each file's signature from the one ``stat`` that tells it is a file.

    One pass of ``os.scandir``: a reindex looks at every file of a large knowledge base, and
    stating each twice (is it a file, then has it changed) was a fifth of an incremental build.
    """
    found: list[tuple[str, str, os.stat_result | None]] = []
    pending = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    name = entry.name
                    if name.startswith("."):  # editor and VCS files are not articles
                        continue
                    try:
                        folder_entry = entry.is_dir()
                    except OSError:
                        folder_entry = False
                    if folder_entry:
                        if not entry.is_symlink():  # not into linked folders: they may loop, or lead outside
                            pending.append((entry.path, prefix + name + "/"))
                    elif name.endswith(".md"):
                        found.append((prefix + name, name, _stat(entry)))
        except OSError:  # unreadable: passed over, as os.walk does
            continue
    # folder by folder: the order of the paths' parts, as "/" sorted before any character
    found.sort(key=lambda item: item[0].replace("/", "\0"))
    files: list[str] = []
    skipped: list[Skipped] = []
    signatures: list[Signature] = []
    for rel, name, info in found:
        if "/includes/" in "/" + rel:
            skipped.append(Skipped(rel, "include fragment: text pulled into other articles, not an article"))
        elif name.lower() == "readme.md":
            skipped.append(Skipped(rel, "README: describes the folder, not an article"))
        elif info is not None and stat.S_ISREG(info.st_mode):
            files.append(rel)
            signatures.append((info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev))
    return files, skipped, signatures


def _stat(entry: os.DirEntry) -> os.stat_result | None:
    try:
        return entry.stat()  # follows a link, as os.path.isfile does
    except OSError:
        return None


def load_folder(root: Path, taxonomy: Taxonomy | None, ignore_keys: Iterable[str] = (),
                previous: Mapping[str, Entry] | None = None,
                progress: Callable[[int], None] | None = None, parse: Parser | None = None,
                signatures: Mapping[str, Signature] | None = None) -> Loaded:
    """Load every article under ``root``; reuse ``previous`` entries whose hash is unchanged.

    :param parse: parses the files to parse, chunk by chunk in order; by default
        ``parse_files`` with this taxonomy, here. A reindex passes its worker processes'.
    :param signatures: size, times, inode and device of each file when ``previous`` was
        loaded; a file that still has them is taken as unchanged without being read (as git
        does). ``Loaded.signatures`` holds those the next load may trust.
    """
    root = Path(root)
    # A file modified in the same instant it is read could change again without its time
    # moving: only signatures older than this are kept for the next load.
    settled = time.time_ns() - RECENT_NS
    files, skipped, found = scan_signatures(root)
    ignore = tuple(ignore_keys)
    entries: dict[str, Entry | None] = {}
    changed: list[tuple[str, bytes]] = []
    trusted: dict[str, Signature] = {}
    for rel, signature in zip(files, found):
        path = os.path.join(root, rel)
        old = (previous or {}).get(rel)
        if old is not None and (signatures or {}).get(rel) == signature:
            entries[rel] = old
        else:
            data = _read(path)
            if old is not None and old[0] == content_hash(data):
                entries[rel] = old
            else:
                entries[rel] = None  # keeps the folder's order; filled in below
                changed.append((rel, data))
        if signature[1] < settled:
            trusted[rel] = signature
        if progress and entries[rel] is not None:
            progress(1)
    if parse is None:
        parse = functools.partial(parse_files, taxonomy=taxonomy, ignore=ignore)
    for chunk in parse(changed):
        for rel, entry in chunk:
            entries[rel] = entry
        if progress:
            progress(len(chunk))
    return _gather(entries, skipped, len(changed), trusted)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _gather(entries: dict[str, Entry | None], skipped: list[Skipped], parsed: int,
            signatures: dict[str, Signature]) -> Loaded:
    """Articles in folder order; of two files with one id, the first keeps it."""
    articles: list[Article] = []
    words: list[ArticleWords] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for rel, entry in entries.items():
        assert entry is not None, rel
        _, outcome, analysis = entry
        if isinstance(outcome, tuple):
            problems.extend(outcome)
        elif outcome.id in seen:
            problems.append(Problem(rel, outcome.id_line,
                                    f"duplicate id {outcome.id!r}: already used by {seen[outcome.id]}"))
        else:
            seen[outcome.id] = rel
            articles.append(outcome)
            words.append(analysis)
    return Loaded(articles, problems, skipped, entries, parsed, words, signatures)  # type: ignore[arg-type]


def parse_files(files: list[tuple[str, bytes]], taxonomy: Taxonomy | None,
                ignore: tuple[str, ...]) -> Iterator[list[tuple[str, Entry]]]:
    """Parse ``files`` here, in chunks, in order (``kbsearch.workers`` does it in parallel)."""
    for i in range(0, len(files), CHUNK):
        yield parse_chunk(files[i:i + CHUNK], taxonomy, ignore)


def parse_chunk(files: list[tuple[str, bytes]], taxonomy: Taxonomy | None,
                ignore: tuple[str, ...]) -> list[tuple[str, Entry]]:
    return [(rel, _parse_one(rel, data, taxonomy, ignore)) for rel, data in files]


def _parse_one(rel: str, data: bytes, taxonomy: Taxonomy | None, ignore: tuple[str, ...]) -> Entry:
    digest = content_hash(data)
    try:
        article = parse_article(rel, data, taxonomy, ignore)
    except ArticleError as exc:
        return digest, tuple(exc.problems), None
    return digest, article, words_of(article)


def taxonomy_path(root: Path) -> Path:
    return Path(root) / TAXONOMY_FILE
