"""Incremental reindex from the cache's rows: every file served equals a full build's, and the cache is data."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write

from kbsearch.corpus import loader
from kbsearch.corpus.loader import load_folder, scan_signatures
from kbsearch.corpus.taxonomy import load_taxonomy
from kbsearch.index import assemble, cache, layout, opened, textstore
from kbsearch.index.reindex import build
from kbsearch.index.rowread import Store, runs


def add_bulk(kb: Path, count: int = 30) -> None:
    """Enough articles that a few changes patch the full-text index rather than rewrite it."""
    for n in range(count):
        write(kb, f"bulk/note-{n:02}.md", f"# Note {n} on invoices\n\nInvoice note {n} about password resets.\n")


def age(folder: Path) -> None:
    past = time.time() - 3600
    for path in folder.rglob("*.md"):
        os.utime(path, (past, past))


def served_files(index_dir: Path) -> dict:
    """Everything a server reads of a build, as values: model arrays and words, catalog, texts, vocabulary."""
    build_dir = layout.current_build(index_dir)
    with np.load(build_dir / "model.npz", allow_pickle=False) as arrays:
        model = {name: arrays[name].tolist() for name in arrays.files}
    served = opened.load(build_dir)
    return {"model": model, "model.json": (build_dir / "model.json").read_bytes(),
            "catalog": (build_dir / layout.CATALOG).read_bytes(),
            "vocabulary": (build_dir / layout.VOCABULARY).read_bytes(),
            "texts": [served.texts.get(row) for row in range(len(served.ranker))]}


def edit(kb: Path, name: str, old: str, new: str) -> None:
    (kb / name).write_text((kb / name).read_text().replace(old, new))


def test_an_incremental_build_serves_byte_for_byte_what_a_full_build_serves(kb, index_dir, tmp_path):
    add_bulk(kb)
    build(kb, index_dir)
    edit(kb, "bulk/note-03.md", "password resets", "zyxquux brandnewword resets")  # new terms and words
    (kb / "bulk/note-07.md").unlink()
    write(kb, "bulk/note-99.md", "---\ncategory: billing\ntags: [fresh]\n---\n# Fresh note\n\nA fresh invoice.\n")
    edit(kb, "draft-refunds.md", "status: draft", "status: published")
    report = build(kb, index_dir, incremental=True)
    assert report.incremental and report.parsed == 3
    full = build(kb, tmp_path / "full")
    assert served_files(index_dir) == served_files(tmp_path / "full")
    assert (report.counts, report.indexed, report.files) == (full.counts, full.indexed, full.files)


def test_a_new_earlier_file_taking_a_served_id_and_leaving_it_again(kb, index_dir, tmp_path):
    add_bulk(kb)
    build(kb, index_dir)
    write(kb, "aaa-first.md", "---\nid: locked-account\ncategory: access\n---\n# Earlier copy\n\nTakes the id.\n")
    report = build(kb, index_dir, incremental=True)
    assert report.incremental and [str(p) for p in report.problems] == [
        "locked-account.md:2: duplicate id 'locked-account': already used by aaa-first.md"]
    build(kb, tmp_path / "full-1")
    assert served_files(index_dir) == served_files(tmp_path / "full-1")
    (kb / "aaa-first.md").unlink()
    report = build(kb, index_dir, incremental=True)
    assert report.incremental and not report.problems
    build(kb, tmp_path / "full-2")
    assert served_files(index_dir) == served_files(tmp_path / "full-2")


def test_rejected_and_duplicate_files_are_parsed_and_reported_by_every_build(kb, index_dir):
    add_bulk(kb)
    age(kb)
    write(kb, "zz-broken.md", "---\nstatus: nope\n---\n# Broken\n\nText\n")
    write(kb, "zz-copy.md", "---\nid: sso-setup\n---\n# A copy\n\nText\n")
    age(kb)
    first = build(kb, index_dir)
    read = []
    real_read = loader._read
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "_read", lambda path: read.append(Path(path).name) or real_read(path))
        again = build(kb, index_dir, incremental=True)
    assert again.incremental and again.parsed == 2 and sorted(read) == ["zz-broken.md", "zz-copy.md"]
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    assert {p.path for p in first.problems} == {"zz-broken.md", "zz-copy.md"}


def test_hidden_articles_are_in_the_cache_only_as_digests(kb, index_dir):
    add_bulk(kb)
    build(kb, index_dir)
    edit(kb, "internal-unlock.md", "frobnitz", "frobnitz again")  # a hidden file parsed by an incremental build
    write(kb, "zz-hidden.md", "---\nstatus: draft\n---\n# Secret zorblatt plan\n\nZorblatt.\n")
    assert build(kb, index_dir, incremental=True).incremental
    for path in layout.current_build(index_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            assert not [h for h in (b"zorblatt", b"frobnitz", b"internal-unlock", b"zz-hidden", b"draft-refunds")
                        if h in data], path


def test_the_cache_is_data_not_a_pickle(kb, index_dir):
    add_bulk(kb)
    first = build(kb, index_dir)
    folder = layout.current_build(index_dir)
    assert json.loads((folder / "cache.json").read_text())["format"] == cache.FORMAT
    with np.load(folder / "cache.npz", allow_pickle=False) as arrays:  # an object array would fail
        assert {"signatures", "digests", "segments"} <= set(arrays.files)
    assert not list(folder.rglob("*.pickle"))  # no file of a build is a pickle kbsearch wrote
    edit(kb, "bulk/note-01.md", "Invoice", "Billing")
    report = build(kb, index_dir, incremental=True)
    assert report.incremental and report.parsed == 1 and report.build_id != first.build_id
    assert not list(layout.current_build(index_dir).rglob("*.pickle"))


def test_segments_are_merged_then_compacted_and_still_serve_what_a_full_build_serves(kb, index_dir, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setattr(assemble, "MAX_SEGMENTS", 2)
    monkeypatch.setattr(assemble, "MAX_UNUSED", 0.1)
    add_bulk(kb, 40)
    build(kb, index_dir)
    for n in range(6):
        edit(kb, f"bulk/note-{n:02}.md", "password", f"passcode{n}")
        assert build(kb, index_dir, incremental=True).incremental
        build(kb, tmp_path / f"full-{n}")
        assert served_files(index_dir) == served_files(tmp_path / f"full-{n}")
        state = cache.load(layout.current_build(index_dir), json.loads(
            (layout.current_build(index_dir) / "cache.json").read_text())["fingerprint"])
        assert len(state.stored) <= 2 and sum(state.stored.values()) - len(state.served) <= 0.1 * len(state.served)
    assert state.next_segment > 2  # segments were written again along the way


def test_rows_give_back_the_articles_and_analyses_the_loader_gave(kb, index_dir):
    add_bulk(kb, 3)
    build(kb, index_dir)
    folder = layout.current_build(index_dir)
    state = cache.load(folder, json.loads((folder / "cache.json").read_text())["fingerprint"])
    loaded = load_folder(kb, load_taxonomy(kb))
    served = {a.id: (a, w) for a, w in zip(loaded.articles, loaded.words)}
    rows = assemble.served_articles(folder, state)
    assert [(a, w) for a, w in rows] == [served[a.id] for a, _ in rows]
    store = Store(folder)
    assert store.joined(runs(state.segments[state.served], state.rows[state.served]), "texts").decode() == "".join(
        a.text for a, _ in rows)


def test_a_build_made_before_text_segments_still_reads_its_texts(tmp_path):
    texts = ["first text", "", "third — text"]
    offsets = np.cumsum([0] + [len(t.encode()) for t in texts])
    (tmp_path / layout.TEXTS).write_bytes("".join(texts).encode())
    np.save(tmp_path / layout.TEXT_OFFSETS, offsets)
    assert [textstore.TextStore(tmp_path).get(i) for i in range(3)] == texts
    new = tmp_path / "new"
    new.mkdir()
    textstore.write(new, texts)
    assert [textstore.TextStore(new).get(i) for i in range(3)] == texts


def test_the_scan_orders_files_folder_by_folder_and_stats_each_once(tmp_path):
    for rel in ("a.b/c.md", "a/b.md", "a-b/x.md", "a/includes/i.md", "a/README.md", "a/b/z.md", "top.md"):
        write(tmp_path, rel, "# T\n\nText\n")
    files, skipped, signatures = scan_signatures(tmp_path)
    assert files == sorted(files, key=lambda rel: rel.split("/")) == [
        "a/b/z.md", "a/b.md", "a-b/x.md", "a.b/c.md", "top.md"]
    assert [s.path for s in skipped] == ["a/README.md", "a/includes/i.md"]
    assert signatures[1][3] == os.stat(tmp_path / "a/b.md").st_ino


def test_a_full_text_index_written_whole_from_the_rows_equals_a_full_builds(kb, index_dir, tmp_path):
    """Once deletions would pile up, the full-text index is written from the cached rows: no file is read again."""
    from test_build import full_text

    build(kb, index_dir)
    edit(kb, "expired-password.md", "cannot be reused", "must differ from the last five")
    edit(kb, "locked-account.md", "30 minutes", "an hour")
    report = build(kb, index_dir, incremental=True)
    assert report.incremental and report.parsed == 2
    build(kb, tmp_path / "full", workers=1)
    words = ["lock", "password", "invoic", "hour", "sso"]
    assert full_text(index_dir, words) == full_text(tmp_path / "full", words)
    assert served_files(index_dir) == served_files(tmp_path / "full")


def test_a_catalog_an_edit_leaves_unchanged_is_linked_from_the_previous_build(kb, index_dir):
    add_bulk(kb)
    first = layout.builds_dir(index_dir) / build(kb, index_dir).build_id
    edit(kb, "bulk/note-02.md", "password resets.", "password resets.\n\nA second paragraph.")
    second = layout.builds_dir(index_dir) / build(kb, index_dir, incremental=True).build_id
    assert (second / layout.CATALOG).stat().st_ino == (first / layout.CATALOG).stat().st_ino
    edit(kb, "bulk/note-02.md", "# Note 2", "# Note two")
    third = layout.builds_dir(index_dir) / build(kb, index_dir, incremental=True).build_id
    assert (third / layout.CATALOG).read_bytes() != (second / layout.CATALOG).read_bytes()


def test_the_served_articles_come_back_from_any_build_without_a_pickle(kb, index_dir):
    """What ``kbsearch evaluate --peers`` needs of a build, incremental ones included."""
    add_bulk(kb, 3)
    build(kb, index_dir)
    edit(kb, "bulk/note-01.md", "Invoice", "Billing")
    build(kb, index_dir, incremental=True)
    served = opened.load(layout.current_build(index_dir))
    articles = [a for a, _ in assemble.served_articles(served.path)]
    assert [a.id for a in articles] == [served.ranker.article_id(row) for row in range(len(served.ranker))]
    assert "Billing note 1" in articles[[a.id for a in articles].index("bulk--note-01")].text
