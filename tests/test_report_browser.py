"""The knowledge loop in a real browser: a search, the result opened, a "No" with its reason; and the
HTML report opened from disk, rendering its charts and fetching nothing.

Skips without a browser, unless KBSEARCH_REQUIRE_BROWSER=1 (as .ci/run sets) makes that a failure.
"""

from __future__ import annotations

import re
import threading

from conftest import SUMMARY
from knowledge_loop import run
from test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, _require_browser
from werkzeug.serving import make_server

from kbsearch.web import current

REPORT = ROOT / "test-artifacts" / "knowledge-loop-report.html"
SCREENSHOT = ROOT / "test-artifacts" / "knowledge-loop-report.png"


def test_the_html_report_renders_its_charts_offline(app, runner):
    sync_playwright = _require_browser()
    run(app)
    result = runner.invoke(args=["report", "--format", "html"])
    assert result.exit_code == 0, result.output
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(result.output, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(REPORT.as_uri())
            charts = page.locator("svg")
            assert charts.count() == 2
            for i in range(2):
                box = charts.nth(i).bounding_box()
                assert box and box["width"] > 100 and box["height"] > 50
            assert page.locator('svg[aria-label="The funnel per day"] rect').count() == 5  # one day, five bars
            assert page.locator('svg[aria-label="The top gaps"] rect').count() >= 5
            assert page.get_by_role("heading", name="Articles to review").is_visible()
            assert requested == [REPORT.as_uri()]  # nothing fetched: no font, image, style or script
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    SUMMARY.append(f"knowledge-loop HTML report: {REPORT}; its screenshot: {SCREENSHOT}")


def test_a_reader_searches_opens_a_result_and_says_why_it_did_not_help(app):
    sync_playwright = _require_browser()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{httpd.server_port}/")
                page.get_by_label("Describe your problem").fill("account locked")
                page.get_by_role("button", name="Search").click()
                page.get_by_role("link", name='Sign-in fails with "Your account is locked"').click()
                page.wait_for_url(re.compile(r"/articles/locked-account$"))
                assert page.locator("#feedback-reason").is_hidden()  # asked after "No"
                page.get_by_role("button", name="No").click()
                page.get_by_label("what was missing").fill("How do I unlock it without an admin?")
                page.get_by_role("button", name="Send").click()
                page.get_by_text("the team that writes the articles will read it").wait_for()
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()
    with app.app_context():
        database = current.get_db()
        [search] = list(database.query("select * from searches"))
        votes = [tuple(e.values()) for e in database.query("select session, kind, reason from events")]
    assert (search["query"], search["clicked"], search["rank"]) == ("account locked", "locked-account", 1)
    assert votes == [(search["session"], "not_helpful", "How do I unlock it without an admin?")]
