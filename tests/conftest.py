"""Fixtures in the style of Flask's tutorial: an app on tmp_path, its client and CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kbsearch import create_app
from kbsearch.index.reindex import build

DATA = Path(__file__).parent / "data" / "articles"
# ../shared beside the checkout: real corpora and benchmarks, absent on a newcomer's machine.
SHARED = Path(__file__).resolve().parents[2] / "shared"


# Lines a test wants in the run's summary (the browser test's screenshot path and report).
SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line)


def shared(*parts: str) -> Path:
    """A path inside ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the shared corpora beside the checkout), which this machine does not have")
    return path


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A private copy of the test knowledge base that a test may edit."""
    return Path(shutil.copytree(DATA, tmp_path / "articles"))


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def config(kb: Path, index_dir: Path, tmp_path: Path) -> dict:
    # a portal that signs its customers in: the test KB has articles for each audience
    return {"TESTING": True, "ARTICLES_DIR": str(kb), "INDEX_DIR": str(index_dir), "AUDIENCE": "customer",
            "DATABASE": str(tmp_path / "kbsearch.sqlite")}


@pytest.fixture
def database(tmp_path: Path):
    """A migrated case database of its own (not the app's ``DATABASE``), for the store's functions."""
    from kbsearch.cases import db

    opened = db.open_db(tmp_path / "cases.sqlite")
    db.migrate(opened)
    yield opened
    opened.close()


@pytest.fixture
def app(config: dict, kb: Path, index_dir: Path):
    build(kb, index_dir)
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
