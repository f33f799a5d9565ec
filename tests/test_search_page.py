"""The search page has no dead ends: corrections, zero results, filters, browsing and out-of-range pages.

Against the test knowledge base (a customer portal): "Signing in" holds locked-account (updated
2026-05-02), expired-password (2026-04-11) and sso-setup (no date); "Billing" holds invoice-download.
"""

from __future__ import annotations

import re

from kbsearch.web import current


def page_of(client, **query) -> str:
    response = client.get("/", query_string=query)
    assert response.status_code == 200, query
    return response.get_data(as_text=True)


def after_form(page: str) -> str:
    return page.split("</form>", 1)[1]


def result_ids(page: str) -> list[str]:
    return re.findall(r'class="title" href="[^"]*?(?:a=|/articles/)([a-z0-9-]+)"', page)


def recorded(app) -> list[dict]:
    with app.app_context():
        return list(current.get_db().query("select * from searches order by id"))


def test_a_confident_correction_shows_the_corrected_results_at_once(app, client):
    page = page_of(client, q="pasword")
    assert "Showing results for <strong>password</strong>." in page
    assert 'Search instead for <a href="/?q=pasword&amp;nofix=1">pasword</a>' in page
    assert "2 results for “password”" in page
    assert set(result_ids(page)) == {"expired-password", "locked-account"}
    assert "Did you mean" not in page
    [search] = recorded(app)  # what the visitor typed, with the total they were shown: their clicks count
    assert (search["query"], search["total"]) == ("pasword", 2)
    click = re.search(r'class="title" href="(/search/click[^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(click).status_code == 303
    assert recorded(app)[0]["clicked"] is not None


def test_search_instead_searches_the_words_as_typed(client):
    page = page_of(client, q="pasword", nofix="1")
    assert "Showing results for" not in page and "0 results for “pasword”" in page
    assert 'Did you mean <a href="/?q=password">password</a>?' in page
    assert result_ids(page) == []


def test_a_correction_that_is_not_clearly_better_is_only_offered(client):
    page = page_of(client, q="pasword reset")  # finds one as typed; the correction not five times as many
    assert "Showing results for" not in page and "Did you mean" in page and "1 result for “pasword reset”" in page


def test_zero_results_say_what_to_try_list_the_categories_and_offer_a_case_with_the_query(client):
    page = after_form(page_of(client, q="xylophone quartet"))
    assert "0 results for “xylophone quartet”" in page
    assert "fewer words" in page and "spelling" in page
    assert '<a href="/?category=access">Signing in</a>' in page and '<a href="/?category=billing">Billing</a>' in page
    assert '<a class="button" href="/cases/new?subject=xylophone+quartet">Contact support</a>' in page
    assert "/articles/" not in page


def test_zero_results_under_a_filter_offer_the_search_without_it(client):
    page = after_form(page_of(client, q="printer", category="billing"))
    assert '<a href="/?q=printer">searching without the filters</a>' in page
    assert 'aria-current="true">Billing</a> <span class="count">0</span>' in page  # chosen, so removable


def test_a_page_beyond_the_last_is_a_404_page_with_the_search_box_and_links(app, client):
    response = client.get("/", query_string={"q": "password", "page": "2"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "so there is no page 2" in page
    assert 'id="q" name="q" type="search" value="password"' in page
    assert 'href="/?q=password&amp;page=1">Go to the first page</a>' in page
    assert 'href="/categories"' in page and 'href="/cases/new?subject=password"' in page
    assert recorded(app) == []  # not a search anyone was shown
    assert client.get("/", query_string={"q": "password", "page": "1000"}).status_code == 404
    assert client.get("/", query_string={"q": "xylophone quartet", "page": "2"}).status_code == 404
    assert client.get("/", query_string={"category": "access", "page": "2"}).status_code == 404
    assert client.get("/", query_string={"q": "xylophone quartet"}).status_code == 200  # page 1 of nothing is a page


def test_the_chosen_facet_is_marked_and_its_cross_drops_only_it(client):
    page = page_of(client, q="password", category="access", type="knowledge")
    assert '<a href="/?q=password&amp;type=knowledge&amp;category=access" aria-current="true">Signing in</a>' in page
    assert '<a class="remove" href="/?q=password&amp;type=knowledge" aria-label="Remove filter: Signing in">×</a>' in page
    assert '<a class="remove" href="/?q=password&amp;category=access" aria-label="Remove filter: Solutions">×</a>' in page
    assert page.count('aria-current="true"') == 2
    assert "Filters (2)" in page
    # a new query from the box keeps the filters in force (each shown with its ×)
    assert '<input type="hidden" name="category" value="access">' in page


def test_the_subcategory_facet_is_shown_with_its_labels(client):
    page = page_of(client, q="password")
    assert '<h2 id="facet-subcategory">Subcategory</h2>' in page
    assert '<a href="/?q=password&amp;subcategory=passwords">Passwords</a> <span class="count">2</span>' in page
    sso = page_of(client, q="single sign-on identity provider", subcategory="sso")
    assert 'aria-current="true">Single sign-on</a>' in sso and result_ids(sso) == ["sso-setup"]


def test_a_filter_with_no_query_browses_its_articles_newest_first(app, client):
    page = page_of(client, category="access")
    assert "3 results, newest first" in page
    assert result_ids(page) == ["locked-account", "expired-password", "sso-setup"]
    assert 'href="/articles/locked-account"' in page  # nothing was searched, so nothing is recorded
    assert "Passwords</a> <span class=\"count\">2</span>" in page  # the subcategories to narrow it
    assert result_ids(page_of(client, category="access", subcategory="sso")) == ["sso-setup"]
    assert result_ids(page_of(client, category="billing")) == ["invoice-download"]  # never the archived one
    assert result_ids(page_of(client, type="help")) == ["sso-setup", "invoice-download"]
    assert recorded(app) == []


def test_results_show_their_category_path_and_updated_date(client):
    page = page_of(client, q="password expired")
    assert '<span class="path">Signing in › Passwords</span>' in page
    assert 'Updated <time datetime="2026-04-11">11 April 2026</time>' in page


def test_the_page_runs_only_its_own_script_and_no_inline_code(client):
    for query in ({"q": "password"}, {}, {"category": "access"}, {"q": "pasword"}):
        page = page_of(client, **query)
        assert '<script src="/static/instant.js" defer></script>' in page
        assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page and " on" + "click=" not in page
    script = client.get("/static/instant.js")
    assert script.status_code == 200 and b"aria-activedescendant" in script.data
    script.close()


def test_the_landing_page_offers_the_categories_to_browse(client):
    page = page_of(client)
    assert '<a href="/?category=access">Signing in</a>' in page and "autofocus" in page
