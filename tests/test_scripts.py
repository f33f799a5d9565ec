"""The benchmark scripts run on the sample knowledge base and print every row they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "articles"


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / script), str(SAMPLE), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_suggest_times_suggestions_search_and_plain_whoosh():
    out = run("bench_suggest.py", "--peer-queries", "200", "--replicate", "2",  # every text through every engine
              "--linked-cases", "300")
    for name in ("suggest, short subject", "suggest, ~100-word description", "search page, short, build just opened",
                 "search page, short, after", "plain Whoosh OR, ~100 words", "plain Whoosh / kbsearch suggestions"):
        assert name in out
    assert "x 2) from" in out  # replicated with distinct ids
    assert "learned from 300 linked cases" in out


def test_bench_reindex_times_full_and_incremental_builds_against_one_process():
    out = run("bench_reindex.py", "--runs", "1", "--linked-cases", "50")
    for name in ("full build, worker processes", "full build, one process (peer)",
                 "incremental, one article changed", "speed-up over one process", "each build learned from"):
        assert name in out


def test_load_suggest_serves_a_bounded_burst_and_its_peer():
    out = run("load_suggest.py", "--requests", "40", "--concurrency", "2")
    assert "POST /api/suggest" in out and "GET /api/status (peer" in out
    assert "errors 0" in out and "worker resident memory" in out
