"""``kbsearch cases draft-article``: a solved case becomes a draft article, without the customer in it."""

from __future__ import annotations

from datetime import date

import pytest

from kbsearch.cases import capture
from kbsearch.cases.conversation import read_change, update_case
from kbsearch.web import current

CASE = {"subject": "Locked out after Ada Lovelace's password reset", "category": "access", "subcategory": "passwords",
        "description": "Hi, this is Ada Lovelace (ada@example.com, or a.l@work.example.org). My account is locked "
                       "since 2026-11-23 09:14, version 2.7.5, error SH-AUTH-103.\nCall +44 20 7946 0958 or "
                       "(555) 123-4567; my colleague lovelace@example.com too. LOVELACE, ada.",
        "name": "Ada Lovelace", "email": "ada@example.com"}


@pytest.mark.parametrize("text, expected", [
    ("mail ada@example.com or A.L+kb@sub.example.co.uk", "mail [email] or [email]"),
    ("call +1 (555) 123-4567, 555.123.4567, 020 7946 0958 or 5551234567", "call [phone], [phone], [phone] or [phone]"),
    ("on 2026-11-23 at 09:14, 11/23/2026, v2.7.5, build 10.0.19045.1234, 192.168.1.10, order 12345",
     "on 2026-11-23 at 09:14, 11/23/2026, v2.7.5, build 10.0.19045.1234, 192.168.1.10, order 12345"),
    ("Ada Lovelace wrote; LOVELACE and ada too, but Adamant stays", "[name] wrote; [name] and [name] too, but Adamant stays"),
])
def test_redaction(text, expected):
    assert capture.redact(text, "Ada Lovelace", "ada@example.com") == expected


def test_only_a_solved_case_becomes_a_draft():
    row = {"number": "CS-000001", "status": "open", "subject": "s", "description": "d"}
    with pytest.raises(capture.NotSolved):
        capture.draft(row, date(2026, 11, 23), None, None)


def solved_case(app, client, solution: str | None) -> str:
    number = client.post("/api/cases", json=CASE).get_json()["number"]
    with app.app_context():
        body = {"status": "solved", "solved_by": "locked-account", **({"solution": solution} if solution else {})}
        update_case(current.get_db(), number, read_change(body, current.get_build().details))
    return number


def test_the_draft_passes_a_strict_reindex_and_stays_hidden(app, client, runner, kb):
    number = solved_case(app, client, "Unlocked under Admin > Users. Ada Lovelace can call +44 20 7946 0958.")
    result = runner.invoke(args=["cases", "draft-article", number])
    assert result.exit_code == 0, result.output
    [path] = kb.glob("cs-000001-*.md")
    text = path.read_text(encoding="utf-8")
    assert text.startswith('---\nid: "cs-000001-locked-out-after-name-s-password-reset"\n')
    assert 'title: "Locked out after [name]\'s password reset"' in text
    for line in ('category: "access"', 'subcategory: "passwords"', 'status: "draft"', f'source_case: "{number}"'):
        assert line in text
    assert "## Symptoms\n\nHi, this is [name] ([email], or [email]). My account is locked since 2026-11-23 09:14, " \
           "version 2.7.5, error SH-AUTH-103.\nCall [phone] or [phone]; my colleague [email] too. [name], [name]." in text
    assert "## Resolution\n\nUnlocked under Admin > Users. [name] can call [phone].\n" in text
    for secret in ("Ada", "ada", "Lovelace", "7946", "555"):
        assert secret not in text, secret

    strict = runner.invoke(args=["reindex", "--strict"])
    assert strict.exit_code == 0, strict.output
    assert client.get(f"/articles/{path.stem}").status_code == 404  # a draft is never served
    assert path.stem not in [r["id"] for r in client.get("/api/search", query_string={"q": "SH-AUTH-103"}
                                                         ).get_json()["results"]]

    again = runner.invoke(args=["cases", "draft-article", number])
    assert again.exit_code == 1 and "already exists" in again.output


def test_a_solution_left_empty_is_asked_for_and_other_folders_and_errors(app, client, runner, tmp_path):
    number = solved_case(app, client, None)
    result = runner.invoke(args=["cases", "draft-article", number, "--to", str(tmp_path / "drafts")])
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "drafts").glob("*.md")
    assert capture.NO_SOLUTION in path.read_text(encoding="utf-8")
    assert runner.invoke(args=["cases", "draft-article", "CS-999999"]).output.endswith("no case CS-999999\n")
    opened = client.post("/api/cases", json=CASE).get_json()["number"]
    refused = runner.invoke(args=["cases", "draft-article", opened])
    assert refused.exit_code == 1 and "only a solved case becomes an article" in refused.output
