"""The synonyms the team curates: ``synonyms.yml`` at the root of the articles folder.

A list whose items are either a group of equivalent terms (``- [log in, sign in, login]``: each
finds the others) or a one-way expansion (``- sso => saml``: "sso" also finds "saml", not the
reverse; either side may list several terms, comma-separated). A term may be several words; it
counts as one term: it is found only as those words in a row.

The reindex validates the file and stores it parsed in the build (``to_data``), so a server reads
JSON, never YAML. At query time ``expand`` lists the stems a text gains; the callers weigh them
below the customer's own words and never display them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbsearch.corpus import text as analysis
from kbsearch.corpus import yamlfile

SYNONYMS_FILE = "synonyms.yml"
FORMAT = 1
_SHAPE = "expected a list of groups ([a, b, c]) and one-way expansions (a => b)"


class SynonymsError(Exception):
    """``synonyms.yml`` cannot be used; one ``path:line: message`` per problem, all of them."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Term:
    text: str  # as the file writes it
    match: tuple[str, ...]  # the stems of all its words, stop words included: what a text must contain in a row
    stems: tuple[str, ...]  # its searchable stems (``text.analyze``): what it adds to a text


@dataclass(frozen=True)
class Rule:
    """``finds`` are added to a text containing any term of ``terms`` (a group: every term, both ways)."""

    terms: tuple[Term, ...]
    finds: tuple[Term, ...] | None = None  # None: a group, where each term finds the others


@dataclass
class Synonyms:
    rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        # first stem of a term -> (its stems in a row, the terms it finds): a text is read once
        self._by_first: dict[str, list[tuple[tuple[str, ...], tuple[Term, ...]]]] = {}
        self._own: dict[tuple[str, ...], tuple[str, ...]] = {}  # a term's stems in a row -> its searchable stems
        for rule in self.rules:
            for term in rule.terms:
                finds = rule.finds if rule.finds is not None else tuple(t for t in rule.terms if t is not term)
                self._by_first.setdefault(term.match[0], []).append((term.match, finds))
                self._own[term.match] = term.stems

    def __bool__(self) -> bool:
        return bool(self.rules)

    def expand(self, text: str, own: Iterable[str] = ()) -> dict[str, int]:
        """The stems ``text`` gains from its terms (``own`` stems left out), each with the number of
        the term of ``text`` that brought it: stems of one number name one thing, weighed together."""
        stems = analysis.phrase_stems(text)
        skip, added = set(own), {}
        for i, first in enumerate(stems):
            for number, (match, finds) in enumerate(self._by_first.get(first, ())):
                if tuple(stems[i:i + len(match)]) == match:
                    for term in finds:
                        for stem in term.stems:
                            if stem not in skip:
                                added.setdefault(stem, i * 1000 + number)
        return added

    def occurrences(self, text: str) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
        """Each term found in ``text``, as its searchable stems, with the searchable stems of each
        term it finds: what the search page matches as one or the other. A longer term found at
        the same place wins ("forgot password" over "password")."""
        stems = analysis.phrase_stems(text)
        found, i = [], 0
        while i < len(stems):
            here = [(match, finds) for match, finds in self._by_first.get(stems[i], ())
                    if tuple(stems[i:i + len(match)]) == match and self._own[match]]
            if not here:
                i += 1
                continue
            longest = max(len(match) for match, _ in here)
            match = next(match for match, _ in here if len(match) == longest)
            alternatives = {t.stems: None for m, finds in here if m == match for t in finds if t.stems}
            found.append((self._own[match], list(alternatives)))
            i += longest
        return found

    def to_data(self) -> dict[str, Any]:
        """Plain data for the build's ``synonyms.json``."""
        def terms(ts):
            return [[t.text, list(t.match), list(t.stems)] for t in ts]
        return {"format": FORMAT, "rules": [{"terms": terms(r.terms), "finds": None if r.finds is None else
                                             terms(r.finds)} for r in self.rules]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Synonyms:
        """Read what ``to_data`` wrote (an unknown format reads as no synonyms: the next reindex rewrites it)."""
        if data.get("format") != FORMAT:
            return cls()

        def terms(ts):
            return tuple(Term(t[0], tuple(t[1]), tuple(t[2])) for t in ts)
        return cls([Rule(terms(r["terms"]), None if r["finds"] is None else terms(r["finds"])) for r in data["rules"]])


def load_synonyms(articles_dir: Path) -> Synonyms:
    """Read and validate ``synonyms.yml``; no synonyms when the folder has none.

    :raise SynonymsError: every problem of the file, each as ``path:line: message``.
    """
    path = Path(articles_dir) / SYNONYMS_FILE
    if not path.exists():
        return Synonyms()
    source = path.read_text(encoding="utf-8-sig")
    try:
        data = yamlfile.load(source)
    except yamlfile.YamlError as exc:
        raise SynonymsError([f"{path}:{exc.line}: invalid YAML: {exc.reason}"]) from exc
    if data is None:
        return Synonyms()
    if not isinstance(data, list):
        raise SynonymsError([f"{path}:1: {_SHAPE}"])
    rules, problems = [], []
    for line, item in zip(yamlfile.item_lines(source), data):
        try:
            rules.append(_rule(item))
        except ValueError as exc:
            problems.append(f"{path}:{line}: {exc}")
    if problems:
        raise SynonymsError(problems)
    return Synonyms(rules)


def _rule(item: Any) -> Rule:
    if isinstance(item, list):
        terms = _terms(item)
        if len({t.match for t in terms}) < 2:
            raise ValueError(f"a group needs at least two different terms, not {item!r}")
        return Rule(terms)
    if isinstance(item, str):
        sides = item.split("=>")
        if len(sides) != 2:
            raise ValueError(f"{item!r}: a line that is not a group must be one expansion, 'term => term'")
        left, right = (_terms(side.split(",")) for side in sides)
        return Rule(left, right)
    raise ValueError(f"{_SHAPE}, not {type(item).__name__} {item!r}")


def _terms(values: list[Any]) -> tuple[Term, ...]:
    terms = []
    for value in values:
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            hint = " (YAML reads yes/no/on/off as true/false: quote it)" if isinstance(value, bool) else ""
            raise ValueError(f"empty or invalid term {value!r}{hint}" if value is not None else "empty term")
        written = " ".join(str(value).split())
        if not written:
            raise ValueError("empty term")
        if "=>" in written:
            raise ValueError(f"{written!r}: an expansion is a line of its own, not a term of a group")
        stems = tuple(analysis.analyze(written))
        if not stems:
            raise ValueError(f"term {written!r} has no searchable word (only stop words or single letters)")
        terms.append(Term(written, tuple(analysis.phrase_stems(written)), stems))
    return tuple(terms)
