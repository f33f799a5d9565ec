"""The served app: config precedence, live switch to new builds, and a clear missing-index error."""

from __future__ import annotations

from conftest import write

from kbsearch import create_app
from kbsearch.index.reindex import build


def test_config_defaults_then_environment_then_test_mapping(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the default instance folder is relative to it
    monkeypatch.setenv("KBSEARCH_INDEX_DIR", "/srv/kb/index")
    monkeypatch.setenv("KBSEARCH_AUDIENCE", "public")
    from_env = create_app()
    assert (from_env.config["INDEX_DIR"], from_env.config["AUDIENCE"], from_env.config["ARTICLES_DIR"],
            from_env.config["DATABASE"]) == ("/srv/kb/index", "public", "articles", "instance/kbsearch.sqlite")
    assert create_app({"INDEX_DIR": "t"}).config["INDEX_DIR"] == "t"  # tests ignore the environment


def test_status_names_the_served_build(client, index_dir):
    body = client.get("/api/status").get_json()
    assert body["articles"] == 4 and body["audience"] == "customer"
    assert (index_dir / "CURRENT").read_text().strip() == body["build_id"]


def test_a_running_server_picks_up_a_new_build_without_restart(client, kb, index_dir):
    assert client.get("/api/search?q=quarantine").get_json()["results"] == []
    write(kb, "mail-quarantine.md", "---\ncategory: access\n---\n# Emails quarantined\n\nThe quarantine holds them.\n")
    report = build(kb, index_dir, incremental=True)
    assert client.get("/api/status").get_json()["build_id"] == report.build_id
    assert [r["id"] for r in client.get("/api/search?q=quarantine").get_json()["results"]] == ["mail-quarantine"]
    assert client.get("/articles/mail-quarantine").status_code == 200


def test_without_an_index_the_operator_is_told_what_to_run(config):
    app = create_app(config)  # the fixture's index folder was never built
    response = app.test_client().get("/api/search?q=x")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == 503 and "kbsearch reindex" in body["error"] and body["errors"] == []
    assert config["INDEX_DIR"] not in body["error"]  # the log names the folder, clients never see it
    page = app.test_client().get("/")
    assert page.status_code == 503 and b"kbsearch reindex" in page.data
    assert config["INDEX_DIR"].encode() not in page.data


def test_an_index_built_for_another_audience_is_refused(kb, index_dir, config):
    build(kb, index_dir, audience="internal")
    response = create_app(config).test_client().get("/api/status")
    assert response.status_code == 503
    assert "built for another audience" in response.get_json()["error"]
    assert "KBSEARCH_AUDIENCE=customer" in response.get_json()["error"]


def test_a_served_build_folder_that_vanished_answers_503_not_500(client, index_dir):
    import shutil

    from kbsearch.index import layout

    assert client.get("/").status_code == 200
    shutil.rmtree(layout.current_build(index_dir))
    for path in ("/", "/api/search?q=password", "/articles/locked-account", "/cases/new"):
        response = client.get(path)
        assert response.status_code == 503, path


def test_hidden_articles_are_not_found(client):
    for article_id in ("draft-refunds", "archived-invoices", "internal-unlock", "no-such-article"):
        assert client.get(f"/articles/{article_id}").status_code == 404
    for marker in ("zorblatt", "quendrix", "frobnitz"):
        assert client.get(f"/api/search?q={marker}").get_json()["results"] == []
        page = client.get(f"/?q={marker}").get_data(as_text=True)
        assert "0 results" in page and "/articles/" not in page


def test_search_page_and_article_page_render(client):
    page = client.get("/?q=locked+account").get_data(as_text=True)
    assert "/search/click?s=1&amp;r=1&amp;a=locked-account" in page and "<mark" in page
    article = client.get("/articles/locked-account").get_data(as_text=True)
    assert "SH-AUTH-103" in article


def test_a_server_refuses_to_start_with_an_unknown_audience_naming_the_setting(monkeypatch):
    import pytest
    from click.testing import CliRunner

    from kbsearch.commands import main
    from kbsearch.web import ConfigError

    with pytest.raises(ConfigError, match="KBSEARCH_AUDIENCE is 'custmer'; it must be one of: public"):
        create_app({"AUDIENCE": "custmer"})
    monkeypatch.setenv("KBSEARCH_AUDIENCE", "custmer")
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 1 and "Error: KBSEARCH_AUDIENCE is 'custmer'" in result.output
    assert "Traceback" not in result.output
