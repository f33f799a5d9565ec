"""Making a new file or a rename survive a crash: flush the file, then the folder that holds it.

Shared by the index (builds, the CURRENT pointer) and the case store (attachments), so it
imports nothing of the package.
"""

from __future__ import annotations

import os
from pathlib import Path


def _fsync(path: Path | str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries, so files created or renamed in it are on disk."""
    _fsync(path)


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` (a finished build, before it is published)."""
    for folder, _, files in os.walk(root):
        for name in files:
            _fsync(os.path.join(folder, name))
        _fsync(folder)


def write_durably(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically: readers see the old content or the new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
