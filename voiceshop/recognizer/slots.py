"""Where a transcript misheard one of the store's phrases: the grammar's side of rescoring.

A store's vocabulary groups phrases that fill the same place in an order (`Vocabulary.slots`:
the sizes, the milks, the drinks...). A recognizer that heard "a dull shot" or "with home milk"
wrote a phrase of such a group with one word misheard: every other word is right, and the odd
one is a word the store never uses that sounds like the word the phrase has there. Those
stretches are found here; the engine then lets the audio choose among the group's phrases of the
same length (`whisper_rescoring`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import jellyfish
from rapidfuzz import fuzz

from voiceshop.recognizer.base import Vocabulary

SOUNDS_ALIKE = 0.4
"""How alike (0..1, by spelling or by Metaphone key) a misheard word must be to the word of the
phrase it stands for: "dull" / "double" 0.8, "home" / "whole" 0.67, "full" / "whole" 0.5, but
"or" / "shots" 0.29."""

_WORD = re.compile(r"[A-Za-z0-9']+")


@dataclass(frozen=True)
class MisheardSlot:
    """text[start:end] stands for one of `choices`, all phrases of the same group and length."""

    start: int
    end: int
    choices: tuple[str, ...]


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int


def misheard_slots(text: str, vocabulary: Vocabulary) -> list[MisheardSlot]:
    """Non-overlapping stretches of `text`, left to right, that are a slot phrase of two or more
    words with exactly one word misheard (longer phrases first where they overlap)."""
    words = [
        _Word(m.group().lower().replace("'", ""), m.start(), m.end()) for m in _WORD.finditer(text)
    ]
    found: list[tuple[int, int, tuple[str, ...]]] = []
    for group in vocabulary.slots:
        for length in sorted({len(p.split()) for p in group if len(p.split()) > 1}, reverse=True):
            choices = tuple(p for p in group if len(p.split()) == length)
            found += [
                (start, length, choices)
                for start in range(len(words) - length + 1)
                if _misheard(words[start : start + length], choices, vocabulary.words)
            ]
    return _leftmost_longest(words, found)


def _misheard(said: Sequence[_Word], choices: tuple[str, ...], known: frozenset[str]) -> bool:
    return any(_one_word_misheard([w.text for w in said], c.split(), known) for c in choices)


def _one_word_misheard(said: list[str], phrase: list[str], known: frozenset[str]) -> bool:
    """All words equal but one, which the store never uses and which sounds like the phrase's."""
    different = [n for n, (s, p) in enumerate(zip(said, phrase, strict=True)) if s != p]
    if len(different) != 1:
        return False
    odd = different[0]
    return said[odd] not in known and sounds_alike(said[odd], phrase[odd]) >= SOUNDS_ALIKE


@functools.lru_cache(maxsize=4096)
def sounds_alike(heard: str, meant: str) -> float:
    """0..1: the better of spelling similarity and Metaphone-key similarity."""
    spelling = fuzz.ratio(heard, meant)
    sound = fuzz.ratio(jellyfish.metaphone(heard), jellyfish.metaphone(meant))
    return max(spelling, sound) / 100


def _leftmost_longest(
    words: Sequence[_Word], found: list[tuple[int, int, tuple[str, ...]]]
) -> list[MisheardSlot]:
    taken: set[int] = set()
    slots = []
    for start, length, choices in sorted(found, key=lambda f: (-f[1], f[0])):
        covered = range(start, start + length)
        if taken.isdisjoint(covered):
            taken.update(covered)
            slots.append(MisheardSlot(words[start].start, words[start + length - 1].end, choices))
    return sorted(slots, key=lambda slot: slot.start)
