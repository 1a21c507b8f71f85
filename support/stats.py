"""Figures the tests and benchmarks compute the same way: percentiles and word errors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from rapidfuzz.distance import Levenshtein

from voiceshop.language import load_language
from voiceshop.language.normalize import Normalizer


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
    if isinstance(said, str) or isinstance(heard, str):
        raise TypeError("word_error_rate compares lists of words: split texts with `words`")
    return word_errors(said, heard) / max(1, len(said))


def words(text: str, language: str = "en") -> list[str]:
    """The words of `text` in voiceshop's normal form (lowercase, no punctuation, digits
    spoken: "Yes, please." -> yes please, "1-2-3-4" -> one two three four)."""
    return _normalizer(language).tokens(text)


@cache
def _normalizer(language: str) -> Normalizer:
    return Normalizer(load_language(language))
