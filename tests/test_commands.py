"""The operator commands, as README shows them: help, exit statuses, summaries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

from kbsearch.commands import main
from kbsearch.index import layout

ROOT = Path(__file__).resolve().parents[1]


def test_every_command_has_help_with_an_example(app):
    import click
    commands = [c for c in app.cli.commands.values() if not isinstance(c, click.Group)]
    commands += [c for g in app.cli.commands.values() if isinstance(g, click.Group) for c in g.commands.values()]
    assert {"reindex", "serve", "init-db", "set-status", "funnel", "gaps", "articles", "prune", "draft-article",
            "create", "list", "revoke", "show", "comment"} <= {c.name for c in commands}
    for command in commands:
        assert command.help and "Example:" in command.help, command.name
    assert "Example:" in main.help


def test_reindex_prints_a_summary_and_exits_0(runner, kb, index_dir):
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "full build: 7 files read, 7 parsed, 4 indexed" in result.output
    assert "articles/s" in result.output and "is live" in result.output


def test_reindex_exits_1_when_files_were_rejected_and_the_rest_is_live(runner, kb, index_dir):
    write(kb, "bad.md", "---\ntitle: Bad\naudience: everyone\n---\nText\n")
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 1
    assert "error: bad.md:3: unknown audience 'everyone'" in result.output
    assert layout.current_build(index_dir) is not None


def test_reindex_exits_2_naming_a_failed_worker(runner, kb, index_dir, monkeypatch):
    from test_build import fork_workers

    from kbsearch.index import reindex as build_module
    from kbsearch.index import workers

    before = layout.current_build_id(index_dir)
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    fork_workers(monkeypatch)  # the app runs a thread (the rate limiter's), which would mean a fork server
    monkeypatch.setattr(build_module, "default_count", lambda: 2)  # whatever this machine's CPUs

    def broken_shard(directory):
        raise OSError("no space left on device")

    monkeypatch.setattr(workers.fulltext, "ShardWriter", broken_shard)  # inherited by the forked workers
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 2, result.output
    assert "reindex failed, nothing was switched" in result.output and "no space left on device" in result.output
    assert layout.current_build_id(index_dir) == before


def test_reindex_exits_2_when_files_go_to_a_worker_that_has_already_failed(runner, kb, index_dir, monkeypatch):
    """The race behind the test above: the worker failed and exited before it was handed any file."""
    from test_build import hand_out_late

    from kbsearch.index import reindex as build_module

    before = layout.current_build_id(index_dir)
    hand_out_late(monkeypatch)
    monkeypatch.setattr(build_module, "default_count", lambda: 2)
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # not a BrokenPipeError's traceback
    assert result.output.splitlines() == [
        "reindex failed, nothing was switched: kbsearch-reindex-0 failed: OSError: no space left on device"]
    assert layout.current_build_id(index_dir) == before


def test_reindex_strict_exits_2_and_switches_nothing(runner, kb, index_dir):
    before = layout.current_build_id(index_dir)
    write(kb, "bad.md", "---\ntitle: Bad\nstatus: gone\n---\nText\n")
    result = runner.invoke(args=["reindex", "--strict"])
    assert result.exit_code == 2 and "served index is unchanged" in result.output
    assert layout.current_build_id(index_dir) == before


def test_reindex_options_override_the_configuration(runner, tmp_path):
    other = tmp_path / "other-index"
    write(tmp_path / "kb2", "only.md", "# Only article\n\nText.\n")
    result = runner.invoke(args=["reindex", "--articles", str(tmp_path / "kb2"), "--index", str(other)])
    assert result.exit_code == 0 and "1 indexed" in result.output
    assert layout.current_build(other) is not None


def test_reindex_reports_a_missing_folder_and_exits_2(runner, tmp_path):
    result = runner.invoke(args=["reindex", "--articles", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.parametrize("command", [
    [sys.executable, str(ROOT / "scripts" / "reindex.py")],
    [str(Path(sys.executable).with_name("kbsearch")), "reindex"],
    [sys.executable, "-m", "flask", "--app", "kbsearch", "reindex"],
])
def test_the_three_ways_to_reindex_share_one_build(command, kb, tmp_path):
    if not Path(command[0]).exists():
        pytest.skip(f"{command[0]} is not installed (pip install -e . puts it beside python)")
    env = {**os.environ, "KBSEARCH_ARTICLES_DIR": str(kb), "KBSEARCH_INDEX_DIR": str(tmp_path / "ix"),
           "KBSEARCH_AUDIENCE": "customer"}  # as conftest's apps: the test KB has articles for each audience
    done = subprocess.run([*command, "--incremental"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "4 indexed" in done.stdout
    assert layout.current_build(tmp_path / "ix") is not None
