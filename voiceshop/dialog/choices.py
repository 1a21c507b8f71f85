"""Telling offered choices apart by the words that differ between them ("the brown ones")."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

SAME_WORD_SCORE = 85.0
"""How closely (0..100) a said word must spell a name's word to count as that word."""


def told_apart(said: Sequence[str], names: Sequence[Sequence[str]]) -> list[int]:
    """The positions of the names that the said words point to by what sets them apart.

    Each name's telling words are those not every name has ("brown" among "large white eggs",
    "large brown eggs", "organic brown eggs"). The names whose telling words the shopper said
    most of are returned: one when the answer decides, several when it narrows the choice, none
    when it says no telling word, or mostly words no name has (then it is about something
    else: "two lemons and three limes" says "three" but does not answer "93% or 80% lean
    ground beef?"; "the real maple one" still answers "Pure Maple Syrup or Pancake Syrup?").
    Words are compared as the matcher's content words.
    """
    known = sum(1 for word in said if any(_same(word, w) for name in names for w in name))
    if known * 2 < len(said):
        return []
    shared = set.intersection(*(set(name) for name in names)) if names else set()
    counts = [_said_count(said, [w for w in name if w not in shared]) for name in names]
    best = max(counts, default=0)
    if best == 0:
        return []
    return [index for index, count in enumerate(counts) if count == best]


def _said_count(said: Sequence[str], telling: Sequence[str]) -> int:
    return sum(1 for word in telling if any(_same(word, s) for s in said))


def _same(a: str, b: str) -> bool:
    return a == b or fuzz.ratio(a, b) >= SAME_WORD_SCORE
