"""Worker processes for a full reindex: each parses a share of the files and writes one full-text shard.

Parsing and analysing files and writing the Whoosh index are most of a full reindex's work,
all pure Python (so processes, not threads), and they split cleanly. Chunk i of the files
goes to worker i mod n, which parses it, sends the entries back, and adds the articles
readers may see to its own shard. When the files run out, each worker commits its shard
while this process fits the ranker.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import select
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from kbsearch import search
from kbsearch.articles import Article, visible_to
from kbsearch.loader import Entry, parse_chunk, parse_files
from kbsearch.taxonomy import Taxonomy

PARALLEL_FROM = 400  # files to parse before processes pay for their start
CHUNK = 64  # files per message: few round trips, and work shared out evenly
_POLL = 1.0  # seconds between checks that no worker died without a word


class WorkerFailed(Exception):
    """A worker process raised or died; the build is abandoned."""


class Workers:
    """``count`` processes that parse files and write shards ``shards_dir/0`` … ``shards_dir/<count-1>``.

    Use as a context manager: leaving it ends every process, finished or not.
    """

    def __init__(self, count: int, shards_dir: Path, audience: str, taxonomy: Taxonomy | None,
                 ignore: tuple[str, ...]):
        self.count, self.shards_dir = count, shards_dir
        self._settings = (audience, taxonomy, ignore)
        self._processes: list = []
        self._inboxes: list = []
        self._outbox = None
        self._chunks: dict[int, list] = {}  # parsed, not yet handed on
        self._done = 0  # shards committed
        self.written = 0  # articles in the shards, known once ``finish`` returns

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self._processes:
            if process.is_alive():
                process.kill()
            process.join()
        for channel in [*self._inboxes, self._outbox] if self._outbox else []:
            channel.cancel_join_thread()  # what a killed worker never read must not hold this process up
            channel.close()

    @property
    def started(self) -> bool:
        """Whether ``parse`` used the processes (and so they are writing the shards)."""
        return bool(self._processes)

    def parse(self, files: list[tuple[str, bytes]]) -> Iterator[list[tuple[str, Entry]]]:
        """Parse ``files`` (relpath, bytes); yield each chunk's entries, in order.

        Too few files for processes to pay off are parsed here, and no shard is written.
        """
        if self.count <= 1 or len(files) < PARALLEL_FROM:
            yield from parse_files(files, *self._settings[1:])
            return
        self._start()
        chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
        for i, chunk in enumerate(chunks):
            self._inboxes[i % self.count].put((i, chunk))
        for inbox in self._inboxes:
            inbox.put(None)  # no more files: commit the shard
        for i in range(len(chunks)):
            while i not in self._chunks:
                self._receive()
            yield self._chunks.pop(i)

    def finish(self) -> int:
        """Wait until every shard is committed; return how many articles they hold in all."""
        while self._done < self.count:
            self._receive()
        return self.written

    def _start(self) -> None:
        # A copy of this process starts at once, everything imported. Forking a process that
        # runs other threads (a server) is unsafe: then a fork server imports what workers
        # need once and each starts as its copy.
        if threading.active_count() == 1:
            context = multiprocessing.get_context("fork")
        else:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["kbsearch.workers"])
        self._outbox = context.Queue()
        for k in range(self.count):
            inbox = context.Queue()
            process = context.Process(target=_work, name=f"kbsearch-reindex-{k}", daemon=True,
                                      args=(k, inbox, self._outbox, self.shards_dir / str(k), os.getpid(),
                                            *self._settings))
            process.start()
            self._inboxes.append(inbox)
            self._processes.append(process)

    def _receive(self) -> None:
        """Take the next message from a worker: a parsed chunk, a committed shard, or an error."""
        while True:
            try:
                kind, key, value = self._outbox.get(timeout=_POLL)
                break
            except queue.Empty:
                dead = [p for p in self._processes if p.exitcode not in (None, 0)]
                if dead:
                    raise WorkerFailed(f"{dead[0].name} died (exit code {dead[0].exitcode})") from None
        if kind == "error":
            raise WorkerFailed(f"worker {key} failed:\n{value}")
        if kind == "chunk":
            self._chunks[key] = value
        else:
            self._done += 1
            self.written += value


def _work(k: int, inbox, outbox, shard: Path, reindex: int, audience: str, taxonomy: Taxonomy | None,
          ignore: tuple[str, ...]) -> None:
    threading.Thread(target=_exit_with, args=(reindex,), name="exit-with-reindex", daemon=True).start()
    try:
        writer = search.ShardWriter(shard)
        while (job := inbox.get()) is not None:
            i, files = job
            entries = parse_chunk(files, taxonomy, ignore)
            for _, (_, outcome, words) in entries:
                if isinstance(outcome, Article) and visible_to(outcome, audience):
                    writer.add(outcome, words)
            outbox.put(("chunk", i, entries))
        outbox.put(("done", k, writer.commit()))
    except BaseException:
        outbox.put(("error", k, traceback.format_exc()))


def _exit_with(pid: int) -> None:
    """End this worker as soon as process ``pid`` (the reindex) ends, even killed by SIGKILL.

    A worker waiting for files would otherwise wait forever, and keep a fork server alive.
    """
    try:
        handle = os.pidfd_open(pid)  # readable once the process has ended
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # not Linux 5.3+: ask every second instead
        while True:
            time.sleep(1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
    select.select([handle], [], [])
    os._exit(1)
