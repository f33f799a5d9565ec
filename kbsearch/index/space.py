"""Room for a build: what one takes, what is free, and a full volume told from other failures.

A build's size was measured (README, "Reindex"): 19 KB a file for the sample knowledge base,
26 KB for ms-support's 5,849 articles, 2.8 KB for one-line articles, or 4.4-8.6 bytes per
byte of Markdown. The estimates here refuse a reindex before it writes only when it clearly
cannot fit; otherwise it starts, and a write that fails for want of space ends it.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path

from kbsearch.corpus.loader import scan_signatures
from kbsearch.index import layout
from kbsearch.index.workers import WorkerFailed

NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
LEAST_PER_FILE, LEAST_PER_BYTE = 2_500, 4  # a full build's least measured size: per file, per byte of Markdown


def free_bytes(index_dir: Path) -> int:
    """Bytes free for this process on the volume of ``index_dir``."""
    return shutil.disk_usage(index_dir).free


def size_of(folder: Path, *, new_only: bool = False, skip: tuple[str, ...] = ()) -> int:
    """Bytes the files under ``folder`` take on disk, each file once (builds hard-link files).

    :param new_only: count only files no other build shares (a single link).
    :param skip: top-level names in ``folder`` to leave out.
    """
    seen, total = set(), 0
    for root, dirs, files in os.walk(folder):
        top = Path(root) == Path(folder)
        dirs[:] = [d for d in dirs if not (top and d in skip)]
        for name in files:
            st = os.lstat(os.path.join(root, name))
            if not (top and name in skip) and (st.st_dev, st.st_ino) not in seen and not (new_only and st.st_nlink > 1):
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def needed(index_dir: Path, articles_dir: Path | None) -> tuple[int, int]:
    """About how many bytes the next build will write, and a figure it will hardly write less than.

    An incremental build (``articles_dir`` None) writes anew what it does not hard-link from the
    current build. A full one writes about the current build scaled by its number of files (a
    knowledge base changes little between reindexes), and at the least ``LEAST_PER_FILE`` per
    file and ``LEAST_PER_BYTE`` per byte of Markdown: with no build to scale from, that.
    """
    current = layout.current_build(index_dir)
    if articles_dir is None:
        rewritten = size_of(current, skip=layout.LINKED) if current else 0
        return rewritten, rewritten
    files, _, signatures = scan_signatures(articles_dir)
    least = LEAST_PER_FILE * len(files) + LEAST_PER_BYTE * sum(size for size, *_ in signatures)
    if current is None:
        return least, least
    scaled = size_of(current) * max(1, len(files)) // max(1, int(layout.read_manifest(current).get("files") or 0))
    return scaled, min(scaled, least)


def ran_out(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an error it arose from, is a full volume or a spent quota, here or in a worker."""
    for _ in range(16):  # a chain of causes is short; a bound all the same
        if exc is None:
            return False
        if isinstance(exc, OSError) and exc.errno in NO_SPACE:
            return True
        # a worker's error arrives as the line Python prints for it: "OSError: [Errno 28] No space left ..."
        code = re.search(r"\[Errno (\d+)\]", str(exc)) if isinstance(exc, WorkerFailed) else None
        if code and int(code[1]) in NO_SPACE:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f}" if size < 10e6 else f"{size / 1e6:.0f}"
