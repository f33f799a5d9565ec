"""The article format: defaults, validation errors naming file and line, foreign front matter."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import DATA, shared, write

from kbsearch.corpus.articles import ArticleError, parse_article, visible_to
from kbsearch.corpus.loader import load_folder
from kbsearch.corpus.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(DATA)


def parse(text: str, relpath: str = "a.md", **kw):
    return parse_article(relpath, text.encode(), TAXONOMY, **kw)


def problems(text: str, relpath: str = "a.md") -> list[str]:
    with pytest.raises(ArticleError) as caught:
        parse(text, relpath)
    return [str(p) for p in caught.value.problems]


def test_defaults_come_from_file_name_and_heading():
    article = parse("# How to export a report\n\nOpen **Reports** and choose *Export*.\n", "export-report.md")
    assert (article.id, article.title, article.type, article.status, article.audience, article.language) == (
        "export-report", "How to export a report", "knowledge", "published", "public", "en")
    assert article.summary == "Open Reports and choose Export."
    assert article.category is None and article.tags == () and article.updated is None


def test_front_matter_keys_are_read_and_unknown_keys_kept():
    article = parse("---\nid: x1\ntitle: T\ntype: help\ncategory: access\nsubcategory: sso\n"
                    "status: draft\naudience: internal\nlanguage: de\ntags: [SSO, saml, sso]\n"
                    "summary: S\nupdated: 2026-01-31\nowner: jane\n---\nBody text.\n")
    assert (article.id, article.type, article.category, article.subcategory, article.status,
            article.audience, article.language, article.summary) == (
        "x1", "help", "access", "sso", "draft", "internal", "de", "S")
    assert article.tags == ("sso", "saml") and article.updated == dt.date(2026, 1, 31)
    assert article.extra == {"owner": "jane"}


@pytest.mark.parametrize("text, expected", [
    ("---\ntitle: [unclosed\n---\nBody\n", "a.md:2: invalid YAML in front matter"),
    ("---\ntitle: T\n", "a.md:1: front matter starts with '---' but is never closed"),
    ("---\n- a list\n---\nBody\n", "a.md:2: front matter must be a mapping"),
    ("---\ntitle: T\ncategory: nosuch\n---\nBody\n", "a.md:3: unknown category 'nosuch'"),
    ("---\ntitle: T\ncategory: access\nsubcategory: invoices\n---\nBody\n",
     "a.md:4: unknown subcategory 'invoices' for category 'access'"),
    ("---\ntitle: T\nsubcategory: sso\n---\nBody\n", "a.md:3: subcategory given without a category"),
    ("---\ntitle: T\nstatus: live\n---\nBody\n", "a.md:3: unknown status 'live'"),
    ("---\ntitle: T\naudience: internl\n---\nBody\n", "a.md:3: unknown audience 'internl'"),
    ("---\ntitle: T\ntype: faq\n---\nBody\n", "a.md:3: unknown type 'faq'"),
    ("---\ntitle: T\nupdated: last week\n---\nBody\n", "a.md:3: updated 'last week' is not a date"),
    ("---\ntitle: T\ntags: {a: 1}\n---\nBody\n", "a.md:3: tags must be a list"),
    ("---\ntitle: T\nid: has space\n---\nBody\n", "a.md:3: id 'has space' may hold only"),
    ("---\ntitle: T\n---\n\n", "a.md:4: empty body"),
    ("Just text, no heading.\n", "a.md:1: no title"),
])
def test_each_validation_error_names_file_and_line(text, expected):
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


def test_all_problems_of_a_file_are_reported_together():
    found = problems("---\ntitle: T\nstatus: live\naudience: nobody\n---\nBody\n")
    assert [p.split(":")[1] for p in found] == ["3", "4"]


def test_duplicate_ids_and_bad_files_are_rejected_and_the_rest_loads(tmp_path):
    write(tmp_path, "one.md", "---\nid: same\n---\n# One\n\nText one.\n")
    write(tmp_path, "two.md", "---\ntitle: Two\nid: same\n---\nText two.\n")
    write(tmp_path, "bad.md", "---\ntitle: [\n---\nText.\n")
    write(tmp_path, "good.md", "# Good\n\nText.\n")
    loaded = load_folder(tmp_path, None)
    assert sorted(a.id for a in loaded.articles) == ["good", "same"]
    assert [str(p) for p in loaded.problems if p.path == "two.md"] == [
        "two.md:3: duplicate id 'same': already used by one.md"]
    assert loaded.rejected_files == ["bad.md", "two.md"]


def test_visibility_rules():
    def article(status, audience):
        return parse(f"---\ntitle: T\nstatus: {status}\naudience: {audience}\n---\nBody\n")
    assert visible_to(article("published", "public"), "public")
    assert not visible_to(article("published", "customer"), "public")
    assert visible_to(article("published", "customer"), "customer")
    assert not visible_to(article("published", "internal"), "customer")
    assert visible_to(article("published", "internal"), "internal")
    assert not visible_to(article("draft", "public"), "internal")
    assert not visible_to(article("archived", "public"), "internal")


FOREIGN = """\ufeff---\r
title: Short SEO title\r
description: What this article fixes.\r
ms.date: 3/31/2021\r
audience: itpro\r
ms.custom: sap:Networking\r
---\r
# Error 0x80070005 when you connect to <servername>\r
\r
[!INCLUDE [boilerplate](../includes/azure-help-support.md)]\r
\r
> [!NOTE]\r
> Run the command as an administrator.\r
\r
:::image type="content" source="media/x.png" alt-text="The connect dialog":::\r
\r
```powershell\r
# not a heading\r
Get-Thing -Name <servername>\r
```\r
"""


def test_foreign_front_matter_and_markup():
    article = parse_article("azure/networking/connect-error.md", FOREIGN.encode(), None, ignore_keys=("audience",))
    assert article.id == "azure--networking--connect-error"
    assert article.title == "Short SEO title"
    assert article.summary == "What this article fixes."
    assert article.updated == dt.date(2021, 3, 31)
    assert article.category == "azure"  # no taxonomy: the top folder
    assert article.audience == "public" and article.extra["ms.custom"] == "sap:Networking"
    assert article.text.startswith("Error 0x80070005 when you connect to <servername>\n")
    assert "INCLUDE" not in article.text and "[!NOTE]" not in article.text
    assert "The connect dialog" in article.text and "Get-Thing -Name <servername>" in article.text


def test_foreign_audience_is_rejected_unless_ignored():
    with pytest.raises(ArticleError, match="unknown audience 'itpro'"):
        parse_article("x.md", FOREIGN.encode(), None)


def test_include_fragments_and_readmes_are_skipped_with_a_reason(tmp_path):
    write(tmp_path, "README.md", "# About this folder\n")
    write(tmp_path, "net/includes/boilerplate.md", "Contact support.\n")
    write(tmp_path, "net/real.md", "# Real\n\nText.\n")
    loaded = load_folder(tmp_path, None)
    assert [a.id for a in loaded.articles] == ["net--real"]
    assert {s.path: s.reason.split(":")[0] for s in loaded.skipped} == {
        "README.md": "README", "net/includes/boilerplate.md": "include fragment"}


@pytest.mark.parametrize("parts, ignore, minimum", [
    (("corpora", "ms-support", "articles"), ("audience",), 5849),
    (("benchmarks", "ms-symptoms", "articles"), (), 5848),
    (("benchmarks", "stackfaq", "articles"), (), 719),
    (("benchmarks", "semeval2016-ql", "articles"), (), 939),
])
def test_shared_knowledge_bases_load_without_a_crash(parts, ignore, minimum):
    loaded = load_folder(shared(*parts), None, ignore)
    assert len(loaded.articles) >= minimum
    assert all(a.title and a.text for a in loaded.articles)
