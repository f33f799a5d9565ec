"""Opening a build folder for reading: by a server on each new build, and by ``kbsearch evaluate``.

Everything a request needs is loaded once per build into one ``Build``; a server caches it
until ``index/CURRENT`` names another build. No Flask here: the web layer decides when to
open, this module only how.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbsearch.corpus.synonyms import Synonyms
from kbsearch.index import fulltext, layout, matching
from kbsearch.index.textstore import TextStore
from kbsearch.ranking import spelling
from kbsearch.ranking.learned import Learned
from kbsearch.ranking.model import ModelMismatch, TfidfRanker
from kbsearch.ranking.served import Matched


class IndexNotBuilt(Exception):
    """No usable build: the message tells the operator what to run.

    ``public`` is what a client may read: the same advice without the server's paths.
    """

    def __init__(self, message: str, public: str):
        super().__init__(message)
        self.public = public


@dataclass(frozen=True)
class Build:
    id: str
    path: Path
    manifest: dict[str, Any]
    index: fulltext.FullText  # stateless, shared; searchers are opened per call
    ranker: TfidfRanker
    details: dict[str, dict[str, Any]]  # id -> title, type, category, subcategory, summary, updated
    vocabulary: dict[str, int]  # word -> number of articles using it, for "did you mean"
    texts: TextStore  # plain text by ranker row, for snippets
    pages: TextStore | None = None  # each article page's body, sanitised HTML, by ranker row (None: not opened)
    synonyms: Synonyms = field(default_factory=Synonyms)  # the articles' synonyms.yml, as the reindex parsed it
    learned: Learned | None = None  # what solved cases taught this build (never shown; None: nothing)
    matcher: matching.Matcher | None = None  # what the search page asks Whoosh (``load`` makes it)

    def match(self, q: str) -> Matched | None:
        """The articles the search-page query ``q`` matches (``Served.match``)."""
        return self.matcher.match(q)


def open_current(index_dir: Path, build_id: str | None, audience: str) -> Build:
    """Open build ``build_id`` of ``index_dir`` for a server of ``audience``.

    :raise IndexNotBuilt: there is none, or it was made for another audience or library versions.
    """
    hint = "run `kbsearch reindex`"
    path = layout.builds_dir(index_dir) / build_id if build_id else None
    if path is None or not (path / layout.MANIFEST).exists():
        raise IndexNotBuilt(f"no index has been built in {index_dir}: {hint}", f"no index has been built: {hint}")
    manifest = layout.read_manifest(path)
    if manifest.get("audience") != audience:
        advice = f"{hint} with KBSEARCH_AUDIENCE={audience}"
        raise IndexNotBuilt(f"the index in {index_dir} was built for audience {manifest.get('audience')!r} "
                            f"but this server serves {audience!r}: {advice}",
                            f"the index was built for another audience: {advice}")
    try:
        return load(path)
    except ModelMismatch as exc:
        raise IndexNotBuilt(f"the index in {index_dir} was made in another format ({exc}): {hint}",
                            f"the index was made in another format: {hint}") from exc
    except (fulltext.index.EmptyIndexError, FileNotFoundError, NotADirectoryError) as exc:
        raise IndexNotBuilt(f"the index in {index_dir} is incomplete ({exc}): {hint}",
                            f"the index is incomplete: {hint}") from exc


def load(path: Path) -> Build:
    """Open one build folder.

    :raise ModelMismatch, EmptyIndexError, FileNotFoundError: the build is unusable.
    """
    manifest = layout.read_manifest(path)
    ranker = TfidfRanker.load(path / layout.MODEL)
    ix = fulltext.open_index(path / layout.FULL_TEXT)
    if "text" not in ix.schema:  # written before the search page matched on Whoosh: no phrases, no `text`
        raise ModelMismatch("its full-text index has no `text` field")
    details = json.loads((path / layout.CATALOG).read_text(encoding="utf-8"))
    vocabulary = spelling.load(path / layout.VOCABULARY)
    spelling.deletion_index(vocabulary)  # made now, not by the first request that mistypes (~0.5 s at 16k words)
    synonyms_file = path / layout.SYNONYMS  # a build made before synonyms has none
    synonyms = Synonyms.from_data(json.loads(synonyms_file.read_text(encoding="utf-8"))) \
        if synonyms_file.exists() else Synonyms()
    learned = Learned.load(path / layout.LEARNED)
    return Build(path.name, path, manifest, ix, ranker, details, vocabulary, TextStore(path), TextStore(path, "html"),
                 synonyms, learned.bind(ranker.positions_) if learned is not None else None,
                 matching.Matcher(ix, ranker, synonyms))
