"""What ranking needs from an opened build, so that ranking never imports ``kbsearch.index``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from kbsearch.corpus.synonyms import Synonyms
from kbsearch.ranking.learned import Learned
from kbsearch.ranking.model import TfidfRanker


class Texts(Protocol):
    def get(self, row: int) -> str:
        """The plain text of the article in model row ``row``."""
        ...


@dataclass(frozen=True)
class Matched:
    """The articles a search-page query matches (``Served.match``)."""

    rows: np.ndarray  # model rows, ascending
    mode: str  # "all": every word matched; "any": no article had them all, these have some
    stems: list[str]  # the words searched for (stems, error codes), prohibited ones left out
    prefixes: list[str]  # the beginnings of words a "prefix*" searched for
    also: np.ndarray  # "all" but fewer than a page: rows with some of the words only, offered below


class Served(Protocol):
    """A build as the search page and the panel read it (``kbsearch.index.opened.Build``)."""

    @property
    def ranker(self) -> TfidfRanker: ...

    @property
    def details(self) -> Mapping[str, Mapping[str, Any]]: ...  # id -> title, type, category, ...

    @property
    def vocabulary(self) -> Mapping[str, int]: ...  # word -> articles using it, for "did you mean"

    @property
    def texts(self) -> Texts: ...

    @property
    def synonyms(self) -> Synonyms: ...  # the build's synonyms.yml, parsed (empty without one)

    @property
    def learned(self) -> Learned | None: ...  # what solved cases taught the build (None: nothing)

    def match(self, q: str) -> Matched | None:
        """The articles the search-page query ``q`` matches; None when it searches for nothing."""
        ...
