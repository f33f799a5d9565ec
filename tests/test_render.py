"""Article pages render Markdown safely: nothing from an article can run or restyle the page."""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
from conftest import write

from kbsearch import create_app
from kbsearch.corpus import render
from kbsearch.corpus.render import article_html, to_html
from kbsearch.index import assemble, layout, opened, workers
from kbsearch.index.reindex import build


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<p style="position:fixed;top:0">x</p>',
    '<div onclick="alert(1)">x</div>',
    "<iframe src='https://evil.example'></iframe>",
    '<svg onload="alert(1)"></svg>',
    "[x](JaVaScRiPt:alert(1))",
    "<style>body{display:none}</style>",
])
def test_nothing_executable_or_styling_survives(source):
    elements = Elements()
    elements.feed(to_html(source))
    for tag, attrs in elements.found:
        assert tag not in {"script", "style", "iframe", "svg", "object", "embed"}, source
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", source
            assert not (value or "").strip().lower().startswith("javascript:"), source


class Elements(HTMLParser):
    """Collects every element and its attributes, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def test_placeholders_links_and_code_keep_their_meaning():
    html = article_html("# Title\n\nRun `net use <drive>` on <servername>, then see [this](other-id.md#fix).\n\n"
                   "```\nping <servername>\n```\n")
    assert "Title" not in html  # the page shows the title itself
    assert "<code>net use &lt;drive&gt;</code>" in html and "on &lt;servername&gt;" in html
    assert 'href="/articles/other-id#fix"' in html
    assert "<pre><code>ping &lt;servername&gt;\n</code></pre>" in html


def test_a_hostile_article_is_served_harmless(kb, index_dir, config):
    write(kb, "hostile.md", "---\ncategory: access\n---\n# Hostile\n\nHello <script>alert('x')</script> "
          "[go](javascript:alert(1)) <img src=x onerror=alert(2)>\n")
    build(kb, index_dir)
    page = create_app(config).test_client().get("/articles/hostile").get_data(as_text=True)
    assert "<script>alert" not in page and "javascript:" not in page and "onerror" not in page


@pytest.mark.parametrize("source, expected", [
    ("Use `<servername>` or <servername>", "<code>&lt;servername&gt;</code> or &lt;servername&gt;"),
    ("``a ` <b>`` then <x>", "<code>a ` &lt;b&gt;</code> then &lt;x&gt;"),
    ("an open ` tick, then <x>", "an open ` tick, then &lt;x&gt;"),
])
def test_placeholders_are_escaped_outside_code_spans_only(source, expected):
    assert expected in to_html(source)


def test_a_line_of_thousands_of_backticks_renders_at_once():
    """A denial-of-service guard: a backtracking pattern took 8 s on this line, every view."""
    started = time.perf_counter()
    to_html("text " + "`" * 20_000 + " <x> " + "` `" * 5_000)
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("source", [">" * 20_000 + " a", "> " * 10_000 + "a", "- " * 10_000 + "a", "1. " * 7_000,
                                    "- > " * 5_000 + "a", "- a\n  " + ">" * 20_000])
def test_quotes_and_lists_nested_absurdly_deep_render_at_once(source):
    """A denial-of-service guard: 20 KB of ">" nested 20,000 quotes, and sanitising them took a second."""
    started = time.perf_counter()
    html = to_html(source)
    assert time.perf_counter() - started < 0.25
    assert html.count("<blockquote>") + html.count("<li>") <= 2 * render.MAX_MARKERS + 1


def test_commonmark_nests_lists_by_their_content_and_keeps_table_alignment():
    html = to_html("1. Sign in:\n   1. Open the console.\n   2. Run it.\n2. Check.\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n")
    assert "<li>Sign in:\n<ol>\n<li>Open the console.</li>" in html  # steps indented by three spaces nest
    assert '<th align="left">a</th><th align="right">b</th>' in html and "style" not in html


# --- pages are rendered once, by the reindex -------------------------------------------------

def held_pages(index_dir) -> dict[str, str]:
    """Each served article's page body, as the current build holds it."""
    served = opened.load(layout.current_build(index_dir))
    return {served.ranker.article_id(row): served.pages.get(row) for row in range(len(served.ranker))}


def page_body(client, article_id: str) -> str:
    page = client.get(f"/articles/{article_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True).split('<div class="body">', 1)[1].split("</div>\n</article>", 1)[0]


def no_rendering(*args, **kwargs):
    raise AssertionError("Markdown rendered while serving a page")


def test_the_build_holds_each_page_and_a_view_parses_no_markdown(kb, index_dir, config, monkeypatch):
    build(kb, index_dir)
    held = held_pages(index_dir)
    bodies = {a.id: a.body for a, _ in assemble.served_articles(layout.current_build(index_dir))}
    assert held == {article_id: article_html(body) for article_id, body in bodies.items()}
    assert "<h1>" not in held["expired-password"] and "<p>" in held["expired-password"]
    client = create_app(config).test_client()
    monkeypatch.setattr(render, "to_html", no_rendering)
    monkeypatch.setattr(render.pyromark, "html", no_rendering)
    for article_id, html in held.items():
        assert page_body(client, article_id) == html


def test_worker_processes_render_the_pages_one_process_renders(kb, tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)  # the test KB is far below the real threshold
    build(kb, tmp_path / "alone", workers=1)
    build(kb, tmp_path / "workers", workers=2)
    assert held_pages(tmp_path / "workers") == held_pages(tmp_path / "alone")


def test_an_incremental_build_renders_only_the_changed_article(kb, index_dir, config, monkeypatch):
    build(kb, index_dir)
    before = held_pages(index_dir)
    path = kb / "expired-password.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nSee **the new** [policy](locked-account.md).\n",
                    encoding="utf-8")
    rendered = []
    monkeypatch.setattr(render, "article_html", lambda body: rendered.append(body) or article_html(body))
    assert build(kb, index_dir, incremental=True).incremental
    assert len(rendered) == 1 and "the new" in rendered[0]
    after = held_pages(index_dir)
    assert set(after) == set(before)
    assert '<strong>the new</strong> <a href="/articles/locked-account"' in after["expired-password"]
    assert {i: h for i, h in after.items() if i != "expired-password"} == {
        i: h for i, h in before.items() if i != "expired-password"}
    assert page_body(create_app(config).test_client(), "expired-password") == after["expired-password"]
    build(kb, index_dir.with_name("full"))
    assert held_pages(index_dir.with_name("full")) == after  # what a full build renders


@pytest.mark.parametrize("merge", ["small segments", "every row"])
def test_pages_survive_segments_merged_or_written_again(kb, index_dir, monkeypatch, merge):
    monkeypatch.setattr(assemble, "MAX_SEGMENTS", 1 if merge == "small segments" else 8)
    monkeypatch.setattr(assemble, "MAX_UNUSED", 100.0 if merge == "small segments" else 0.0)
    build(kb, index_dir)
    for n in range(3):
        path = kb / "locked-account.md"
        path.write_text(path.read_text(encoding="utf-8") + f"\nEdit number {n}.\n", encoding="utf-8")
        build(kb, index_dir, incremental=True)
    folder = layout.current_build(index_dir)
    segments = sorted(p.name for p in (folder / layout.HTML_SEGMENTS).iterdir())
    assert segments == sorted(p.name for p in (folder / layout.TEXT_SEGMENTS).iterdir())
    assert len(segments) == (2 if merge == "small segments" else 1)
    assert "Edit number 2." in held_pages(index_dir)["locked-account"]
    build(kb, index_dir.with_name("full"))
    assert held_pages(index_dir) == held_pages(index_dir.with_name("full"))


def test_a_line_of_thousands_of_backticks_builds_and_its_page_answers_at_once(kb, index_dir, config):
    write(kb, "ticks.md", "---\ncategory: access\n---\n# Ticks\n\n" + "`" * 8_000 + "\n\nthen <x> and "
          + "` `" * 4_000 + "\n")
    build(kb, index_dir)
    client = create_app(config).test_client()
    client.get("/articles/ticks")  # the build opened
    started = time.perf_counter()
    body = page_body(client, "ticks")
    assert time.perf_counter() - started < 0.5
    assert "then &lt;x&gt;" in body


def test_a_build_made_before_pages_were_rendered_is_refused_until_reindexed(kb, index_dir, config):
    build(kb, index_dir)
    (layout.current_build(index_dir) / layout.HTML_ROWS).unlink()
    response = create_app(config).test_client().get("/articles/expired-password")
    assert response.status_code == 503 and "kbsearch reindex" in response.get_data(as_text=True)
