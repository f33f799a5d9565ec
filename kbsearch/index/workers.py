"""Worker processes for a full reindex: each parses a share of the files and writes one full-text shard.

Parsing and analysing files, rendering the pages and writing the Whoosh index are most of a
full reindex's work, all pure Python (so processes, not threads), and they split cleanly. Each
worker is handed one chunk of files at a time, the next as soon as it sends back the entries
it parsed with the pages (``render.article_html``) of those readers may see, and adds those
to its own shard. When the files run out, each worker commits its shard while this process
fits the ranker.

Each worker has a pipe of its own in each direction, and only it holds the writing end of
the one it answers on: if it dies, even halfway through a message, reading that pipe ends
with EOFError instead of waiting forever. It also holds the only reading end of the one it
is handed files on, so handing files to a worker that has gone breaks that pipe: either way
the build fails naming the error the worker sent before it ended, or else its exit code.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path

from kbsearch.corpus import render
from kbsearch.corpus.articles import Article, visible_to
from kbsearch.corpus.loader import Entry, parse_chunk, parse_files
from kbsearch.corpus.taxonomy import Taxonomy
from kbsearch.index import fulltext
from kbsearch.index.textstore import Spool

PARALLEL_FROM = 400  # files to parse before processes pay for their start
CHUNK = 64  # files per message: few round trips, and work shared out evenly
MAX_WORKERS = 4  # each worker's Whoosh writer may hold ~1 GB while it sorts
GONE_WAIT = 5.0  # seconds to wait for a worker whose pipe broke to be seen to end: it has closed its ends


class WorkerFailed(Exception):
    """A worker process raised or died; the build is abandoned.

    The message names the worker and its error (not a traceback: it is the operator's to read);
    ``details`` holds the worker's traceback, if it sent one.
    """

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


def default_count() -> int:
    """One worker per core this process may run on (not per core of the machine), at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


class Workers:
    """``count`` processes that parse files and write shards ``shards_dir/0`` … ``shards_dir/<count-1>``.

    Use as a context manager: leaving it ends every process, finished or not.
    """

    def __init__(self, count: int, shards_dir: Path, audience: str, taxonomy: Taxonomy | None,
                 ignore: tuple[str, ...]):
        self.count, self.shards_dir = count, shards_dir
        self._settings = (audience, taxonomy, ignore)
        self._processes: list = []
        self._to_worker: list[Connection] = []
        self._from_worker: list[Connection] = []
        self._todo: deque = deque()  # (index, files) not handed out yet
        self._chunks: dict[int, tuple] = {}  # parsed (entries, pages), not yet handed on
        self._done: set[int] = set()  # workers whose shard is committed
        self.written = 0  # articles in the shards, known once ``finish`` returns
        # path -> page body (UTF-8, ``render.article_html``) of each visible article the processes parsed
        self.rendered = Spool(shards_dir.parent)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self._processes:
            if process.is_alive():
                process.kill()
            process.join()
        for connection in self._to_worker + self._from_worker:
            connection.close()
        self.rendered.close()

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
        self._todo.extend(enumerate(files[i:i + CHUNK] for i in range(0, len(files), CHUNK)))
        chunks = len(self._todo)
        self._start()
        for k in range(self.count):
            self._hand_out(k)
        for i in range(chunks):
            while i not in self._chunks:
                self._receive()
            entries, pages = self._chunks.pop(i)
            for rel, page in pages.items():  # in folder order, as the rows read them
                self.rendered.add(rel, page)
            yield entries

    def finish(self) -> int:
        """Wait until every shard is committed; return how many articles they hold in all."""
        while len(self._done) < self.count:
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
            context.set_forkserver_preload(["kbsearch.index.workers"])
        for k in range(self.count):
            inbox, to_worker = context.Pipe(duplex=False)
            from_worker, outbox = context.Pipe(duplex=False)
            process = context.Process(target=_work, name=f"kbsearch-reindex-{k}", daemon=True,
                                      args=(k, inbox, outbox, self.shards_dir / str(k), os.getpid(),
                                            *self._settings))
            process.start()
            inbox.close()  # the worker's ends are the worker's alone
            outbox.close()
            self._processes.append(process)
            self._to_worker.append(to_worker)
            self._from_worker.append(from_worker)

    def _hand_out(self, k: int) -> None:
        """Send worker ``k`` its next chunk, or the signal to commit its shard."""
        try:
            self._to_worker[k].send(self._todo.popleft() if self._todo else None)
        except OSError:  # BrokenPipeError: it failed or died before reading it
            raise self._gone(k) from None

    def _receive(self) -> None:
        """Wait for the next message from a worker: parsed entries, a committed shard, or an error."""
        busy = [k for k in range(self.count) if k not in self._done]
        ready = wait([self._from_worker[k] for k in busy] + [self._processes[k].sentinel for k in busy])
        for k in busy:
            reader = self._from_worker[k]
            if reader in ready or reader.poll():
                try:
                    kind, value = reader.recv()
                except (EOFError, OSError):  # OSError: the pipe ended partway through a message
                    raise self._gone(k) from None
                if kind == "error":
                    raise self._failed(k, value)
                if kind == "chunk":
                    i, entries, pages = value
                    self._chunks[i] = (entries, pages)
                    self._hand_out(k)
                else:
                    self._done.add(k)
                    self.written += value
                return
        raise self._gone(next(k for k in busy if self._processes[k].sentinel in ready))

    def _failed(self, k: int, error: tuple[str, str]) -> WorkerFailed:
        """The error worker ``k`` sent: its one-line summary names the cause; its traceback is kept aside."""
        summary, details = error
        return WorkerFailed(f"{self._processes[k].name} failed: {summary}", details)

    def _gone(self, k: int) -> WorkerFailed:
        """Why worker ``k``, whose pipe broke or ended, has gone: the error it sent first, else its exit code.

        Whatever it sent before it ended is still in its pipe, unread.
        """
        process, reader = self._processes[k], self._from_worker[k]
        try:
            while reader.poll(GONE_WAIT):  # at once: its end is closed, so the pipe ends
                kind, value = reader.recv()
                if kind == "error":
                    return self._failed(k, value)
        except (EOFError, OSError):  # the end of the pipe, perhaps partway through a message
            pass
        process.join(GONE_WAIT)  # its pipes close as it ends; it may not be reaped yet
        return WorkerFailed(f"{process.name} died (exit code {process.exitcode})")


def _work(k: int, inbox: Connection, outbox: Connection, shard: Path, reindex: int, audience: str,
          taxonomy: Taxonomy | None, ignore: tuple[str, ...]) -> None:
    threading.Thread(target=_exit_with, args=(reindex,), name="exit-with-reindex", daemon=True).start()
    try:
        writer = fulltext.ShardWriter(shard)
        while (job := inbox.recv()) is not None:
            i, files = job
            entries, rendered = [], {}
            for rel, data in files:  # each indexed as soon as parsed: ``text.analyze`` still holds its stems
                entries += parse_chunk([(rel, data)], taxonomy, ignore)
                _, outcome, words = entries[-1][1]
                if isinstance(outcome, Article) and visible_to(outcome, audience):
                    writer.add(outcome, words)
                    rendered[rel] = render.article_html(outcome.body).encode("utf-8")
            outbox.send(("chunk", (i, entries, rendered)))
        outbox.send(("done", writer.commit()))
    except BaseException as exc:
        summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            outbox.send(("error", (summary, traceback.format_exc())))
        except OSError:  # the reindex has gone (its end of the pipe is closed): no one to tell
            pass


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
    poller = select.poll()  # not select.select: it fails on descriptors numbered 1024 or more
    poller.register(handle, select.POLLIN)
    poller.poll()
    os._exit(1)
