"""kbsearch evaluate: the metrics against hand-computed values, and a tiny benchmark end to end."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, write

from kbsearch.evaluation import metrics


def test_metrics_match_hand_computed_values():
    judged = {"b": 1, "d": 2, "e": 0}
    ranked = ["a", "b", "c", "e"]
    assert metrics.reciprocal_rank(ranked, judged) == 0.5
    assert metrics.recall(ranked, judged) == 0.5
    # DCG = 1/log2(3); the ideal order d (2), b (1): 2/log2(2) + 1/log2(3)
    assert metrics.ndcg(ranked, judged) == pytest.approx((1 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert metrics.ndcg(["d", "b"], judged) == pytest.approx(1.0)


def test_repeats_count_once_and_only_the_top_ten_count():
    judged = {"x": 1}
    assert metrics.reciprocal_rank(["a", "a", "x"], judged) == 0.5
    assert metrics.reciprocal_rank([f"n{i}" for i in range(10)] + ["x"], judged) == 0.0
    assert metrics.reciprocal_rank([], judged) == 0.0 and metrics.ndcg([], judged) == 0.0


def test_percentile_interpolates_like_numpy():
    assert metrics.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 99) == pytest.approx(3.97)


def tiny_benchmark(root: Path) -> Path:
    """Our test articles as a benchmark with three judged queries (one also judges a hidden article)."""
    shutil.copytree(DATA, root / "articles")
    queries = [
        {"id": "q1", "subject": "account locked", "description": "too many wrong passwords, now I am locked out"},
        {"id": "q2", "subject": "where is my invoice", "description": ""},
        {"id": "q3", "subject": "password expired", "description": "it says my password has expired"},
    ]
    write(root, "dev/queries.jsonl", "".join(json.dumps(q) + "\n" for q in queries))
    write(root, "dev/qrels.tsv", "query_id\tarticle_id\trelevance\nq1\tlocked-account\t2\nq1\tinternal-unlock\t1\n"
                                 "q2\tinvoice-download\t1\nq3\texpired-password\t1\nq3\tlocked-account\t0\n")
    return root


def test_evaluate_prints_every_engine_on_a_tiny_benchmark(runner, tmp_path):
    bench = tiny_benchmark(tmp_path / "tiny")
    result = runner.invoke(args=["evaluate", str(bench), "--peers", "--format", "json",
                                 "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    engines = {r["engine"]: r for r in report["results"]}
    assert {"kbsearch suggestions", "whoosh search (BM25F)", "plain TF-IDF cosine"} <= set(engines)
    ours = engines["kbsearch suggestions"]
    assert ours["queries"] == 3 and ours["empty"] == 0 and ours["mrr"] == 1.0
    # q1's second relevant article is internal: customers can never be shown it
    assert ours["recall"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert ours["p50_ms"] > 0


def test_a_second_run_reuses_the_build_and_a_changed_article_rebuilds(runner, tmp_path):
    bench = tiny_benchmark(tmp_path / "tiny")
    args = ["evaluate", str(bench), "--cache", str(tmp_path / "cache")]
    assert "(built " in runner.invoke(args=args).stderr
    assert "(cached build " in runner.invoke(args=args).stderr
    (bench / "articles" / "invoice-download.md").write_text("---\nid: invoice-download\ncategory: billing\n---\n"
                                                           "# Download an invoice\n\nBilling, then Invoices.\n")
    assert "(built " in runner.invoke(args=args).stderr


def test_the_table_format(runner, tmp_path):
    bench = tiny_benchmark(tmp_path / "tiny")
    result = runner.invoke(args=["evaluate", str(bench), "--cache", str(tmp_path / "cache")])
    header, row = result.stdout.splitlines()
    assert header.split()[:4] == ["engine", "MRR@10", "R@10", "nDCG@10"]
    assert row.startswith("kbsearch suggestions") and " 1.0000 " in row


def test_a_bad_benchmark_names_the_file_and_line(runner, tmp_path):
    bench = tiny_benchmark(tmp_path / "tiny")
    write(bench, "dev/qrels.tsv", "query_id\tarticle_id\trelevance\nq1\tlocked-account\n")
    result = runner.invoke(args=["evaluate", str(bench)])
    assert result.exit_code == 1 and "qrels.tsv:2: expected query_id<TAB>article_id<TAB>relevance" in result.output
    missing = runner.invoke(args=["evaluate", str(tmp_path)])
    assert missing.exit_code == 1 and "is missing" in missing.output


def test_a_benchmark_with_nothing_visible_is_a_one_line_error_not_a_traceback(tmp_path):
    """A failed build of the benchmark's articles is reported as ``reindex`` reports one: a message."""
    bench = tmp_path / "drafts"
    write(bench, "articles/only.md", "---\nid: only\nstatus: draft\n---\n# Not announced yet\n\nText.\n")
    write(bench, "dev/queries.jsonl", json.dumps({"id": "q1", "subject": "announcement", "description": ""}) + "\n")
    write(bench, "dev/qrels.tsv", "query_id\tarticle_id\trelevance\nq1\tonly\t1\n")
    # a real process: a traceback is only printed where nothing catches the exception
    command = [sys.executable, "-m", "flask", "--app", "kbsearch", "evaluate", str(bench),
               "--cache", str(tmp_path / "cache")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: cannot build the benchmark's articles: no article in ")
    assert line.endswith("nothing to serve")


def test_learn_half_files_the_even_queries_as_solved_cases_and_scores_the_odd_ones(runner, tmp_path):
    """Through the case store and a reindex: what the even half said finds the odd half's article."""
    root = tmp_path / "learning"
    shutil.copytree(DATA, root / "articles")
    said = ["the zorblaxing kiosk refuses my badge", "zorblaxing kiosk stuck again", "zorblaxing kiosk says no",
            "zorblaxing kiosk broken", "where is my invoice"]
    queries = [{"id": f"q{n}", "subject": subject, "description": ""} for n, subject in enumerate(said, start=1)]
    write(root, "dev/queries.jsonl", "".join(json.dumps(q) + "\n" for q in queries))
    write(root, "dev/qrels.tsv", "query_id\tarticle_id\trelevance\n"
          + "".join(f"q{n}\tlocked-account\t1\n" for n in range(1, 5)) + "q5\tinvoice-download\t1\n")
    result = runner.invoke(args=["evaluate", str(root), "--learn-half", "--peers", "--format", "json",
                                 "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert "2 even-numbered queries filed as solved cases, learned from 2; scoring the 3 odd-numbered" in result.stderr
    engines = {r["engine"]: r for r in json.loads(result.stdout)["results"]}
    cold, warm = engines["kbsearch, cold"], engines["kbsearch, warm (learned)"]
    assert cold["queries"] == warm["queries"] == 3 and "whoosh search (BM25F)" in engines
    assert cold["mrr"] == pytest.approx(1 / 3)  # only the invoice: no article says "zorblaxing"
    assert warm["mrr"] == 1.0
