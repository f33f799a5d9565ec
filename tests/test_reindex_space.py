"""A reindex on a full or nearly full volume: it says so, switches nothing and leaves nothing behind.

The volumes are real: small tmpfs mounts (root only; elsewhere these tests skip, saying why).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write

from kbsearch.index import layout, opened, space
from kbsearch.index.reindex import NoSpace, build
from kbsearch.index.workers import WorkerFailed

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "articles"  # the sample knowledge base: a build of it takes ~1.9 MB
MESSAGE = re.compile(r"^reindex failed, nothing was switched: no space \(needs ~[\d.]+ MB, [\d.]+ MB free\)$")


@pytest.fixture
def volume(tmp_path: Path):
    """``volume(size)`` mounts a tmpfs of ``size`` (``"4m"``) and returns its folder; unmounted at teardown."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("a full-volume test mounts a small tmpfs, which needs root; this user is not root")
        where = tmp_path / f"volume{len(mounted)}"
        where.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"this machine does not allow mounting a tmpfs: {done.stderr.strip() or done.returncode}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture(scope="module")
def room_for_two(tmp_path_factory) -> str:
    """A tmpfs size that holds two builds of the sample knowledge base, and not three."""
    index = tmp_path_factory.mktemp("measure") / "index"
    build(SAMPLE, index, audience="internal")
    return f"{space.size_of(layout.current_build(index)) * 5 // 2 // 1024}k"


def reindex(articles: Path, index: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """``kbsearch reindex`` as an operator runs it, so its exit status is the real one."""
    command = Path(sys.executable).with_name("kbsearch")
    if not command.exists():
        pytest.skip(f"{command} is not installed (pip install -e . puts it beside python)")
    env = {**os.environ, "KBSEARCH_AUDIENCE": "internal", "KBSEARCH_DATABASE": str(tmp_path / "kbsearch.sqlite")}
    return subprocess.run([str(command), "reindex", "--articles", str(articles), "--index", str(index)],
                          env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)


def random_words(rnd: random.Random, count: int) -> str:
    """Words no two articles share: each is a term of its own in every index, so a build grows fast."""
    return " ".join("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(5, 9)))
                    for _ in range(count))


def snapshot(build_folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(build_folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(build_folder.rglob("*")) if p.is_file()}


def assert_untouched(index: Path, served: str, files: dict, free: int) -> None:
    """CURRENT still names the served build, which is as it was and opens; nothing else is left."""
    assert layout.current_build_id(index) == served
    folder = layout.builds_dir(index) / served
    assert snapshot(folder) == files
    assert len(opened.load(folder).ranker) > 0
    assert [p.name for p in layout.builds_dir(index).iterdir()] == [served]  # no .partial, no half build
    assert not (index / (layout.POINTER + ".tmp")).exists()
    assert space.free_bytes(index) >= free - 64 * 1024  # what it wrote was removed


def test_a_reindex_that_fills_the_volume_exits_2_and_switches_nothing(volume, kb, tmp_path):
    index = volume("2m") / "index"
    first = reindex(kb, index, tmp_path)
    assert first.returncode == 0, first.stderr
    served = layout.current_build_id(index)
    files, free = snapshot(layout.builds_dir(index) / served), space.free_bytes(index)
    rnd = random.Random(7)
    for path in sorted(kb.glob("*.md")):  # as many files, each far larger: the estimate is low, so it starts
        path.write_text(path.read_text(encoding="utf-8") + "\n\n" + random_words(rnd, 6000) + "\n", encoding="utf-8")
    done = reindex(kb, index, tmp_path)
    assert done.returncode == 2, done.stderr
    assert MESSAGE.match(done.stderr.strip()), done.stderr
    assert "Traceback" not in done.stderr
    assert_untouched(index, served, files, free)


def test_a_worker_process_that_fills_the_volume_fails_the_same_way(volume, tmp_path):
    index, articles = volume("3m") / "index", tmp_path / "many"
    for n in range(450):  # enough files for worker processes
        write(articles, f"note-{n:03}.md", f"# Note {n} on invoices\n\nInvoice note {n} about password resets.\n")
    build(articles, index, audience="internal", workers=2)
    served = layout.current_build_id(index)
    files, free = snapshot(layout.builds_dir(index) / served), space.free_bytes(index)
    rnd = random.Random(11)
    for n in range(450):  # the workers store each article's text as they parse: more than the volume holds
        write(articles, f"note-{n:03}.md", f"# Note {n} on invoices\n\n{random_words(rnd, 1600)}\n")
    with pytest.raises(NoSpace) as failed:
        build(articles, index, audience="internal", workers=2)
    # which process meets the full disk first is a race: a worker, or the main process writing beside them
    assert isinstance(failed.value.__cause__, (WorkerFailed, OSError)), repr(failed.value.__cause__)
    assert re.fullmatch(r"no space \(needs ~[\d.]+ MB, [\d.]+ MB free\)", str(failed.value))
    assert_untouched(index, served, files, free)


def test_a_worker_that_ran_out_of_space_is_told_from_other_worker_failures():
    assert space.ran_out(WorkerFailed("worker 2: OSError: [Errno 28] No space left on device: 'texts/3.bin'"))
    assert space.ran_out(WorkerFailed("worker 1: OSError: [Errno 122] Disk quota exceeded"))
    assert not space.ran_out(WorkerFailed("worker 1: OSError: [Errno 13] Permission denied"))
    assert not space.ran_out(WorkerFailed("worker 1: MemoryError"))


def test_a_reindex_clearly_short_of_space_refuses_before_writing(volume, kb, tmp_path):
    index = volume("1m") / "index"
    build(kb, index, audience="internal")
    served = layout.current_build_id(index)
    files, free = snapshot(layout.builds_dir(index) / served), space.free_bytes(index)
    text = "Reset the password from the sign-in page, then download the invoice again.\n" * 25
    for n in range(450):  # a build of at least ~2 KB a file and four bytes a byte: ~5 MB, with ~0.9 MB free
        write(kb, f"bulk/note-{n:03}.md", f"# Note {n} on invoices\n\n{text}")
    with pytest.raises(NoSpace) as failed:
        build(kb, index, audience="internal")
    assert failed.value.__cause__ is None  # refused up front, not by a write that failed
    assert failed.value.needed > failed.value.free
    assert_untouched(index, served, files, free)


def test_a_volume_that_holds_two_builds_keeps_working(volume, room_for_two, tmp_path):
    index = volume(room_for_two) / "index"
    builds = []
    for run in range(4):
        if run == 2:  # as cron's next run, minutes later: no request can still be on the previous build
            past = time.time() - 2 * layout.GRACE_SECONDS
            os.utime(index / layout.POINTER, (past, past))
        # run 3 follows at once: it waits out the grace, then removes the previous build
        done = reindex(SAMPLE, index, tmp_path)
        assert done.returncode == 0, done.stderr
        builds.append(layout.current_build_id(index))
        kept = sorted(p.name for p in layout.builds_dir(index).iterdir())
        assert kept == sorted(builds[-2:])  # the current build and the previous one
    assert len(set(builds)) == 4
    assert len(opened.load(layout.current_build(index)).ranker) > 0


def test_stale_partial_folders_are_removed_before_writing(volume, room_for_two, tmp_path):
    index = volume(room_for_two) / "index"
    assert reindex(SAMPLE, index, tmp_path).returncode == 0
    stale = layout.builds_dir(index) / (layout.new_build_id() + layout.PARTIAL)  # a killed reindex's
    (stale / "whoosh").mkdir(parents=True)
    (stale / "whoosh" / "big.seg").write_bytes(b"\0" * (space.free_bytes(index) - 256 * 1024))
    done = reindex(SAMPLE, index, tmp_path)
    assert done.returncode == 0, done.stderr
    assert not stale.exists()
    assert not [p for p in layout.builds_dir(index).iterdir() if p.name.endswith(layout.PARTIAL)]


def test_the_previous_build_stays_only_while_a_request_may_still_use_it(kb, index_dir):
    for _ in range(3):
        build(kb, index_dir)
    previous, current = sorted(p.name for p in layout.builds_dir(index_dir).iterdir())  # as after any switch
    assert current == layout.current_build_id(index_dir)
    (layout.builds_dir(index_dir) / (layout.new_build_id() + layout.PARTIAL)).mkdir()
    layout.clear(index_dir, needed=0, grace=60)  # just switched, room enough: the previous build stays
    assert sorted(p.name for p in layout.builds_dir(index_dir).iterdir()) == [previous, current]
    started = time.monotonic()
    layout.clear(index_dir, needed=space.free_bytes(index_dir) + 1, grace=1.0)  # short of room: waits, removes
    assert sorted(p.name for p in layout.builds_dir(index_dir).iterdir()) == [current]
    assert time.monotonic() - started < 5
    layout.clear(index_dir, needed=0, grace=60)  # the current build is never removed
    assert len(opened.load(layout.current_build(index_dir)).ranker) == 4
