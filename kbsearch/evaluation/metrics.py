"""Ranking metrics at a cut-off, as ../shared/benchmarks/README.md defines them (trec_eval's).

``ranked`` is an engine's answer, best first (repeats after the first are ignored);
``judged`` maps article id to relevance (0 = not relevant; unjudged counts as 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

K = 10


def top(ranked: Sequence[str], k: int = K) -> list[str]:
    """The first ``k`` distinct ids."""
    return list(dict.fromkeys(ranked))[:k]


def reciprocal_rank(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> float:
    for rank, article in enumerate(top(ranked, k), start=1):
        if judged.get(article, 0) > 0:
            return 1.0 / rank
    return 0.0


def recall(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> float:
    relevant = sum(1 for r in judged.values() if r > 0)
    if relevant == 0:
        return 0.0
    return sum(1 for article in top(ranked, k) if judged.get(article, 0) > 0) / relevant


def ndcg(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> float:
    """Linear gain: rel / log2(rank + 1), over the ideal order's sum."""
    dcg = sum(judged.get(a, 0) / math.log2(i + 1) for i, a in enumerate(top(ranked, k), start=1))
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 1) for i, r in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation, as numpy's default."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
