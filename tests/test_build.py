"""The batch reindex: what goes live, what never does, and how it exits."""

from __future__ import annotations

import multiprocessing.connection
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import write

from kbsearch.corpus import loader
from kbsearch.index import fulltext, layout, opened, workers
from kbsearch.index.layout import BuildLocked
from kbsearch.index.reindex import BuildError, build
from kbsearch.ranking import results as result_pages
from kbsearch.ranking import suggest
from kbsearch.ranking.model import TfidfRanker

ROOT = Path(__file__).resolve().parents[1]


def served_ids(index_dir: Path) -> set[str]:
    ix = fulltext.open_index(layout.current_build(index_dir) / "whoosh")
    with ix.searcher() as s:
        return {fields["id"] for fields in s.all_stored_fields()}


def test_full_build_indexes_only_what_customers_may_see(kb, index_dir):
    report = build(kb, index_dir)
    assert report.switched and report.indexed == 4 and report.files == 7
    assert served_ids(index_dir) == {"locked-account", "expired-password", "sso-setup", "invoice-download"}
    manifest = layout.read_manifest(layout.current_build(index_dir))
    assert manifest["audience"] == "customer" and manifest["indexed"] == 4
    assert manifest["counts"]["status"] == {"archived": 1, "draft": 1, "published": 5}
    assert {"python", "whoosh", "numpy", "scipy"} <= set(manifest["versions"])


def test_public_audience_leaves_customer_articles_out(kb, index_dir):
    build(kb, index_dir, audience="public")
    assert "sso-setup" not in served_ids(index_dir)


def test_rejected_files_are_left_out_and_the_rest_goes_live(kb, index_dir):
    write(kb, "broken.md", "---\ntitle: Broken\ncategory: nosuch\n---\nText\n")
    report = build(kb, index_dir)
    assert report.switched and report.rejected_files == ["broken.md"]
    assert [str(p) for p in report.problems] == ["broken.md:3: unknown category 'nosuch' (known: access, billing)"]
    assert "broken" not in served_ids(index_dir)


def test_strict_switches_nothing_when_a_file_is_rejected(kb, index_dir):
    first = build(kb, index_dir)
    write(kb, "broken.md", "---\nstatus: nope\n---\n# Broken\n\nText\n")
    write(kb, "new-article.md", "# New article\n\nText\n")
    report = build(kb, index_dir, strict=True)
    assert not report.switched and layout.current_build_id(index_dir) == first.build_id
    assert "new-article" not in served_ids(index_dir)


def test_a_build_failing_midway_leaves_the_old_build_served(kb, index_dir, monkeypatch):
    first = build(kb, index_dir)
    write(kb, "new-article.md", "# New article\n\nText\n")

    def crash(self, *args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(TfidfRanker, "fit", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        build(kb, index_dir)
    assert layout.current_build_id(index_dir) == first.build_id
    assert "new-article" not in served_ids(index_dir)
    assert [p.name for p in layout.builds_dir(index_dir).iterdir()] == [first.build_id]


def test_a_reindex_killed_with_sigkill_leaves_the_old_build_served(kb, index_dir):
    first = build(kb, index_dir)
    for n in range(3000):  # enough work that the kill lands mid-build
        write(kb, f"bulk/article-{n}.md", f"# Bulk article {n}\n\n" + "word%d filler text " % n * 40)
    env = {**os.environ, "KBSEARCH_ARTICLES_DIR": str(kb), "KBSEARCH_INDEX_DIR": str(index_dir)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "reindex.py")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(layout.PARTIAL) for p in layout.builds_dir(index_dir).iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None, "the build never started"
        time.sleep(0.01)
    time.sleep(0.1)
    assert proc.poll() is None, "the build finished before the kill: give it more work"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert layout.current_build_id(index_dir) == first.build_id
    assert "bulk--article-1" not in served_ids(index_dir)
    report = build(kb, index_dir)  # the next build clears the abandoned partial one
    assert report.switched and "bulk--article-1" in served_ids(index_dir)
    assert not any(p.name.endswith(layout.PARTIAL) for p in layout.builds_dir(index_dir).iterdir())


def test_a_reindex_killed_while_parsing_leaves_no_worker_process_behind(kb, index_dir):
    for n in range(3000):  # enough files to parse in worker processes
        write(kb, f"bulk/article-{n}.md", f"# Bulk article {n}\n\n" + "word%d filler text " % n * 40)
    marker = f"KBSEARCH_TEST_RUN={os.getpid()}-{time.monotonic_ns()}"  # inherited by every child process
    name, value = marker.split("=")
    env = {**os.environ, "KBSEARCH_ARTICLES_DIR": str(kb), "KBSEARCH_INDEX_DIR": str(index_dir), name: value}
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "reindex.py")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len([p for p in processes_with(marker) if p != proc.pid]) < 2:  # the fork server and a worker
        assert time.monotonic() < deadline and proc.poll() is None, "no worker process was started"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = {p: Path(f"/proc/{p}/cmdline").read_bytes()[:120] for p in processes_with(marker)}
    assert not left, f"processes outlived the reindex: {left}"
    assert layout.current_build_id(index_dir) is None


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes().split(b"\0"):
                state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
                if "zombie" not in state:
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_only_one_reindex_runs_at_a_time(kb, index_dir):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from kbsearch.index import layout\n"
         "with layout.locked(sys.argv[1]):\n print('held', flush=True); time.sleep(30)", str(index_dir)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BuildLocked, match="another reindex is running"):
            build(kb, index_dir)
    finally:
        holder.kill()
        holder.communicate()
    assert build(kb, index_dir).switched  # the kernel released the dead holder's lock


def test_nothing_visible_is_an_error_and_switches_nothing(tmp_path):
    write(tmp_path / "kb", "draft.md", "---\nstatus: draft\n---\n# Draft\n\nText\n")
    with pytest.raises(BuildError, match="no article"):
        build(tmp_path / "kb", tmp_path / "index")
    assert layout.current_build_id(tmp_path / "index") is None


def test_a_broken_taxonomy_is_reported_with_its_line(kb, index_dir):
    (kb / "categories.yml").write_text("access:\n  label: A\n  subcategories: [x, y]\n")
    with pytest.raises(BuildError, match=r"categories.yml:1: subcategories of 'access' must map ids to labels"):
        build(kb, index_dir)


def test_old_builds_are_pruned_keeping_the_previous_one(kb, index_dir):
    ids = [build(kb, index_dir).build_id for _ in range(4)]
    assert sorted(p.name for p in layout.builds_dir(index_dir).iterdir()) == ids[-2:]


def answers(index_dir: Path, queries: list[str]) -> list:
    """What a reader gets: search pages (scores, snippets, facets) and suggestions."""
    served = opened.load(layout.current_build(index_dir))
    out = []
    for q in queries:
        page = result_pages.search_page(served, q, per_page=20)
        hits = [(c.id, round(c.score, 6), c.title, c.snippet) for c in page.results]
        found = suggest.suggest(served.ranker, q, "", limit=20, vocabulary=served.vocabulary)
        out.append((hits, page.total, page.facets, [(s.id, round(s.score, 6)) for s in found]))
    return out


def full_text(index_dir: Path, words: list[str] = ()) -> tuple:
    """What the full-text index holds: each article's stored fields, and BM25F's statistics.

    Not its ranking: Whoosh's coordination bonus counts the words each segment holds, so
    its scores move with how the index is split into segments, and nothing served uses them.
    """
    ix = fulltext.open_index(layout.current_build(index_dir) / "whoosh")
    with ix.searcher() as s:
        stored = sorted((f["id"], sorted(f.items())) for f in s.all_stored_fields())
        fields = ("title", "text")
        stats = (s.doc_count(), [s.field_length(f) for f in fields],
                 [[s.doc_frequency(f, w) for f in fields] for w in words]) if words else s.doc_count()
    return stored, stats


def add_bulk(kb: Path, count: int = 20) -> None:
    """Published articles enough that changing a few patches the full-text index rather than rewriting it."""
    for n in range(count):
        write(kb, f"bulk/note-{n}.md", f"# Note {n} on invoices\n\nInvoice note {n} about password resets.\n")


def test_incremental_gives_exactly_what_a_full_build_gives(kb, index_dir, tmp_path):
    queries = ["locked account password", "invoice pdf", "sso identity provider", "brand new topic"]
    add_bulk(kb)
    build(kb, index_dir)
    (kb / "expired-password.md").write_text(
        (kb / "expired-password.md").read_text().replace("cannot be reused", "must differ from the last five"))
    (kb / "invoice-download.md").unlink()
    write(kb, "new-topic.md", "---\ncategory: billing\n---\n# Brand new topic\n\nA new invoice topic.\n")
    (kb / "draft-refunds.md").write_text((kb / "draft-refunds.md").read_text().replace("status: draft", "status: published"))
    report = build(kb, index_dir, incremental=True)
    assert report.incremental and report.parsed == 3 and report.switched
    full_dir = tmp_path / "full-index"
    build(kb, full_dir)
    assert served_ids(index_dir) == served_ids(full_dir)
    assert answers(index_dir, queries) == answers(full_dir, queries)
    # the full-text index was patched: the same documents, and statistics that still count
    # the replaced ones until Whoosh merges their segment
    assert full_text(index_dir) == full_text(full_dir)
    with fulltext.open_index(layout.current_build(index_dir) / "whoosh").searcher() as s:
        assert s.doc_count_all() > s.doc_count()  # patched, not rewritten


def test_an_incremental_build_never_changes_the_previous_builds_files(kb, index_dir):
    add_bulk(kb)
    first = build(kb, index_dir)
    before = {p: p.read_bytes() for p in layout.current_build(index_dir).rglob("*") if p.is_file()}
    (kb / "expired-password.md").write_text((kb / "expired-password.md").read_text() + "\nOne more line.\n")
    (kb / "invoice-download.md").unlink()
    report = build(kb, index_dir, incremental=True)
    assert report.incremental and report.parsed == 1
    assert {p: p.read_bytes() for p in before} == before  # hard links shared with the new build included
    assert opened.load(layout.builds_dir(index_dir) / first.build_id).ranker.article_id(0)  # still opens
    assert "invoice-download" not in served_ids(index_dir) and "expired-password" in served_ids(index_dir)
    with fulltext.open_index(layout.current_build(index_dir) / "whoosh").searcher() as s:
        assert s.doc_count_all() > s.doc_count()  # patched, not rewritten


def test_the_full_text_index_is_rewritten_once_deletions_would_pile_up(kb, index_dir, monkeypatch):
    build(kb, index_dir)
    for name in ("expired-password.md", "locked-account.md"):  # 2 of 4 served articles change
        (kb / name).write_text((kb / name).read_text() + "\nEdited.\n")
    build(kb, index_dir, incremental=True)
    ix = fulltext.open_index(layout.current_build(index_dir) / "whoosh")
    with ix.searcher() as s:
        assert s.doc_count_all() == s.doc_count() == 4  # nothing deleted: written whole


def test_worker_processes_build_exactly_what_one_process_builds(kb, tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)  # the test KB is far below the real threshold
    queries = ["locked account password", "invoice pdf", "sso identity provider", "reset"]
    alone, shared_out = tmp_path / "alone", tmp_path / "workers"
    build(kb, alone, workers=1)
    build(kb, shared_out, workers=2)
    assert sorted(p.name for p in (layout.current_build(shared_out) / "whoosh").iterdir()) == ["0", "1"]
    assert answers(alone, queries) == answers(shared_out, queries)
    words = ["lock", "account", "invoic", "sso", "password"]
    assert full_text(alone, words) == full_text(shared_out, words)


def test_a_duplicate_id_in_worker_shards_is_written_once(kb, tmp_path, monkeypatch):
    """Workers index every visible file they parse; the first file keeps a duplicated id."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    write(kb, "zz-copy.md", "---\nid: locked-account\ncategory: access\n---\n# A copy\n\nSame id again.\n")
    report = build(kb, tmp_path / "workers", workers=2)
    assert [p.message for p in report.problems] == ["duplicate id 'locked-account': already used by locked-account.md"]
    build(kb, tmp_path / "alone", workers=1)
    assert full_text(tmp_path / "workers", ["lock", "copi"]) == full_text(tmp_path / "alone", ["lock", "copi"])
    with fulltext.open_index(layout.current_build(tmp_path / "workers") / "whoosh").searcher() as s:
        ids = [fields["id"] for fields in s.all_stored_fields()]
    assert sorted(ids) == sorted(set(ids))


def fork_workers(monkeypatch) -> None:
    """Start the workers by fork even beside other threads (an app's), so they inherit this test's patches."""
    fork = workers.multiprocessing.get_context("fork")
    monkeypatch.setattr(workers.multiprocessing, "get_context", lambda method: fork)


@pytest.mark.parametrize("when", ["before sending", "while sending"])
def test_a_worker_that_dies_fails_the_build_instead_of_hanging_it(kb, index_dir, monkeypatch, when):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    fork_workers(monkeypatch)
    reindex = os.getpid()
    real_send = multiprocessing.connection.Connection._send_bytes

    def dying_send(self, buf):  # inherited by the forked workers
        if os.getpid() != reindex and len(buf) > 1000:  # a worker sending parsed entries
            if when == "while sending":
                self._send(struct.pack("!i", len(buf)))
                self._send(bytes(buf[: len(buf) // 2]))
            os._exit(9)
        return real_send(self, buf)

    monkeypatch.setattr(multiprocessing.connection.Connection, "_send_bytes", dying_send)
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the build hung on a dead worker"))
    signal.alarm(30)
    try:
        with pytest.raises(workers.WorkerFailed, match="died"):
            build(kb, index_dir, workers=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert layout.current_build_id(index_dir) is None
    assert list(layout.builds_dir(index_dir).iterdir()) == []


def test_a_reindex_beside_other_threads_starts_its_workers_from_a_fork_server(kb, tmp_path, monkeypatch):
    """A server process runs threads, and forking it is unsafe: the workers come from a fork server."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    started = []
    monkeypatch.setattr(workers.multiprocessing, "get_context",
                        lambda method, real=workers.multiprocessing.get_context: started.append(method) or real(method))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        build(kb, tmp_path / "threaded", workers=2)
    finally:
        stop.set()
        other.join()
    build(kb, tmp_path / "alone", workers=1)
    assert started == ["forkserver"]
    queries = ["locked account password", "invoice pdf"]
    assert answers(tmp_path / "threaded", queries) == answers(tmp_path / "alone", queries)
    assert full_text(tmp_path / "threaded", ["lock"]) == full_text(tmp_path / "alone", ["lock"])


def test_a_worker_that_fails_fails_the_build_and_switches_nothing(kb, index_dir, monkeypatch):
    first = build(kb, index_dir)
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    fork_workers(monkeypatch)
    write(kb, "new-article.md", "# New article\n\nText\n")

    def broken_shard(directory):
        raise OSError("no space left on device")

    monkeypatch.setattr(workers.fulltext, "ShardWriter", broken_shard)  # inherited by the forked workers
    with pytest.raises(workers.WorkerFailed, match="no space left on device"):
        build(kb, index_dir, workers=2)
    assert layout.current_build_id(index_dir) == first.build_id
    assert [p.name for p in layout.builds_dir(index_dir).iterdir()] == [first.build_id]


def hand_out_late(monkeypatch) -> None:
    """Make every worker fail at once and hand each its files only 0.5 s later, once it has exited."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    fork_workers(monkeypatch)

    def broken_shard(directory):
        raise OSError("no space left on device")

    monkeypatch.setattr(workers.fulltext, "ShardWriter", broken_shard)  # inherited by the forked workers
    real = workers.Workers._hand_out

    def late(self, k):
        time.sleep(0.5)
        real(self, k)

    monkeypatch.setattr(workers.Workers, "_hand_out", late)


def test_files_handed_to_a_worker_that_has_failed_and_exited_fail_the_build_with_its_error(
        kb, index_dir, monkeypatch):
    """Sending to a worker that is gone breaks the pipe: the build names the worker's own error."""
    first = build(kb, index_dir)
    write(kb, "new-article.md", "# New article\n\nText\n")
    hand_out_late(monkeypatch)
    with pytest.raises(workers.WorkerFailed, match="kbsearch-reindex-0 failed: OSError: no space left on device"):
        build(kb, index_dir, workers=2)
    assert layout.current_build_id(index_dir) == first.build_id
    assert [p.name for p in layout.builds_dir(index_dir).iterdir()] == [first.build_id]


def test_a_worker_gone_without_a_word_is_named_with_its_exit_code(kb, index_dir, monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    fork_workers(monkeypatch)
    monkeypatch.setattr(workers.fulltext, "ShardWriter", lambda directory: os._exit(7))
    real = workers.Workers._hand_out
    monkeypatch.setattr(workers.Workers, "_hand_out", lambda self, k: time.sleep(0.5) or real(self, k))
    with pytest.raises(workers.WorkerFailed, match=r"kbsearch-reindex-0 died \(exit code 7\)"):
        build(kb, index_dir, workers=2)
    assert layout.current_build_id(index_dir) is None


def age(folder: Path, seconds: int = 3600) -> None:
    """Date every file an hour back, as files checked out before the last reindex are."""
    past = time.time() - seconds
    for path in folder.rglob("*.md"):
        os.utime(path, (past, past))


def test_incremental_does_not_read_files_whose_size_time_and_inode_are_unchanged(kb, index_dir, monkeypatch):
    age(kb)
    build(kb, index_dir)
    edited = kb / "expired-password.md"
    content = edited.read_bytes()
    edited.write_bytes(content.replace(b"cannot be reused", b"can't be reused!"))  # same size
    os.utime(edited, (time.time() - 600, time.time() - 600))  # a different, settled time
    read = []
    real_read = loader._read
    monkeypatch.setattr(loader, "_read", lambda path: read.append(Path(path).name) or real_read(path))
    report = build(kb, index_dir, incremental=True)
    assert read == ["expired-password.md"] and report.parsed == 1
    served = opened.load(layout.current_build(index_dir))
    assert "can't be reused!" in served.texts.get(served.ranker.positions_["expired-password"])


def test_a_same_size_edit_with_its_old_time_put_back_is_still_read(kb, index_dir):
    age(kb)
    build(kb, index_dir)
    edited = kb / "expired-password.md"
    before = edited.stat()
    edited.write_bytes(edited.read_bytes().replace(b"cannot be reused", b"can't be reused!"))  # same size
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))  # as touch -r or cp -p leave it
    report = build(kb, index_dir, incremental=True)
    assert report.parsed == 1


def test_linked_folders_are_not_followed(kb, index_dir):
    (kb / "loop").symlink_to(kb, target_is_directory=True)
    report = build(kb, index_dir)
    assert report.files == 7 and not report.problems


def test_a_moved_article_keeps_the_category_of_its_new_folder_incrementally(tmp_path):
    kb = tmp_path / "kb"  # no categories.yml: an article's category is its folder
    write(kb, "billing/moved.md", "---\nid: moved\n---\n# Refund rules\n\nRefunds take five days.\n")
    add_bulk(kb)
    build(kb, tmp_path / "index")
    (kb / "network").mkdir()
    (kb / "billing" / "moved.md").rename(kb / "network" / "moved.md")
    build(kb, tmp_path / "index", incremental=True)
    build(kb, tmp_path / "full")
    assert full_text(tmp_path / "index") == full_text(tmp_path / "full")
    served = opened.load(layout.current_build(tmp_path / "index"))
    assert served.details["moved"]["category"] == "network"
    assert fulltext.get_document(served.index, "moved")["category"] == "network"


def test_files_changed_just_before_a_reindex_are_read_again_by_the_next(kb, index_dir, monkeypatch):
    for path in kb.rglob("*.md"):
        os.utime(path)  # modified just now
    build(kb, index_dir)
    read = []
    real_read = loader._read
    monkeypatch.setattr(loader, "_read", lambda path: read.append(path) or real_read(path))
    report = build(kb, index_dir, incremental=True)
    assert len(read) == report.files and report.parsed == 0


def test_incremental_falls_back_to_full_when_the_taxonomy_changes(kb, index_dir):
    build(kb, index_dir)
    (kb / "categories.yml").write_text((kb / "categories.yml").read_text() + "mobile:\n  label: Mobile\n")
    report = build(kb, index_dir, incremental=True)
    assert not report.incremental and report.parsed == report.files
