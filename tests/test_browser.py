"""The case form in a real browser: Playwright driving Debian's chromium against a live server.

Types the way a person does, watches the panel, clicks a suggestion, submits a case with an
attachment; then a second customer says "This solved my problem" and the report counts it.
Skips without a browser, unless KBSEARCH_REQUIRE_BROWSER=1 (as .ci/run sets) makes that a failure.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
from conftest import SUMMARY
from werkzeug.serving import make_server

from kbsearch import create_app
from kbsearch.index.reindex import build
from kbsearch.web import current

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("KBSEARCH_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "test-artifacts" / "case-form-panel.png"
# Without these, chromium tries Google's services at start, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
SLOW_WORD = b"slowly"  # a suggest request containing it is answered late, to test stale answers


def _require_browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[test]')"
    else:
        if not Path(CHROMIUM).exists():
            reason = f"no browser at {CHROMIUM} (apt-get install -y chromium; .ci/run does this)"
    if reason and os.environ.get("KBSEARCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"KBSEARCH_REQUIRE_BROWSER=1 but {reason}")
    if reason:
        pytest.skip(reason)
    return sync_playwright


class SlowSuggestions:
    """WSGI middleware: delay suggest requests whose body contains SLOW_WORD by 1.5 s."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/api/suggest":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            if SLOW_WORD in body:
                time.sleep(1.5)
        return self.app(environ, start_response)


def serve_sample_kb(base: Path, middleware):
    """The sample KB built in ``base`` and served on a loopback port; yields (app, base URL)."""
    build(ROOT / "articles", base / "index", audience="public")
    app = create_app({"TESTING": True, "ARTICLES_DIR": str(ROOT / "articles"), "INDEX_DIR": str(base / "index"),
                      "DATABASE": str(base / "cases.sqlite")})
    app.wsgi_app = middleware(app.wsgi_app)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_sample_kb(tmp_path_factory.mktemp("browser"), SlowSuggestions)


@pytest.fixture(scope="module")
def browser(server):
    sync_playwright = _require_browser()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def title_of(app, article_id: str) -> str:
    with app.app_context():
        from kbsearch.web.current import get_build
        return get_build().details[article_id]["title"]


def panel_item(page, article_id: str):
    return page.locator(f'#suggestions li[data-article-id="{article_id}"]')


def test_a_customer_is_shown_the_right_article_clicks_it_and_still_submits_a_case(server, page, tmp_path):
    app, url = server
    page.goto(f"{url}/cases/new")
    page.get_by_label("Subject", exact=True).press_sequentially("Locked out of my account", delay=35)
    locked = panel_item(page, "sign-in-account-locked")
    locked.wait_for(timeout=15000)
    page.get_by_label("Description").press_sequentially(
        "I typed my password wrong a few times and now it says my account is locked.", delay=15)
    page.get_by_label("Component category").select_option("account-access")
    expect_status = page.locator("#panel-status")
    assert re.search(r"\d+ articles? may solve this", expect_status.inner_text())
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    SUMMARY.append(f"browser test screenshot (case form with the panel filled): {SCREENSHOT}")

    with page.context.expect_page() as opened:
        locked.get_by_role("link", name=title_of(app, "sign-in-account-locked")).click()
    article = opened.value
    article.wait_for_load_state()
    assert title_of(app, "sign-in-account-locked") in article.title()
    article.get_by_role("button", name="Yes, it helped").click()
    article.get_by_text("Thank you.").wait_for()
    article.close()

    page.get_by_label("Description").press_sequentially(" The unlock email never came either.", delay=15)
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    log = tmp_path / "sign-in.log"
    log.write_text("2026-11-23 09:14 sign-in failed: account locked\n", encoding="utf-8")
    page.get_by_label("Attachments").set_input_files(str(log))
    page.get_by_role("button", name="Submit case").click()

    page.wait_for_url(re.compile(r"/cases/CS-\d{6}$"))
    assert "Received" in page.locator(".status").inner_text()
    assert "sign-in.log" in page.locator(".attachments").inner_text()
    number = re.search(r"CS-\d{6}", page.url).group(0)
    with app.app_context():
        database = current.get_db()
        case = next(database.query("select * from cases where number = ?", [number]))
        kinds = [e["kind"] for e in database.query("select kind from events where session = ? order by id",
                                                  [case["session"]])]
    assert "sign-in-account-locked" in json.loads(case["shown"])
    assert kinds[0] == "shown" and {"clicked", "helpful"} <= set(kinds) and kinds[-1] == "submitted"
    assert "The unlock email never came either." in case["description"]


def test_an_answer_older_than_the_one_shown_is_dropped(server, page):
    app, url = server
    page.goto(f"{url}/cases/new")
    subject = page.get_by_label("Subject", exact=True)
    subject.press_sequentially("Locked out slowly", delay=20)
    page.wait_for_timeout(400)  # debounce passed: the slow request is on its way
    subject.fill("")
    subject.press_sequentially("scorm upload error", delay=20)
    panel_item(page, "scorm-package-upload-fails").wait_for(timeout=15000)
    page.wait_for_timeout(2000)  # the slow answer has arrived by now
    assert panel_item(page, "scorm-package-upload-fails").count() == 1
    assert panel_item(page, "sign-in-account-locked").count() == 0


def test_this_solved_my_problem_ends_the_form_and_the_report_counts_it(server, page):
    app, url = server
    page.goto(f"{url}/cases/new")
    page.get_by_label("Subject", exact=True).press_sequentially("scorm upload error", delay=35)
    page.get_by_label("Description").press_sequentially(
        "Uploading our course zip gives an error about imsmanifest.xml not found", delay=10)
    item = panel_item(page, "scorm-package-upload-fails")
    item.wait_for(timeout=15000)
    assert item.get_by_role("button", name=re.compile("This solved my problem")).count() == 0  # not yet opened
    with page.context.expect_page() as opened:  # offered once the customer has seen the article
        item.locator("a.title").click()
    opened.value.close()
    item.get_by_role("button", name=re.compile("This solved my problem")).click()
    page.get_by_role("heading", name="Glad that solved it").wait_for()
    assert page.locator("#case-form").is_hidden()
    page.get_by_role("link", name="search the knowledge base").click()  # leaving it: now it counts
    page.wait_for_url(f"{url}/")

    runner = app.test_cli_runner()
    deadline = time.monotonic() + 5
    while json.loads(runner.invoke(args=["report", "--format", "json"]).output)["total"]["explicit"] != 1:
        assert time.monotonic() < deadline, "the deflection was not recorded when the page was left"
        time.sleep(0.1)
    total = json.loads(runner.invoke(args=["report", "--format", "json"]).output)["total"]
    assert total["explicit"] == 1 and total["cases"] == 1 and total["clicked"] == 2 and total["helpful"] == 1
    table = app.test_cli_runner().invoke(args=["report"]).output
    SUMMARY.append("kbsearch report after the browser tests:\n" + table)


def test_the_form_works_without_javascript(server, browser):
    app, url = server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{url}/cases/new")
    assert page.locator("#suggest-panel").is_hidden()
    page.get_by_label("Subject", exact=True).fill("Invoice missing")
    page.get_by_label("Component category").select_option("billing")
    page.get_by_label("Description").fill("Where can I download last month's invoice?")
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email", exact=True).fill("grace@example.com")
    page.get_by_role("button", name="Submit case").click()
    page.wait_for_url(re.compile(r"/cases/CS-\d{6}$"))
    assert "Invoice missing" in page.content()
    context.close()
