"""GET /api/search: ranking, filters, facets, pages, did-you-mean, and inputs that must not break it."""

from __future__ import annotations

import pytest


def search(client, **params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_results_carry_the_documented_fields(client):
    body = search(client, q="account locked")
    assert body["results"][0]["id"] == "locked-account"
    assert set(body["results"][0]) == {"id", "title", "type", "category", "subcategory", "url", "snippet",
                                       "score", "updated"}
    assert body["results"][0]["url"] == "/articles/locked-account"
    assert (body["page"], body["pages"]) == (1, 1) and body["total"] == len(body["results"])


def test_stemming_and_title_weight(client):
    # "locking" stems like "locked"; the article titled with it comes first
    assert search(client, q="locking")["results"][0]["id"] == "locked-account"


def test_more_matching_words_rank_first(client):
    ids = [r["id"] for r in search(client, q="password expired reuse")["results"]]
    assert ids[0] == "expired-password"


def test_snippets_highlight_terms_and_escape_everything_else(client):
    snippet = search(client, q="administrator")["results"][0]["snippet"]
    assert "<mark>administrators</mark>" in snippet  # stems match: administrator(s)
    snippet = search(client, q="billing invoices")["results"][0]["snippet"]
    assert "<mark>Billing</mark> &gt; <mark>Invoices</mark>" in snippet  # "Billing > Invoices" arrives escaped


def test_filters_and_facets(client):
    everything = search(client, q="sign-in password sso invoices")
    assert everything["facets"]["type"] == {"help": 2, "knowledge": 2}
    assert everything["facets"]["category"] == {"access": 3, "billing": 1}
    helps = search(client, q="sign-in password sso invoices", type="help")
    assert {r["type"] for r in helps["results"]} == {"help"} and helps["total"] == 2
    billing = search(client, q="sign-in password sso invoices", category="billing")
    assert [r["id"] for r in billing["results"]] == ["invoice-download"]


def test_pagination(client):
    first = search(client, q="sign-in password sso invoices", per_page=3)
    second = search(client, q="sign-in password sso invoices", per_page=3, page=2)
    assert (first["pages"], len(first["results"]), len(second["results"])) == (2, 3, 1)
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_did_you_mean_when_few_results(client):
    body = search(client, q="invoce")
    assert body["total"] == 0 and body["suggestion"] == "invoices"  # the word the articles use
    assert search(client, q="sign-in password sso invoices")["suggestion"] is None


@pytest.mark.parametrize("q", ['"unbalanced', "AND OR", "*", "title:", "NOT", "(((", "a" * 1000,
                               "🙂 locked 🔒", "كلمة المرور", "סיסמה שגויה", "\x00\x1f", ""])
def test_query_syntax_never_errors(client, q):
    search(client, q=q)


def test_long_text_is_accepted_up_to_the_limit(client):
    long_text = ("my account is locked after the password expired " * 200)[:1000]
    assert search(client, q=long_text)["results"]
