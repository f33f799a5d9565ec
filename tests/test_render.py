"""Article pages render Markdown safely: nothing from an article can run or restyle the page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from conftest import write

from kbsearch import create_app
from kbsearch.index.reindex import build
from kbsearch.web.render import to_html


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
    html = to_html("# Title\n\nRun `net use <drive>` on <servername>, then see [this](other-id.md#fix).\n\n"
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
    import time

    started = time.perf_counter()
    to_html("text " + "`" * 20_000 + " <x> " + "` `" * 5_000)
    assert time.perf_counter() - started < 2.0
