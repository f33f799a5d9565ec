"""Customers never see what is not theirs: probe every endpoint and page for hidden markers.

The test knowledge base hides a draft ("zorblatt"), an archived article ("quendrix") and an
internal one ("frobnitz"); for an anonymous (public) portal, the customer-only SSO article
("identity provider metadata") is hidden as well.
"""

from __future__ import annotations

import pytest

from kbsearch import create_app
from kbsearch.index import layout
from kbsearch.index.reindex import build

ALWAYS_HIDDEN = {"zorblatt", "quendrix", "frobnitz", "draft-refunds", "archived-invoices", "internal-unlock"}
CUSTOMER_ONLY = {"metadata", "sso-setup"}


@pytest.fixture(params=["public", "customer"])
def deployment(request, config, kb, index_dir):
    build(kb, index_dir, audience=request.param)
    app = create_app({**config, "AUDIENCE": request.param})
    hidden = ALWAYS_HIDDEN | (CUSTOMER_ONLY if request.param == "public" else set())
    return app.test_client(), hidden, request.param


def text_of(response) -> str:
    return response.get_data(as_text=True).lower()


def test_searching_for_hidden_words_finds_nothing(deployment):
    client, hidden, _ = deployment
    markers = {h for h in hidden if "-" not in h}  # words; ids are probed on pages below
    for word in markers | {w[:-1] for w in markers} | {w + "s" for w in markers}:  # near misses too
        body = client.get("/api/search", query_string={"q": word}).get_json()
        assert body["results"] == [] and body["total"] == 0, word
        assert all(not count for facet in body["facets"].values() for count in facet.values())
        assert not any(h in (body["suggestion"] or "") for h in hidden), word
        suggested = client.post("/api/suggest", json={"subject": word, "description": word}).get_json()
        assert suggested["suggestions"] == [], word
        page = text_of(client.get("/", query_string={"q": word}))
        assert "0 results" in page and "/articles/" not in page.split("</form>")[1]


def test_no_page_or_answer_contains_a_hidden_word(deployment):
    client, hidden, _ = deployment
    responses = [client.get(path) for path in (
        "/", "/categories", "/categories/access", "/categories/access/passwords", "/categories/billing",
        "/categories/billing/invoices", "/articles/locked-account", "/articles/expired-password",
        "/articles/invoice-download", "/api/status")]
    responses += [client.get("/api/search", query_string={"q": q}) for q in (
        "password reset unlock locked account", "invoice refund portal", "tool process retired")]
    responses += [client.post("/api/suggest", json={"subject": s, "description": "tenant unlock refund invoice portal"})
                  for s in ("locked account", "refund policy", "old invoice portal")]
    for response in responses:
        assert response.status_code == 200, response.request.path
        body = text_of(response)
        assert not [h for h in hidden if h in body], response.request.path


def test_hidden_articles_are_404_like_missing_ones(deployment):
    client, hidden, _ = deployment
    for article_id in [h for h in hidden if "-" in h] + ["no-such-article"]:
        response = client.get(f"/articles/{article_id}")
        assert response.status_code == 404 and article_id in text_of(response)


def test_counts_only_count_visible_articles(deployment):
    client, _, audience = deployment
    visible = 3 if audience == "public" else 4
    assert client.get("/api/status").get_json()["articles"] == visible
    page = text_of(client.get("/categories/access/passwords"))
    assert "2 articles" in page  # locked-account and expired-password, not the internal runbook


def test_hidden_text_never_reaches_the_served_files(deployment, index_dir):
    _, hidden, _ = deployment
    served = layout.current_build(index_dir)
    for path in served.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            assert not [h for h in hidden if h.encode() in data], path
