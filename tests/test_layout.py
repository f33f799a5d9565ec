"""The house rules README's "Where things live" states, checked on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kbsearch"

# Each third-party library has one owner module; the evaluation's peers may import what they measure.
OWNERS = {
    "whoosh": "index/fulltext.py",
    "sklearn": "corpus/text.py",
    "Stemmer": "corpus/text.py",
    "sqlite_utils": "cases/db.py",
    "pyromark": "corpus/render.py",
    "nh3": "corpus/render.py",
    "yaml": "corpus/yamlfile.py",
    "itsdangerous": "web/find.py",
    "flask_limiter": "web/limits.py",
}
EXEMPT_FROM_OWNERS = {"evaluation/peers.py"}
FLASK_ALLOWED = ("web/", "commands/", "__init__.py")

# Which subpackages each may import: data flows one way, and nothing imports upwards.
MAY_IMPORT = {
    "durable": set(),
    "corpus": {"corpus"},
    "ranking": {"corpus", "ranking"},
    "index": {"corpus", "ranking", "index", "durable"},
    "cases": {"cases", "durable"},
    "evaluation": {"corpus", "ranking", "index", "evaluation"},
    "web": {"corpus", "ranking", "index", "cases", "web"},
    "commands": {"corpus", "ranking", "index", "cases", "evaluation", "web", "commands"},
    "__init__": {"web", "commands"},  # the composition root
}
MAX_LINES = 250
# one data literal: the OpenAPI document; the one module importing Whoosh (its schema, writing and matching)
LONGER_ALLOWED = {"web/openapi.py", "index/fulltext.py"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module == "kbsearch":
                found.update(f"kbsearch.{alias.name}" for alias in node.names)
    return found


def test_each_third_party_library_is_imported_by_its_one_owner():
    for library, owner in OWNERS.items():
        importers = {name(p) for p in modules() if any(m.split(".")[0] == library for m in imported(p))}
        assert importers - EXEMPT_FROM_OWNERS == {owner}, library


@pytest.mark.parametrize("library", ["flask", "werkzeug"])
def test_flask_stays_in_the_web_and_command_layers(library):
    importers = {name(p) for p in modules() if any(m.split(".")[0] == library for m in imported(p))}
    assert importers and all(i.startswith(FLASK_ALLOWED) for i in importers), importers


def test_imports_run_one_way_between_subpackages():
    for path in modules():
        layer = name(path).split("/")[0].removesuffix(".py")
        for module in imported(path):
            parts = module.split(".")
            if parts[0] != "kbsearch" or len(parts) < 2:
                continue
            assert parts[1] in MAY_IMPORT[layer], f"{name(path)} imports {module}"


def test_every_subpackage_states_its_rule_in_its_docstring():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "Rule:" in doc, init


def test_no_module_is_longer_than_the_limit():
    long = {name(p): n for p in modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= LONGER_ALLOWED, long
