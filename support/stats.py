"""Figures the tests and benchmarks compute the same way: percentiles and word errors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from rapidfuzz.distance import Levenshtein

from voiceshop.language import Normalizer, load_language


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


def spoken_words(text: str, normalizer: Normalizer) -> list[str]:
    """The words of `text` as word errors count them: in the language's normal form, with each
    number, said or written, as its digits, and numbers said one after another as one string of
    digits ("1234", "one two three four", "twelve thirty-four" and "one thousand two hundred
    thirty four" are all "1234")."""
    tokens = normalizer.normalize(text).split()
    words: list[str] = []
    digits = ""
    index = 0
    while index < len(tokens):
        number = normalizer.numbers.parse_number(tokens, index)
        if number is None:
            words.extend(filter(None, [digits, tokens[index]]))
            digits = ""
            index += 1
        else:
            digits += str(number[0])
            index += number[1]
    return words + ([digits] if digits else [])


def words(text: str, language: str = "en") -> list[str]:
    """The words of `text` in `language` as word errors count them (`spoken_words`)."""
    return spoken_words(text, _normalizer(language))


@cache
def _normalizer(language: str) -> Normalizer:
    return Normalizer(load_language(language))
