#!/usr/bin/env python3
"""Load on POST /api/suggest over HTTP: gunicorn on loopback, a bounded burst of requests.

Builds ARTICLES_DIR into a temporary index (or serves --index), starts `kbsearch serve`'s
gunicorn (its very command line) on 127.0.0.1 with a free port, and sends --requests suggestion
requests from --concurrency client threads, stopping early after --max-seconds. The same load
against GET /api/status (no ranking work) runs in the same session as the peer: the HTTP ceiling.
Prints requests/s, p50/p95/p99 ms and errors for both, then stops the server.

With several --worker-class values (and --rounds), each class is served and loaded in turn,
round after round, so a before/after comparison shares one run of a noisy machine; the summary
gives each class's median and its ratio to the first class's.

Example:
    python scripts/load_suggest.py articles
    python scripts/load_suggest.py articles --worker-class sync --worker-class gevent --rounds 3
    python scripts/load_suggest.py ../shared/corpora/ms-support/articles --ignore-key audience --requests 5000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_suggest import make_texts, percentiles  # noqa: E402

from kbsearch.commands.serve import WORKER_CLASS, gunicorn_args  # noqa: E402
from kbsearch.corpus.loader import load_folder  # noqa: E402
from kbsearch.corpus.taxonomy import load_taxonomy  # noqa: E402
from kbsearch.index.reindex import build  # noqa: E402

HOST = "127.0.0.1"  # loopback only: this script never loads another machine
SUGGEST = "POST /api/suggest"
PEER = "GET /api/status (peer: no ranking)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(index: Path, articles: Path, port: int, workers: int, worker_class: str, threads: int,
                 ignore: list[str]) -> subprocess.Popen:
    """`kbsearch serve`'s gunicorn with ``worker_class``; its access log is dropped, its errors shown."""
    env = {**os.environ, "KBSEARCH_INDEX_DIR": str(index), "KBSEARCH_ARTICLES_DIR": str(articles),
           "KBSEARCH_DATABASE": str(index.parent / "load.sqlite"), "KBSEARCH_IGNORE_KEYS": json.dumps(ignore),
           "KBSEARCH_AUDIENCE": "public"}
    extra = ["--threads", str(threads)] if worker_class == "gthread" else []
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--log-level", "warning", *extra,
                               *gunicorn_args(HOST, port, workers, worker_class)],
                              env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/status")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer /api/status within 60 s")


def worker_rss_mb(server: subprocess.Popen) -> list[float]:
    """Resident memory of each gunicorn worker (the server's child processes), from /proc."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    sizes = []
    for pid in children.read_text().split() if children.exists() else []:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def load(port: int, bodies: list[bytes | None], total: int, concurrency: int, max_seconds: float) -> dict:
    """Send ``total`` requests (POST a body, or GET /api/status for None) from ``concurrency`` threads."""
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(total))
    lock = threading.Lock()
    stop_at = time.monotonic() + max_seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < stop_at:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            body = bodies[n % len(bodies)]
            start = time.perf_counter()
            try:
                if body is None:
                    conn.request("GET", "/api/status")
                else:
                    conn.request("POST", "/api/suggest", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except OSError as exc:
                ok = False
                conn.close()
                failure = type(exc).__name__
            else:
                failure = f"HTTP {response.status}"
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(failure)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return {"requests": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds,
            "errors": len(errors), "kinds": sorted(set(errors)), **percentiles(latencies)}


def measure(args: argparse.Namespace, index: Path, bodies: list[bytes | None], worker_class: str) -> dict:
    """Serve with ``worker_class``, load it, stop it: the two loads' figures and the workers' memory."""
    port = free_port()
    server = start_server(index, args.articles_dir, port, args.workers, worker_class, args.threads, args.ignore_key)
    try:
        load(port, bodies[:50], 200, args.concurrency, 10)  # warm every worker
        results = {SUGGEST: load(port, bodies, args.requests, args.concurrency, args.max_seconds),
                   PEER: load(port, [None], args.requests, args.concurrency, args.max_seconds)}
        results["rss"] = worker_rss_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return results


def report(args: argparse.Namespace, worker_class: str, results: dict, bodies: int) -> None:
    threads = f", {args.threads} threads each" if worker_class == "gthread" else ""
    print(f"{args.workers} gunicorn {worker_class} workers{threads}, {args.concurrency} client threads, loopback; "
          f"{bodies} distinct suggestion bodies (short subjects, and subjects with ~100-word descriptions)")
    for name in (SUGGEST, PEER):
        r = results[name]
        print(f"{name:<36} {r['requests']:6d} requests in {r['seconds']:6.2f} s = {r['rps']:7.1f}/s; "
              f"p50 {r['p50']:6.2f} ms, p95 {r['p95']:6.2f} ms, p99 {r['p99']:6.2f} ms; "
              f"errors {r['errors']} {' '.join(r['kinds'])}")
    print("worker resident memory after the load: " + ", ".join(f"{mb:.0f} MB" for mb in results["rss"]))
    print(f"suggest throughput = {results[SUGGEST]['rps'] / results[PEER]['rps']:.2f} x the no-ranking peer's")


def summary(runs: dict[str, list[dict]]) -> None:
    """Each class's median over the rounds, and its ratio to the first class's."""
    print(f"\nmedians over {len(next(iter(runs.values())))} round(s), each class served in turn:")
    first = None
    for worker_class, results in runs.items():
        suggest = statistics.median(r[SUGGEST]["rps"] for r in results)
        first = first or suggest
        p99 = statistics.median(r[SUGGEST]["p99"] for r in results)
        peer = statistics.median(r[PEER]["rps"] for r in results)
        errors = sum(r[SUGGEST]["errors"] + r[PEER]["errors"] for r in results)
        print(f"{worker_class:<8} suggest {suggest:7.1f}/s = {suggest / first:.2f} x {next(iter(runs))}'s, "
              f"p99 {p99:6.2f} ms; peer {peer:7.1f}/s; errors {errors}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles_dir", type=Path)
    parser.add_argument("--index", type=Path, help="serve this built index instead of building one")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, one per core)")
    parser.add_argument("--worker-class", action="append", choices=("sync", "gevent", "gthread"),
                        help=f"gunicorn worker class; repeat to compare (default {WORKER_CLASS}, as kbsearch serve)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--rounds", type=int, default=1, help="serve and load every class this many times")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=60, help="stop each phase after this long")
    parser.add_argument("--ignore-key", action="append", default=[], help="as for kbsearch reindex")
    args = parser.parse_args(argv)
    classes = list(dict.fromkeys(args.worker_class or [WORKER_CLASS]))

    runs: dict[str, list[dict]] = {worker_class: [] for worker_class in classes}
    with tempfile.TemporaryDirectory(prefix="kbsearch-load-") as tmp:
        index = args.index or Path(tmp) / "index"
        if args.index is None:
            built = build(args.articles_dir, index, audience="public", ignore_keys=args.ignore_key)
            print(f"built {built.indexed} articles in {built.seconds:.1f} s")
        loaded = load_folder(args.articles_dir, load_taxonomy(args.articles_dir), args.ignore_key)
        shorts, longs = make_texts(loaded.articles, 400)
        bodies: list[bytes | None] = [json.dumps({"subject": s, "description": ""}).encode() for s in shorts]
        bodies += [json.dumps({"subject": s, "description": d}).encode() for s, d in zip(shorts, longs)]
        for _ in range(args.rounds):
            for worker_class in classes:
                runs[worker_class].append(measure(args, index, bodies, worker_class))
                report(args, worker_class, runs[worker_class][-1], len(bodies))
    if len(classes) > 1 or args.rounds > 1:
        summary(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
