"""POST /api/suggest: the panel beside the case form."""

from __future__ import annotations


def suggest(client, **body):
    response = client.post("/api/suggest", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(body) -> list[str]:
    return [s["id"] for s in body["suggestions"]]


def test_shape_and_seq_echo(client):
    body = suggest(client, subject="account locked", description="", seq=41)
    assert body["seq"] == 41
    first = body["suggestions"][0]
    assert set(first) == {"id", "title", "type", "url", "snippet", "score", "matched"}
    assert first["id"] == "locked-account" and first["url"] == "/articles/locked-account"
    assert first["matched"] == {"subject": ["account", "locked"], "description": []}


def test_the_word_being_typed_still_matches(client):
    assert ids(suggest(client, subject="invoi"))[0] == "invoice-download"
    assert ids(suggest(client, subject="my passw"))[0] in {"expired-password", "locked-account"}


def test_a_subject_is_not_drowned_by_an_unrelated_description(client):
    body = suggest(client, subject="download invoices", description="we also use single sign-on")
    assert ids(body)[0] == "invoice-download"
    assert body["suggestions"][0]["matched"]["subject"] == ["download", "invoices"]


def test_category_boosts_but_never_hides(client):
    plain = ids(suggest(client, subject="administrator users", limit=5))
    boosted = ids(suggest(client, subject="administrator users", category="billing", limit=5))
    assert set(plain) <= set(boosted) | set(plain[len(boosted):])  # nothing relevant disappears
    assert "locked-account" in boosted


def test_nothing_close_enough_gives_an_empty_list(client):
    assert suggest(client, subject="banana smoothie recipe")["suggestions"] == []
    assert suggest(client, subject="", description="")["suggestions"] == []


def test_limit(client):
    assert len(suggest(client, subject="sign-in password sso invoices", limit=2)["suggestions"]) == 2
