"""Figures the tests and benchmarks compute the same way: percentiles and word errors."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein


def percentile(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank `percent` percentile (0-100) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * percent / 100)) - 1]


def word_errors(said: Sequence[str], heard: Sequence[str]) -> int:
    """Words substituted, dropped or added between what was said and what was heard."""
    return Levenshtein.distance(list(said), list(heard))


def word_error_rate(said: Sequence[str], heard: Sequence[str]) -> float:
    """`word_errors` per word said (0 when nothing was said)."""
    return word_errors(said, heard) / max(1, len(said))
