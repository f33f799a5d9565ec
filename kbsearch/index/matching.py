"""Which articles a search-page query matches: the query language, answered by the full-text index.

All words by default; when no article has them all, any of them, and the answer says so; when
fewer than a page have them all, those with some are offered below them. ``"phrases"``,
``title:`` and ``category:``, ``-word`` and ``prefix*`` come from Whoosh's parser
(``fulltext.find``), synonyms.yml's terms match as one term; anything the parser cannot take is
searched as plain words, so no input fails. Matches come back as model rows, so the ranking and
facets stay on the matrices.
"""

from __future__ import annotations

import re

import numpy as np

from kbsearch.corpus import text
from kbsearch.corpus.synonyms import Synonyms
from kbsearch.index import documents, fulltext
from kbsearch.ranking.model import TfidfRanker
from kbsearch.ranking.served import Matched

MAX_QUERY_WORDS = 12  # a pasted essay is cut to its first words: never one long OR query
MAX_QUERY_CHARS = 400
FIELDS = {"title", "category"}  # what a customer may name; other "x:" are words
TEXT_FIELDS = {"title", "text"}
FILL = 10  # fewer articles than a page have all the words: those with some are offered below them
EMPTY = np.zeros(0, dtype=np.int64)
_FIELD = re.compile(r"(\w+):")
_WILD = re.compile(r"\S*[*?]\S*")
_PREFIX = re.compile(r"[-+]?(?:\w+:)?\w{2,}\*")  # the only wildcard: a trailing "*" after two letters
_MINUS = re.compile(r"(?:^|(?<=\s))-(\S+)")
_SYNTAX = re.compile(r"[^\w\s-]|(?<!\w)-|-(?!\w)")


def clean(q: str) -> str:
    """``q`` cut to its first words, with field names it may not use and stray wildcards made words."""
    q = " ".join(q[:MAX_QUERY_CHARS].split()[:MAX_QUERY_WORDS])
    q = _FIELD.sub(lambda m: f"{m.group(1).lower()}:" if m.group(1).lower() in FIELDS else f"{m.group(1)} ", q)
    q = re.sub(r":(?=\s|$)", " ", q)  # "title:" with nothing after it
    q = re.sub(r"category:\S+", lambda m: m.group().lower(), q)  # category ids are lower case
    if q.count('"') % 2:  # an unbalanced quote is not a phrase
        q = q.replace('"', " ")
    return _WILD.sub(lambda m: m.group() if _PREFIX.fullmatch(m.group()) else m.group().replace("*", " ")
                     .replace("?", " "), q).strip()


def plain(q: str) -> str:
    """``q`` with every piece of syntax made a space: its words (and error codes) only."""
    return " ".join(_SYNTAX.sub(" ", q).split())


class Matcher:
    """Answers queries on one build: its full-text index, synonyms and the model rows of its documents."""

    def __init__(self, ix: fulltext.FullText, ranker: TfidfRanker, synonyms: Synonyms | None = None):
        self.ix, self.synonyms = ix, synonyms or Synonyms()
        by_id = documents.documents_by_id(ix)
        self.rows_ = np.full(max(by_id.values(), default=-1) + 1, -1, dtype=np.int64)
        for article_id, docnum in by_id.items():
            self.rows_[docnum] = ranker.positions_.get(article_id, -1)
        self.size = len(ranker)

    def match(self, q: str) -> Matched | None:
        """The model rows ``q`` matches, whether all its words or any, and the words it searched;
        None when ``q`` searches for nothing (no words, or stop words only)."""
        tidy = clean(q)
        for cleaned in dict.fromkeys((tidy, plain(tidy))):
            postings: fulltext.Postings = {}
            try:
                found = fulltext.find(self.ix, cleaned, False, self.synonyms, postings)
                rows, also, mode = self._rows(found.docs), EMPTY, "all"
                if len(rows) < FILL and len({word for _, word in found.searched}) > 1:
                    anyword = self._rows(fulltext.find(self.ix, cleaned, True, self.synonyms, postings).docs)
                    rows, also, mode = (anyword, EMPTY, "any") if not len(rows) else \
                        (rows, np.setdiff1d(anyword, rows, assume_unique=True), "all")
            except Exception:  # noqa: BLE001, S112 - Whoosh's parser and matchers raise many kinds: try plain words
                continue
            if not found.searched and not found.docs.any():  # stop words only, or nothing to search
                return None
            negative = {stem for word in _MINUS.findall(cleaned) for stem in text.analyze(word)}
            negative.update(unit for word in _MINUS.findall(cleaned) for unit, _, _ in text.code_units(word))
            stems = [word for field, word in found.searched if field in TEXT_FIELDS and word not in negative]
            return Matched(rows, mode, list(dict.fromkeys(stems)), _prefixes(cleaned), also)
        return None

    def _rows(self, docs: np.ndarray) -> np.ndarray:
        """The model rows of the documents in the mask ``docs``, ascending (deleted ones have none)."""
        rows = self.rows_[np.flatnonzero(docs[:len(self.rows_)])]
        shown = np.zeros(self.size, dtype=bool)
        shown[rows[rows >= 0]] = True
        return np.flatnonzero(shown)


def _prefixes(q: str) -> list[str]:
    """The beginnings of words before a trailing ``*``: matched words to mark in snippets."""
    return [p.lower().lstrip("+").split(":")[-1].rstrip("*") for p in _PREFIX.findall(q) if not p.startswith("-")]
