"""The search page's query language, answered by Whoosh: all words, else any; phrases, fields,
``-word``, ``prefix*`` and error codes; hostile syntax never fails; totals and facets are exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbsearch import create_app
from kbsearch.index import layout, opened
from kbsearch.index.reindex import build
from kbsearch.ranking import results

ARTICLES = {
    "accounts/reset-link.md": ("Password reset link expired", "",
                               "Error SH-PWD-211: this password reset link has expired. Request a new link. "
                               "Turn on 2-step verification."),
    "accounts/locked.md": ("Account locked after failed sign-ins", "",
                           ("Your account is locked after five wrong passwords. To reset it, wait 30 minutes; "
                            "the link in the email unlocks it at once. Error SH-AUTH-107.")),
    "accounts/mfa.md": ("Set up 2FA", "", "Turn on 2FA for every admin."),
    "billing/invoice.md": ("Download an invoice", "", "Invoices are under Billing. No password is needed."),
    "billing/refund.md": ("Refund a payment", "tags: [money]\n",
                          "Refunds take five days and show on the next invoice."),
    "accounts/draft.md": ("Secret draft", "status: draft\n", "Draftonly words: password reset link SH-PWD-211."),
    "accounts/internal.md": ("Staff only", "audience: internal\n", "Internalonly words: password reset link."),
}


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ql")
    for name, (title, front, body) in ARTICLES.items():
        path = root / "articles" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: {title}\n{front}---\n\n{body}\n", encoding="utf-8")
    (root / "articles" / "synonyms.yml").write_text("- [invoice, bill]\n- [reset link, magic link]\n- [2fa, 2-step verification]\n",
                                                    encoding="utf-8")
    build(root / "articles", root / "index")
    return root


@pytest.fixture(scope="module")
def served(kb):
    return opened.load(layout.current_build(kb / "index"))


@pytest.fixture
def client(kb, tmp_path):
    app = create_app({"TESTING": True, "ARTICLES_DIR": str(kb / "articles"), "INDEX_DIR": str(kb / "index"),
                      "AUDIENCE": "customer", "DATABASE": str(tmp_path / "kbsearch.sqlite")})
    return app.test_client()


def ids(served, q, **filters):
    return {r.id for r in results.search_page(served, q, filters, 1, 50).results}


def test_all_words_by_default(served):
    assert ids(served, "password") == {"accounts--reset-link", "accounts--locked", "billing--invoice"}
    assert ids(served, "password link") == {"accounts--reset-link", "accounts--locked"}
    assert results.search_page(served, "password link").mode == "all"


def test_any_word_when_no_article_has_them_all(served, client):
    found = results.search_page(served, "refund zebra")
    assert found.mode == "any" and {r.id for r in found.results} == {"billing--refund"}
    page = client.get("/", query_string={"q": "refund zebra"}).get_data(as_text=True)
    assert "No article has all of these words; showing articles with any of them" in page
    assert "No article has all" not in client.get("/", query_string={"q": "refund"}).get_data(as_text=True)


def test_a_phrase_needs_its_words_together(served):
    assert ids(served, "reset link") == {"accounts--reset-link", "accounts--locked"}
    assert ids(served, '"reset link"') == {"accounts--reset-link"}


def test_title_and_category_fields(served):
    assert ids(served, "invoice") == {"billing--invoice", "billing--refund"}
    assert ids(served, "title:invoice") == {"billing--invoice"}
    assert ids(served, "category:billing") == {"billing--invoice", "billing--refund"}
    assert ids(served, "category:Billing password") == {"billing--invoice"}


def test_minus_word_and_prefix(served):
    assert ids(served, "password -locked") == {"accounts--reset-link", "billing--invoice"}
    assert ids(served, "refu*") == {"billing--refund"}
    assert ids(served, "invo* -refund") == {"billing--invoice"}


def test_an_error_code_is_one_unit(served):
    assert ids(served, "SH-PWD-211") == {"accounts--reset-link"}
    assert ids(served, "sh-auth-107") == {"accounts--locked"}
    assert ids(served, "error SH-PWD-211") == {"accounts--reset-link"}


def test_an_error_code_in_the_sample_kb(tmp_path):
    build(Path(__file__).resolve().parents[1] / "articles", tmp_path / "index")
    found = results.search_page(opened.load(layout.current_build(tmp_path / "index")), "SH-PWD-211")
    assert [r.id for r in found.results] == ["password-reset-link-expired"]


@pytest.mark.parametrize("q", ['"', "title:", "((", "*", "AND OR NOT", "😀", "a" * 1000, "x " * 500, '"a b',
                               "-", "+", "title:(", "category:", "body:x", "a*b*", "?", "field:\"x", "\\", "~2",
                               "password^3", "[a TO z]", "-password", "NOT password", "password OR"])
def test_hostile_queries_answer(client, served, q):
    assert client.get("/", query_string={"q": q}).status_code == 200
    assert client.get("/api/search", query_string={"q": q}).status_code == 200
    results.search_page(served, q)


def test_plain_words_when_the_syntax_is_broken(served):
    assert ids(served, 'password "') == ids(served, "password")
    assert ids(served, "password AND link") == ids(served, "password link")


def test_totals_and_facets_are_those_of_the_match_set(served):
    found = results.search_page(served, "password", per_page=1)
    assert found.total == 3 and len(found.results) == 1 and found.pages == 3
    assert found.facets["category"] == {"accounts": 2, "billing": 1}
    for category, count in found.facets["category"].items():
        assert results.search_page(served, "password", {"category": category}).total == count


def test_drafts_and_internal_articles_never_match(served):
    assert ids(served, "draftonly") == set() and ids(served, "internalonly") == set()
    assert ids(served, '"password reset link"') == {"accounts--reset-link"}


def test_snippets_mark_searched_words_not_stop_words(served):
    snippet = results.search_page(served, "password -locked").results[0].snippet
    assert "<mark>" in snippet and "<mark>locked" not in snippet


def test_fewer_than_a_page_with_all_words_are_followed_by_some(served, client):
    found = results.search_page(served, "password link")
    assert {r.id for r in found.results} == {"accounts--reset-link", "accounts--locked"} and found.total == 2
    assert [r.id for r in found.more] == ["billing--invoice"]  # "password" only: below, not counted
    answer = client.get("/api/search", query_string={"q": "password link"}).get_json()
    assert answer["matched"] == "all" and [r["id"] for r in answer["more"]] == ["billing--invoice"]
    page = client.get("/", query_string={"q": "password link"}).get_data(as_text=True)
    assert page.index("Account locked") < page.index("Articles with some of your words") < page.index("Download an")
    assert results.search_page(served, "password link", page=2).more == []


def test_a_phrase_never_runs_from_the_title_into_the_body(served):
    assert ids(served, '"refund payment"') == {"billing--refund"}  # "Refund a payment": stop words do not count
    assert ids(served, '"payment refunds"') == set()  # the title's last word, the body's first
    assert ids(served, '"refunds take"') == {"billing--refund"}


def test_a_synonym_term_matches_as_one_unit(served):
    assert ids(served, "bill") == ids(served, "invoice")
    assert ids(served, "magic link") == {"accounts--reset-link"}  # "reset link" as a phrase, not "reset" and "link"
    assert ids(served, "bill download") == {"billing--invoice"}


def test_a_phrase_goes_on_after_an_error_code(served):
    assert ids(served, '"SH-PWD-211 this password"') == {"accounts--reset-link"}
    assert ids(served, '"error SH-PWD-211"') == {"accounts--reset-link"}


def test_a_synonym_written_with_a_code_and_one_with_minus_words(served):
    both = {"accounts--reset-link", "accounts--mfa"}
    assert ids(served, "2-step verification") == ids(served, "2fa") == both
    assert ids(served, "2fa -invoice") == both
