"""Synonyms the team curates (``articles/synonyms.yml``): validation, expansion, the build, the panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write

from kbsearch.corpus.synonyms import SynonymsError, load_synonyms
from kbsearch.index import layout, opened
from kbsearch.index.reindex import BuildError, build
from kbsearch.ranking import results, suggest


def synonyms_of(tmp_path: Path, text: str):
    write(tmp_path, "synonyms.yml", text)
    return load_synonyms(tmp_path)


@pytest.mark.parametrize("text, line, message", [
    ("- [a2fa, mfa]\n- [login]\n", 2, "at least two different terms"),
    ("- [a2fa, mfa]\n- {login: signin}\n", 2, "expected a list of groups"),
    ("- [login, signin]\n- [mfa, '']\n", 2, "empty term"),
    ("- [login, signin]\n\n- sso saml\n", 3, "'term => term'"),
    ("- sso => saml => oidc\n", 1, "'term => term'"),
    ("- sso =>\n", 1, "empty term"),
    ("- [the, login]\n", 1, "no searchable word"),
    ("- [on, login]\n", 1, "quote it"),
    ("sso: saml\n", 1, "expected a list of groups"),
    ("- [login, signin\n", 2, "invalid YAML"),
])
def test_problems_are_reported_with_file_and_line(tmp_path, text, line, message):
    with pytest.raises(SynonymsError) as raised:
        synonyms_of(tmp_path, text)
    assert f"synonyms.yml:{line}: " in str(raised.value) and message in str(raised.value)


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(SynonymsError) as raised:
        synonyms_of(tmp_path, "- [login]\n- [mfa, 2fa]\n- nonsense\n")
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in raised.value.problems] == ["1", "3"]


def test_a_group_expands_every_way_and_an_arrow_one_way(tmp_path):
    synonyms = synonyms_of(tmp_path, "- [2fa, two-step verification]\n- sso => saml\n")
    assert set(synonyms.expand("2fa broken")) == {"two", "step", "verif"}
    assert set(synonyms.expand("two-step verification broken")) == {"2fa"}
    assert set(synonyms.expand("our sso")) == {"saml"}
    assert synonyms.expand("our saml") == {}


def test_a_multi_word_term_matches_only_as_consecutive_words(tmp_path):
    synonyms = synonyms_of(tmp_path, "- [log in, signin]\n")
    assert set(synonyms.expand("I cannot log in")) == {"signin"}
    assert set(synonyms.expand("Logging in fails")) == {"signin"}  # stems: "logging in" is "log in"
    assert synonyms.expand("the delivery log says sent") == {}
    assert synonyms.expand("log files in the folder") == {}
    assert set(synonyms.expand("signin")) == {"log"}  # what "log in" adds: its searchable words


def test_own_words_are_not_added_again(tmp_path):
    synonyms = synonyms_of(tmp_path, "- [invoice, bill, receipt]\n")
    assert set(synonyms.expand("invoice or receipt", own=["invoic", "receipt"])) == {"bill"}


KB = {
    "mfa.md": "# Two-step verification codes rejected\n\nThe two-step verification code is rejected at sign-in.\n",
    "invoices.md": "# Downloading invoices\n\nDownload each invoice as a PDF from the billing page.\n",
    "printer.md": "# Printer jams\n\nThe printer jams on thick paper.\n",
}


def make_kb(tmp_path: Path, synonyms: str | None) -> Path:
    kb = tmp_path / "kb"
    for name, text in KB.items():
        write(kb, name, text)
    if synonyms is not None:
        write(kb, "synonyms.yml", synonyms)
    return kb


def served(index_dir: Path):
    return opened.load(layout.current_build(index_dir))


def panel(build, subject: str):
    return suggest.suggest(build.ranker, subject, "", synonyms=build.synonyms)


def test_a_build_without_synonyms_works_and_serves_none(tmp_path):
    report = build(make_kb(tmp_path, None), tmp_path / "index")
    assert report.switched
    current = served(tmp_path / "index")
    assert not current.synonyms and panel(current, "2fa") == []


def test_a_broken_synonyms_file_switches_nothing(tmp_path):
    kb = make_kb(tmp_path, "- [2fa, mfa]\n")
    build(kb, tmp_path / "index")
    before = layout.current_build_id(tmp_path / "index")
    write(kb, "synonyms.yml", "- [2fa]\n")
    with pytest.raises(BuildError, match=r"synonyms.yml:1: "):
        build(kb, tmp_path / "index", incremental=True)
    assert layout.current_build_id(tmp_path / "index") == before


def test_incremental_picks_up_a_changed_synonyms_file(tmp_path):
    kb = make_kb(tmp_path, "- [invoice, bill]\n")
    build(kb, tmp_path / "index")
    assert panel(served(tmp_path / "index"), "2fa") == []
    write(kb, "synonyms.yml", "- [invoice, bill]\n- [2fa, two-step verification]\n")
    report = build(kb, tmp_path / "index", incremental=True)
    assert report.incremental and report.switched
    assert [s.id for s in panel(served(tmp_path / "index"), "2fa")] == ["mfa"]


def test_synonyms_rank_but_matched_words_and_snippets_stay_the_customers(tmp_path):
    build(make_kb(tmp_path, "- [2fa, two-step verification]\n- [invoice, receipt]\n"), tmp_path / "index")
    current = served(tmp_path / "index")
    found = panel(current, "2fa code")
    assert found[0].id == "mfa"
    assert found[0].matched == {"subject": ["code"], "description": []}  # never "two", "step" or "verification"
    page = results.search_page(current, "2fa code")
    assert page.results[0].id == "mfa"
    assert "<mark>" not in page.results[0].snippet.replace("<mark>code</mark>", "")
    # a word the customer typed still outranks the same word reached through a synonym
    assert [s.id for s in panel(current, "receipt")] == ["invoices"]
    assert panel(current, "printer receipt")[0].id == "printer"
