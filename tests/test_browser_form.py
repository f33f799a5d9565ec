"""The case form, its panel, the status page and an article in chromium, held to a help center's standard.

axe-core (``axe-playwright-python``, bundled, nothing downloaded) checks every page state at a
desktop (1280×800) and a phone (390×844) width and fails on any violation; the panel and the
status page are used with the keyboard alone; a dismissed suggestion stays gone; "This solved my
problem" can be undone with nothing lost. Skips and fails like ``test_browser.py`` (whose server
and browser fixtures it shares).
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import SUMMARY
from test_browser import ROOT, browser, panel_item, server, title_of  # noqa: F401  (fixtures)

from kbsearch.web import current

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
ARTIFACTS = ROOT / "test-artifacts"
CODE_ARTICLE = "api-401-invalid-token"  # code blocks, and links to other articles
WAIT_MS = 15000  # the longest any wait may take


@pytest.fixture(params=list(WIDTHS))
def sized(request, browser):  # noqa: F811
    width, height = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(WAIT_MS)
    yield request.param, context.new_page()
    context.close()


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def no_violations(page, state: str) -> None:
    """Run axe-core on the page as it is now; fail naming each violation and the elements it found."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    found = [f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
             for v in results.response["violations"]]
    assert not found, f"axe on {state}:\n" + "\n".join(found)


def shot(page, name: str, what: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SUMMARY.append(f"browser screenshot ({what}): {path}")


def type_subject(page, text: str) -> None:
    page.get_by_label("Subject", exact=True).press_sequentially(text, delay=15)


def test_every_state_of_the_case_form_and_the_status_page_passes_axe(server, sized):  # noqa: F811
    _, url = server
    width, page = sized
    page.goto(f"{url}/cases/new")
    no_violations(page, f"the empty form ({width})")

    type_subject(page, "Locked out of my account")
    panel_item(page, "sign-in-account-locked").wait_for()
    page.get_by_label("Component category").select_option("account-access")
    subject, panel, description = (page.locator(s).bounding_box() for s in ("#subject", "#suggest-panel",
                                                                           "#description"))
    if width == "phone":  # under the subject, above the description
        assert subject["y"] < panel["y"] < description["y"]
    else:  # beside the fields
        assert panel["x"] > subject["x"] + subject["width"]
    no_violations(page, f"the form with the panel filled ({width})")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width][0]
    shot(page, f"case-form-panel-{width}", f"case form with the panel, {WIDTHS[width][0]} px")

    # The server's own checks (the browser's are switched off to reach them): errors, focus on the summary.
    page.eval_on_selector("#case-form", "form => { form.noValidate = true; }")
    page.get_by_label("Description").fill("It says my account is locked after three tries.")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email", exact=True).fill("ada at example")
    page.get_by_role("button", name="Submit case").click()
    page.locator("#form-errors").wait_for()
    assert page.evaluate("document.activeElement.id") == "form-errors"
    panel_item(page, "sign-in-account-locked").wait_for()  # the panel fills again from the text kept
    no_violations(page, f"the form with validation errors ({width})")

    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_role("button", name="Submit case").click()
    page.wait_for_url(re.compile(r"/cases/CS-\d{6}$"))
    no_violations(page, f"the case status page ({width})")


def test_an_article_passes_axe_and_offers_search_and_contact_support(server, sized):  # noqa: F811
    app, url = server
    width, page = sized
    page.goto(f"{url}/articles/{CODE_ARTICLE}")
    crumbs = page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")
    assert crumbs.first.inner_text() == "Home"
    assert page.locator(".body pre").count() and all(
        pre.get_attribute("tabindex") == "0" for pre in page.locator(".body pre").all())
    linked = {h.split("/articles/")[1] for h in page.locator(".body a[href^='/articles/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")}
    related = {h.split("/articles/")[1] for h in page.locator(".related a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")}
    assert linked and not linked & related
    contact = page.locator(".need-help").get_by_role("link", name="Contact support")
    assert "/cases/new?category=" in contact.get_attribute("href")
    no_violations(page, f"the article page ({width})")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width][0]  # nothing scrolls sideways
    shot(page, f"article-{width}", f"an article, {WIDTHS[width][0]} px")

    page.locator(".need-help").get_by_role("searchbox").fill("password reset")
    page.locator(".need-help").get_by_role("searchbox").press("Enter")
    page.wait_for_url(re.compile(r"/\?q=password"))
    page.goto(f"{url}/articles/{CODE_ARTICLE}")
    page.locator(".need-help").get_by_role("link", name="Contact support").click()
    page.wait_for_url(re.compile(r"/cases/new\?category="))
    with app.app_context():
        category = current.get_build().details[CODE_ARTICLE]["category"]
    assert page.get_by_label("Component category").input_value() == category


def test_keyboard_alone_reaches_the_panel_before_submit_dismisses_and_keeps_it_dismissed(server, page):  # noqa: F811
    app, url = server
    page.goto(f"{url}/cases/new")
    page.get_by_label("Subject", exact=True).focus()
    page.keyboard.type("password reset email not received", delay=15)  # more than 5 articles match
    first = page.locator("#suggestions li").first
    first.wait_for()
    first_id = first.get_attribute("data-article-id")
    assert re.search(r"\d+ new suggestions?: .+\. \d+ articles? may solve this", page.locator("#panel-status").inner_text())

    page.keyboard.press("Tab")  # from the subject straight into the panel: its first article
    assert page.evaluate("document.activeElement.closest('#suggest-panel') !== null")
    title = page.evaluate("document.activeElement.textContent")
    assert title == title_of(app, first_id)
    page.keyboard.press("Tab")  # "This solved my problem" is not offered before the article is opened
    assert page.evaluate("document.activeElement.textContent") == "Not relevant"
    count = page.locator("#suggestions li").count()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.closest('#suggestions') !== null")  # focus stays in the list
    page.wait_for_function("([count, id]) => document.querySelectorAll('#suggestions li').length === count"
                           " && !document.querySelector(`#suggestions li[data-article-id='${id}']`)",
                           arg=[count, first_id], timeout=WAIT_MS)  # the next one took its place
    said = page.locator("#panel-status").inner_text()
    assert re.fullmatch(rf"Removed: {re.escape(title)}\. 1 new suggestion: .+\. 5 articles may solve this\.", said)

    # more typing never brings it back
    page.get_by_label("Description").focus()
    page.keyboard.type("I asked for a new password but the reset email never came.", delay=5)
    with page.expect_response(lambda r: "/api/suggest" in r.url, timeout=WAIT_MS):  # the answer after the debounce
        page.get_by_label("Component category").select_option("account-access")
    page.wait_for_timeout(100)  # its handler has run
    assert panel_item(page, first_id).count() == 0
    with app.app_context():
        session = page.locator("input[name=session]").input_value()
        rows = list(current.get_db().query("select kind, articles from events where session = ?", [session]))
    assert [r["kind"] for r in rows].count("dismissed") == 1
    assert not any(first_id in json.loads(r["articles"] or "[]") for r in rows[2:] if r["kind"] == "shown")

    # Tab order: every panel control comes before Submit
    order = page.evaluate("""() => Array.from(document.querySelectorAll('#case-form a, #case-form button,'
        + ' #case-form input:not([type=hidden]), #case-form select, #case-form textarea'))
        .map(e => e.closest('#suggest-panel') ? 'panel' : (e.type === 'submit' ? 'submit' : 'field'))""")
    assert order.index("submit") > max(i for i, kind in enumerate(order) if kind == "panel")


def test_this_solved_my_problem_can_be_undone_with_everything_kept(server, page, tmp_path):  # noqa: F811
    app, url = server
    page.goto(f"{url}/cases/new")
    type_subject(page, "scorm upload error")
    page.get_by_label("Description").fill("imsmanifest.xml not found")
    page.get_by_label("Component category").select_option("scorm-xapi")
    page.get_by_label("Subcategory").select_option("scorm-import")
    page.get_by_label("Your name").fill("Grace")
    page.get_by_label("Email", exact=True).fill("grace@example.com")
    capture = tmp_path / "upload.har"
    capture.write_text('{"log": {"entries": []}}', encoding="utf-8")
    page.get_by_label("Attachments").set_input_files(str(capture))
    item = panel_item(page, "scorm-package-upload-fails")
    item.wait_for()
    with page.context.expect_page() as opened:
        item.locator("a.title").press("Enter")
    opened.value.close()
    item.get_by_role("button", name=re.compile("This solved my problem")).press("Enter")
    assert page.evaluate("document.activeElement.id") == "solved"
    no_violations(page, "the form's \"Glad that solved it\"")
    page.get_by_role("button", name="Undo: back to my case").press("Enter")
    assert page.locator("#case-form").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('solved-button')")
    values = page.evaluate("""() => { const f = document.getElementById('case-form').elements;
        return [f.subject.value, f.description.value, f.category.value, f.subcategory.value, f.name.value,
                f.email.value, f.attachments.files.length]; }""")
    assert values == ["scorm upload error", "imsmanifest.xml not found", "scorm-xapi", "scorm-import", "Grace",
                      "grace@example.com", 1]
    page.get_by_role("button", name="Submit case").click()
    page.wait_for_url(re.compile(r"/cases/CS-\d{6}$"))
    assert "upload.har" in page.locator(".attachments").inner_text()
    with app.app_context():
        session = next(current.get_db().query("select session from cases order by id desc limit 1"))["session"]
        kinds = [r["kind"] for r in current.get_db().query("select kind from events where session = ?", [session])]
    assert "deflected" not in kinds and kinds[-1] == "submitted"  # undone: no deflection counted


def test_the_status_page_works_from_the_keyboard(server, page):  # noqa: F811
    _, url = server
    page.goto(f"{url}/cases/new")
    page.get_by_label("Subject", exact=True).fill("Invoice missing")
    page.get_by_label("Component category").select_option("billing")
    page.get_by_label("Description").fill("Where is last month's invoice?")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_role("button", name="Submit case").press("Enter")
    page.wait_for_url(re.compile(r"/cases/CS-\d{6}$"))
    page.get_by_label("Your reply").focus()
    page.keyboard.type("Found it, thanks.")
    for _ in range(12):  # Tab on to the reply's send button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName === 'BUTTON'"):
            break
    page.keyboard.press("Enter")
    page.get_by_text("Your reply was added.").wait_for()
    assert "Found it, thanks." in page.locator(".conversation").inner_text()
    solved = page.get_by_role("button", name=re.compile("This is solved"))
    solved.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Marked as solved").wait_for()
    assert page.get_by_role("button", name=re.compile("Reopen")).is_visible()
