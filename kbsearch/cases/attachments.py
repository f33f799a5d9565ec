"""Case attachments: which files are accepted, and how they are written so none is lost.

The type is decided here from the file's name *and* its first bytes, never from what the
browser claims, and files are stored under names the server picks. Nothing is written
until every file of a request has passed, so a rejected request leaves no file behind, and
a file gets its final name only after its case commits, so a crash leaves no orphan.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kbsearch.cases.fields import Fields
from kbsearch.durable import fsync_dir

# extension -> (stored type, byte signatures it must start with; None = text; TEXT_STARTS: text
# whose first non-blank character must be one of these). What customers send support: screenshots,
# documents, logs, exported data (CSV, JSON, XML) and browser network captures (HAR, which is JSON).
TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "pdf": ("application/pdf", (b"%PDF-",)),
    "zip": ("application/zip", (b"PK\x03\x04", b"PK\x05\x06")),
    "txt": ("text/plain", None),
    "log": ("text/plain", None),
    "csv": ("text/csv", None),
    "json": ("application/json", None),
    "har": ("application/json", None),
    "xml": ("application/xml", None),
}
# Structured text is checked a little further than "no NUL byte": UTF-8, and the start its format has.
TEXT_STARTS = {"json": (b"{", b"["), "har": (b"{",), "xml": (b"<",), "csv": ()}
DESCRIBED = "images (PNG, JPEG, GIF, WebP), PDF, text, log, CSV, JSON, HAR and XML files, and zip archives"


@dataclass(frozen=True)
class Limits:
    max_files: int
    max_file_bytes: int
    max_total_bytes: int

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(config["ATTACHMENTS_MAX_FILES"], config["ATTACHMENT_MAX_BYTES"],
                   config["ATTACHMENTS_MAX_TOTAL_BYTES"])


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the customer gave it and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Accepted:
    """A checked file, ready to store: a display name, its type and digest."""

    name: str
    type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def readable(size: int) -> str:
    """A byte count as people read limits: 10 MB, 512 KB, 100 bytes."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def display_name(name: str) -> str:
    """The customer's file name, shown back to people only: no folders, no control characters."""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    return name.strip()[:200]


def _type_of(name: str, data: bytes) -> str | None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in TYPES:
        return None
    kind, signatures = TYPES[extension]
    if signatures is None:
        return kind if b"\x00" not in data and _text_fits(extension, data) else None
    if extension == "webp" and data[8:12] != b"WEBP":
        return None
    return kind if data.startswith(signatures) else None


def _text_fits(extension: str, data: bytes) -> bool:
    """Structured text (``TEXT_STARTS``) must be UTF-8 and open the way its format does."""
    if extension not in TEXT_STARTS:
        return True
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    starts = TEXT_STARTS[extension]
    return not starts or data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(starts)


def check(uploads: list[Upload], limits: Limits, fields: Fields, field: str = "attachments") -> list[Accepted]:
    """Every upload that passes; each failure is reported on ``fields`` naming the file."""
    if len(uploads) > limits.max_files:
        fields.bad(field, f"at most {limits.max_files} files may be attached")
        return []
    accepted: list[Accepted] = []
    for upload in uploads:
        name = display_name(upload.name)
        if not name:
            fields.bad(field, "every attachment needs a file name")
        elif not upload.data:
            fields.bad(field, f"{name} is empty")
        elif len(upload.data) > limits.max_file_bytes:
            fields.bad(field, f"{name} is larger than {readable(limits.max_file_bytes)}")
        else:
            kind = _type_of(name, upload.data)
            if kind is None:
                fields.bad(field, f"{name}: only {DESCRIBED} may be attached, and the content must match the name")
            else:
                accepted.append(Accepted(name, kind, upload.data))
    if sum(a.size for a in accepted) > limits.max_total_bytes:
        fields.bad(field, f"attachments together must be at most {readable(limits.max_total_bytes)}")
    return accepted


PART = ".part"
STALE_SECONDS = 3600  # a .part file older than this belongs to no request still running


def stage(files: list[Accepted], folder: Path) -> list[str]:
    """Write ``files`` durably as ``<name>.part`` under fresh server-chosen names; return the names.

    They become the attachments only through ``publish``, after the case that lists them
    commits. On failure nothing is left.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[str] = []
    try:
        for accepted in files:
            extension = accepted.name.rsplit(".", 1)[-1].lower()
            stored_as = f"{uuid.uuid4().hex}.{extension}"
            written.append(stored_as)  # before writing: a failure midway still removes its .part
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
            with os.fdopen(os.open(folder / (stored_as + PART), flags, 0o600), "wb") as out:
                out.write(accepted.data)
                out.flush()
                os.fsync(out.fileno())
        if written:
            fsync_dir(folder)
    except BaseException:
        discard(written, folder)
        raise
    return written


def publish(names: list[str], folder: Path) -> None:
    """Give staged files their final names, once their case is committed."""
    for name in names:
        os.replace(folder / (name + PART), folder / name)
    if names:
        fsync_dir(folder)


def sweep(known: Callable[[str], bool], folder: Path, older_than: float = STALE_SECONDS) -> tuple[int, int]:
    """Finish what a crash interrupted: publish staged files whose case committed, remove the rest.

    :param known: whether a stored name is listed by a committed case.
    :return: how many files were published and how many removed.
    """
    published = removed = 0
    if not folder.is_dir():
        return 0, 0
    cutoff = time.time() - older_than
    for path in folder.glob("*" + PART):
        name = path.name.removesuffix(PART)
        if known(name):
            os.replace(path, folder / name)
            published += 1
        elif path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    if published or removed:
        fsync_dir(folder)
    return published, removed


def discard(names: list[str], folder: Path) -> None:
    """Remove stored files whose case was not saved after all."""
    for name in names:
        for path in (folder / name, folder / (name + PART)):
            path.unlink(missing_ok=True)
