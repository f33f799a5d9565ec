"""The search page in a real browser: instant results by keyboard, a phone's fold, and axe on every state.

Playwright drives Debian's chromium against a live server on the sample knowledge base, at
1280×800 and 390×844. axe-core (through axe-playwright-python) checks each state of the page
and the test fails on any violation, printing them. Skips without a browser, unless
KBSEARCH_REQUIRE_BROWSER=1 makes that a failure (``test_browser._require_browser``).
"""

# ruff: noqa: F811  (the browser fixture comes from test_browser)
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs

import pytest
from conftest import SUMMARY
from test_browser import ROOT, browser, serve_sample_kb  # noqa: F401  (browser: a fixture)

from kbsearch.web import current

ARTIFACTS = ROOT / "test-artifacts"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SLOW_WORD = "slowly"  # an instant-results request with it is answered 1.5 s late, to test stale answers
WAIT_MS = 10000  # the longest any step waits


class SlowSearch:
    """WSGI middleware: delay /api/search requests whose query contains SLOW_WORD."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/api/search" and SLOW_WORD in " ".join(
                parse_qs(environ.get("QUERY_STRING", "")).get("q", [])):
            time.sleep(1.5)
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_sample_kb(tmp_path_factory.mktemp("browser-search"), SlowSearch)


def new_page(browser, size: str):
    context = browser.new_context(viewport=WIDTHS[size])
    context.set_default_timeout(WAIT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser):
    context, opened = new_page(browser, "desktop")
    yield opened
    context.close()


def searches_recorded(app) -> int:
    with app.app_context():
        return next(current.get_db().query("select count(*) as n from searches"))["n"]


def open_instant_results(page, words: str):
    box = page.get_by_role("combobox", name="Describe your problem")
    box.press_sequentially(words, delay=30)
    page.locator("#instant-results [role=option]").first.wait_for(timeout=WAIT_MS)
    return box


def violations(page, state: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{state}: {results.generate_report()}"] if results.violations_count else []


@pytest.mark.parametrize("size", WIDTHS)
def test_every_search_page_state_passes_axe(server, browser, size):
    _, url = server
    context, page = new_page(browser, size)
    found = []
    states = {
        "results": "/?q=reset+password",
        "zero results": "/?q=xylophone+quartet",
        "corrected results": "/?q=pasword",
        "filtered": "/?q=reset+password&category=account-access",
        "browsing a category": "/?category=scorm-xapi",
        "some of your words below": "/?q=invoice+currency",
        "landing": "/",
    }
    for state, path in states.items():
        page.goto(url + path)
        page.locator("h1").wait_for(timeout=WAIT_MS)
        found += violations(page, state)
        if state == "filtered" and page.locator("details.refine").get_attribute("open") is None:
            page.locator("details.refine > summary").click()  # a phone: the filters behind their button
            found += violations(page, "filtered, filters opened")
        if state == "results":
            shot = ARTIFACTS / f"search-{WIDTHS[size]['width']}x{WIDTHS[size]['height']}.png"
            shot.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(shot))
            SUMMARY.append(f"browser test screenshot (search page, {size}): {shot}")
    response = page.goto(url + "/?q=reset+password&page=99")
    assert response.status == 404 and page.get_by_role("heading", name="Page not found").is_visible()
    found += violations(page, "out-of-range 404")
    page.goto(url + "/")
    open_instant_results(page, "locked account")
    found += violations(page, "instant results open")
    page.keyboard.press("ArrowDown")
    found += violations(page, "instant results, an option active")
    shot = ARTIFACTS / f"search-instant-{WIDTHS[size]['width']}x{WIDTHS[size]['height']}.png"
    page.screenshot(path=str(shot))
    SUMMARY.append(f"browser test screenshot (search page, instant results, {size}): {shot}")
    context.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("size", WIDTHS)
def test_snippets_take_at_most_two_lines(server, browser, size):
    _, url = server
    context, page = new_page(browser, size)
    page.goto(url + "/?q=reset+password")
    heights = page.locator("ol.results .snippet").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight))")
    context.close()
    assert heights and max(heights) <= 2.05, heights


def test_on_a_phone_the_first_result_is_above_the_fold_and_filters_are_one_button(server, browser):
    _, url = server
    context, page = new_page(browser, "phone")
    page.goto(url + "/?q=reset+password")
    first = page.locator("ol.results > li").first.locator("a.title")
    box = first.bounding_box()
    assert box and box["y"] + box["height"] <= WIDTHS["phone"]["height"], box
    filters = page.locator("details.refine")
    assert filters.get_attribute("open") is None
    assert not page.locator("details.refine nav").is_visible()
    page.locator("details.refine > summary").click()
    page.locator("details.refine nav").wait_for(state="visible", timeout=WAIT_MS)
    context.close()


def test_on_a_wide_screen_the_filters_are_open_and_the_chosen_one_is_removable(server, page):
    _, url = server
    page.goto(url + "/?q=reset+password")
    nav = page.get_by_role("navigation", name="Filters")
    nav.wait_for(state="visible", timeout=WAIT_MS)
    nav.get_by_role("link", name="Signing in and the customer portal", exact=True).click()
    page.wait_for_url(re.compile(r"category=account-access"), timeout=WAIT_MS)
    chosen = page.locator('nav[aria-label="Filters"] a[aria-current="true"]')
    assert chosen.inner_text() == "Signing in and the customer portal"
    page.locator("ul.chosen").get_by_role("link", name="Remove filter: Signing in").click()
    page.wait_for_url(re.compile(r"/\?q=reset\+password$"), timeout=WAIT_MS)


def test_instant_results_by_keyboard_alone(server, page):
    app, url = server
    page.goto(url + "/?q=reset+password")  # a results page: nothing is focused yet
    page.locator("ol.results > li").first.wait_for(timeout=WAIT_MS)
    before = searches_recorded(app)  # that search, and no more from here
    for _ in range(10):  # Tab from the top: the skip link, the header's links, then the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.getAttribute('role')") == "combobox"
    page.keyboard.press("Control+A")
    page.keyboard.type("locked account", delay=30)
    box = page.get_by_role("combobox", name="Describe your problem")
    page.locator("#instant-results [role=option]").first.wait_for(timeout=WAIT_MS)
    options = page.locator("#instant-results [role=option]")
    assert box.get_attribute("aria-expanded") == "true" and 1 <= options.count() <= 5
    assert box.get_attribute("aria-controls") == "instant-results" and box.get_attribute("aria-activedescendant") is None
    page.keyboard.press("ArrowDown")
    first_id = options.nth(0).get_attribute("id")
    assert box.get_attribute("aria-activedescendant") == first_id
    assert options.nth(0).get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowUp")  # wraps to the last
    assert box.get_attribute("aria-activedescendant") == options.nth(options.count() - 1).get_attribute("id")
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and page.locator("#instant-results").is_hidden()
    assert box.input_value() == "locked account"  # Escape closes; the words stay
    page.keyboard.press("ArrowDown")  # opens again, on the first
    assert box.get_attribute("aria-expanded") == "true" and box.get_attribute("aria-activedescendant") == first_id
    target = options.nth(0).get_attribute("data-url")
    page.keyboard.press("Enter")  # an active option: Enter opens it
    page.wait_for_url(re.compile(re.escape(target) + "$"), timeout=WAIT_MS)
    assert searches_recorded(app) == before  # instant results are not searches


def test_enter_without_a_chosen_option_still_submits_the_search(server, page):
    app, url = server
    before = searches_recorded(app)
    page.goto(url + "/")
    open_instant_results(page, "locked account")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?q=locked\+account$"), timeout=WAIT_MS)
    page.locator("ol.results > li").first.wait_for(timeout=WAIT_MS)
    assert searches_recorded(app) == before + 1  # the submitted search is recorded, as before
    assert page.locator("ol.results a.title").first.get_attribute("href").startswith("/search/click?")


def test_an_instant_answer_older_than_the_one_shown_is_dropped(server, page):
    _, url = server
    page.goto(url + "/")
    box = page.get_by_role("combobox")
    answered = []  # the slow answer, once its body has arrived
    page.on("requestfinished", lambda request: answered.append(request) if SLOW_WORD in request.url else None)
    with page.expect_request(lambda request: SLOW_WORD in request.url, timeout=WAIT_MS):  # sent after the debounce
        box.press_sequentially(f"locked {SLOW_WORD}", delay=20)
    box.fill("")
    box.press_sequentially("scorm upload", delay=20)
    options = page.locator("#instant-results [role=option]")
    options.filter(has_text=re.compile("SCORM", re.IGNORECASE)).first.wait_for(timeout=WAIT_MS)
    shown = options.all_inner_texts()
    for _ in range(100):  # bounded: the slow answer is 1.5 s late
        if answered:
            break
        page.wait_for_timeout(50)
    assert answered, "the slow answer never arrived: nothing was tested"
    page.wait_for_timeout(100)  # its handler has run
    assert options.all_inner_texts() == shown


def test_the_search_page_works_without_javascript(server, browser):
    _, url = server
    context = browser.new_context(java_script_enabled=False, viewport=WIDTHS["phone"])
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(url + "/?q=pasword")
    assert page.locator(".correction").inner_text().startswith("Showing results for password.")
    page.locator("details.refine > summary").click()
    page.get_by_role("navigation", name="Filters").get_by_role("link", name=re.compile("^Passwords")).click()
    page.wait_for_url(re.compile(r"subcategory=passwords"), timeout=WAIT_MS)
    assert page.locator('a[aria-current="true"]').text_content() == "Passwords and resets"  # in the closed Filters
    assert "Subcategory: Passwords and resets" in page.locator("ul.chosen").inner_text()  # shown, with its ×
    context.close()
