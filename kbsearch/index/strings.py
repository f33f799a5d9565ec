"""A table of strings (the model's terms, the spelling words) that rows of several builds share.

Rows keep numbers, not strings: a number is a string's position in the table, so a word stays
the same number from one build to the next and rows written by an older build stay valid.
New strings are appended; ``order`` keeps the table's numbers in string order, because the
model's terms and the vocabulary file are sorted, and sorting the whole table again on each
incremental build would cost what the table holds rather than what changed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Strings:
    items: list[str] = field(default_factory=list)  # by number
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # numbers in string order

    def __len__(self) -> int:
        return len(self.items)

    def ids(self, strings: Sequence[str]) -> np.ndarray:
        """The numbers of ``strings`` (sorted, distinct), appending those the table lacks."""
        if not self.items:  # a full build: every string is new, and already in order
            self.items = list(strings)
            self.order = np.arange(len(self.items), dtype=np.int64)
            return self.order.copy()
        ranked = [self.items[i] for i in self.order.tolist()]
        out = np.empty(len(strings), dtype=np.int64)
        positions, added = [], []
        for j, string in enumerate(strings):
            at = bisect_left(ranked, string)
            if at < len(ranked) and ranked[at] == string:
                out[j] = self.order[at]
            else:
                out[j] = len(self.items)
                self.items.append(string)
                positions.append(at)
                added.append(out[j])
        if added:  # inserted in the order given, which is string order, before the next larger string
            self.order = np.insert(self.order, positions, added)
        return out

    def compacted(self, used: np.ndarray) -> tuple[Strings, np.ndarray]:
        """A table of the strings ``used`` marks (one flag per number), renumbered in string order,
        and the new number of each old one (-1 if dropped)."""
        kept = self.order[used[self.order]]
        renumber = np.full(len(self.items), -1, dtype=np.int64)
        renumber[kept] = np.arange(len(kept))
        return Strings([self.items[i] for i in kept.tolist()], np.arange(len(kept), dtype=np.int64)), renumber
