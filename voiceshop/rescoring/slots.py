"""Where a transcript misheard one of the store's phrases: the grammar's side of rescoring.

A store's vocabulary groups phrases that fill the same place in an order (`Vocabulary.slots`:
the sizes, the milks, the drinks...). Where a recognizer wrote words the store never uses, they
may stand for such a phrase: one word misheard and the others right ("a dull shot", "with home
milk"), every word misheard but closely alike ("well once" for "twelve ounce"), or words run
together ("skimmer" for "skim milk", "a big" for "a bit of"). Those stretches are found here by
spelling and sound; the engine then lets the audio choose among the group's phrases of that
length (`readback.py`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import jellyfish
from rapidfuzz import fuzz

from voiceshop.rescoring.protocol import MisheardSlot, SoundKey, Vocabulary

SOUNDS_ALIKE = 0.4
"""How alike (0..1, by spelling or by sound key) a misheard word must be to the word of the
phrase it stands for: "dull" / "double" 0.8, "home" / "whole" 0.67, "full" / "whole" 0.5, but
"or" / "shots" 0.29.
Tuned on: coffee-dev, all 124 recordings, before the tune/check split (examples only, no figures
quoted)."""
SOUNDS_ALIKE_RUN_TOGETHER = 0.6
"""How alike misheard words must be where no word of the phrase was heard right ("well once" /
"twelve ounce"), and how alike, run together, to a phrase one word longer that they stand for
("skimmer" / "skim milk" 0.67, "a big" / "a bit of" 0.6).
Tuned on: coffee-dev, all 124 recordings, before the tune/check split (examples only, no figures
quoted)."""
SOUNDS_ALIKE_UNANCHORED = 0.7
"""Where no word was heard right, how alike the words must be on average ("well once" /
"twelve ounce" 0.78, but "bun stuck" / "blonde roast" 0.67).
Tuned on: coffee-dev, all 124 recordings, before the tune/check split (examples only, no figures
quoted)."""
SOUNDS_ALIKE_MODIFIER = 0.6
"""How alike a word the store uses must be to the first word of a phrase to stand for it before
the phrase's last word ("sixty ounce" / "sixteen ounce" 0.8), where "some" / "house" (0.5) or
"sugar" / "single" (0.57) may well be said.
Tuned on: coffee-dev, all 124 recordings, before the tune/check split; at 6 dB, noise seeds 7 and
8."""
SPELT_ALIKE_RUN_TOGETHER = 0.5
"""Words run together must also be spelt half alike: short sound keys of long phrases are
alike too easily ("god" / "iced coffee").
Tuned on: coffee-dev, all 124 recordings, before the tune/check split (examples only, no figures
quoted)."""
_MAX_HEARD_WORDS = 3
_MIN_LEAD_WORDS = 2
"""Only phrases of two words or more lead to their followers ("a bit of"): a single word such as
"some" is also said before products ("some coffee").
Tuned on: coffee-dev, all 124 recordings, before the tune/check split; A/B at noise seed 8, clean
to 24 dB."""

_WORD = re.compile(r"(?:[^\W_]|')+")


@dataclass(frozen=True)
class SpokenWord:
    """A word of a transcript, lowercase, and where it stands in the transcript's text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Candidate:
    first: int
    length: int
    anchors: int
    """Heard words equal to the words of a phrase they may stand for."""
    choices: tuple[str, ...]
    may_stay: bool = False
    """The heard words may be right (`MisheardSlot.heard_may_stay`)."""


def misheard_slots(text: str, vocabulary: Vocabulary) -> list[MisheardSlot]:
    """Non-overlapping stretches of `text`, left to right, where the recognizer wrote words the
    store never uses for a phrase of a slot group: one word misheard in a phrase ("dull shot"),
    or words run together for a phrase one word longer ("skimmer" for "skim milk"). Where they
    overlap, longer stretches win, then those with more words heard right."""
    words = [
        SpokenWord(m.group().lower().replace("'", ""), m.start(), m.end())
        for m in _WORD.finditer(text)
    ]
    known = vocabulary.words
    key = vocabulary.sound_key
    candidates = []
    for first in range(len(words)):
        for length in range(1, _MAX_HEARD_WORDS + 1):
            heard = [w.text for w in words[first : first + length]]
            if len(heard) < length or all(w in known for w in heard):
                continue
            choices = _choices(heard, vocabulary.slots, known, key)
            if choices:
                anchors = max(sum(h in c.split() for h in heard) for c in choices)
                candidates.append(_Candidate(first, length, anchors, choices))
    candidates += _unfollowed(words, vocabulary) + _misheard_modifiers(words, vocabulary)
    return _leftmost_longest(words, candidates)


def misheard_tail(heard: str, kept: str, vocabulary: Vocabulary) -> MisheardSlot | None:
    """Where `kept`, a reading the store understands, is `heard` without its last words: those
    words, which may stand for any slot phrase, alone or after a lead ("cappuccino, raspberry"
    for "cappuccino with cream"), or be right as they are. None where `kept` does not begin
    `heard` or is all of it."""
    words = list(_WORD.finditer(heard))
    said = [m.group().lower() for m in _WORD.finditer(kept)]
    if len(words) <= len(said) or [m.group().lower() for m in words[: len(said)]] != said:
        return None
    return MisheardSlot(
        words[len(said)].start(), words[-1].end(), _tail_choices(vocabulary), heard_may_stay=True
    )


@functools.lru_cache(maxsize=4)
def _tail_choices(vocabulary: Vocabulary) -> tuple[str, ...]:
    phrases = tuple(dict.fromkeys(p for group in vocabulary.slots for p in group))
    return (*phrases, *(f"{lead} {p}" for lead in vocabulary.leads for p in phrases))


def _misheard_modifiers(words: Sequence[SpokenWord], vocabulary: Vocabulary) -> list[_Candidate]:
    """Two words the store uses that make none of its phrases, the second ending two-word
    phrases of one group only: a misheard phrase of that group where the first sounds much like
    one of their first words ("sixty ounce" for "sixteen ounce"). Where the first is a phrase
    of the store's itself, but no amount ("sugar shot": an add-on where the number of shots
    should be), it may be one too, and the heard words stay unless a phrase of the group reads
    about as well."""
    said = [w.text for w in words]
    ending = _phrase_ends(vocabulary)
    candidates = []
    for n in range(1, len(said)):
        phrases = ending.get(said[n], ())
        heard = said[n - 1]
        if not phrases or f"{heard} {said[n]}" in phrases:
            continue
        alike = (sounds_alike(heard, p.split()[0], vocabulary.sound_key) for p in phrases)
        if any(a >= SOUNDS_ALIKE_MODIFIER for a in alike):
            candidates.append(_Candidate(n - 1, 2, 1, phrases))
        elif heard in _slot_phrases(vocabulary):
            candidates.append(_Candidate(n - 1, 2, 1, phrases, may_stay=True))
    return candidates


@functools.lru_cache(maxsize=4)
def _slot_phrases(vocabulary: Vocabulary) -> frozenset[str]:
    """The phrases of the store's slot groups that are not amounts: "some" in "some coffee"
    leads on to what it measures."""
    leads = {lead for lead, _ in vocabulary.followers}
    return frozenset(p for group in vocabulary.slots for p in group if p not in leads)


@functools.lru_cache(maxsize=4)
def _phrase_ends(vocabulary: Vocabulary) -> dict[str, tuple[str, ...]]:
    """Words that end two or more two-word phrases of one group, are no phrase alone and are
    said nowhere else in the store's phrases ("ounce", "roast", "shot"), with those phrases.
    Worked out once per vocabulary: it reads every phrase (0.3 s for 236,000 products)."""
    elsewhere = {w for p in vocabulary.phrases if len(p.split()) != 2 for w in p.split()}
    elsewhere |= {p.split()[0] for p in vocabulary.phrases if len(p.split()) == 2}
    ends: dict[str, set[str]] = {}
    groups: dict[str, set[int]] = {}
    for index, group in enumerate(vocabulary.slots):
        for phrase in group:
            pair = phrase.split()
            if len(pair) == 2:
                ends.setdefault(pair[1], set()).add(phrase)
                groups.setdefault(pair[1], set()).add(index)
    return {
        word: tuple(sorted(phrases))
        for word, phrases in ends.items()
        if len(phrases) > 1 and len(groups[word]) == 1 and word not in elsewhere
    }


def _unfollowed(words: Sequence[SpokenWord], vocabulary: Vocabulary) -> list[_Candidate]:
    """Words after a lead phrase (an amount) that are none of its followers (the add-ons it
    measures): up to and including the first word that ends a follower, within
    `_MAX_HEARD_WORDS` ("a lot of, some milk" for "a lot of skim milk"), or else one word the
    store never uses or uses only in followers ("a bit of sweet", "a bit of skimmed": cut
    short). A lead that ends the transcript lost its follower ("cappuccino, for a lot of,"): the
    lead itself stands for the lead and one of its followers."""
    said = [w.text for w in words]
    candidates = []
    for lead, follow in vocabulary.followers:
        lead_words = lead.split()
        if len(lead_words) < _MIN_LEAD_WORDS:
            continue
        for end in _ends_of(said, lead_words):
            if end == len(said):
                whole = tuple(f"{lead} {f}" for f in follow)
                candidates.append(_Candidate(end - len(lead_words), len(lead_words), 0, whole))
                continue
            length = _unfollowed_length(said[end:], follow, vocabulary.words)
            if length:
                candidates.append(_Candidate(end, length, 0, follow))
    return candidates


def _ends_of(said: list[str], phrase: list[str]) -> list[int]:
    """Where each saying of `phrase` in `said` ends."""
    n = len(phrase)
    return [i + n for i in range(len(said) - n + 1) if said[i : i + n] == phrase]


def _unfollowed_length(after: list[str], follow: Sequence[str], known: frozenset[str]) -> int:
    """How many of the words `after` a lead stand for a misheard follower (0: none)."""
    if not after or any(after[: len(f.split())] == f.split() for f in follow):
        return 0
    ends = {f.split()[-1] for f in follow}
    for length, word in enumerate(after[:_MAX_HEARD_WORDS], start=1):
        if word in ends:
            return length
    in_followers = any(after[0] in f.split() for f in follow)
    return 1 if in_followers or after[0] not in known else 0


def _choices(
    heard: list[str], groups: Sequence[Sequence[str]], known: frozenset[str], key: SoundKey
) -> tuple[str, ...]:
    """The phrases the heard words may stand for: of each group with a phrase they match, the
    phrases as long as the matched ones."""
    choices: list[str] = []
    for group in groups:
        lengths = {len(p.split()) for p in group if _stands_for(heard, p.split(), known, key)}
        choices += [p for p in group if len(p.split()) in lengths]
    return tuple(dict.fromkeys(choices))


def _stands_for(heard: list[str], phrase: list[str], known: frozenset[str], key: SoundKey) -> bool:
    """Whether heard words, some of which the store never uses, are a mishearing of `phrase`:
    as many words, the known ones equal and the others alike (all of them closely when none was
    heard right), or run together for a phrase one word longer."""
    if len(phrase) == len(heard) > 1:
        pairs = list(zip(heard, phrase, strict=True))
        if any(h in known and h != p for h, p in pairs):
            return False
        alike = [sounds_alike(h, p, key) for h, p in pairs if h != p]
        if len(alike) < len(pairs):
            return min(alike) >= SOUNDS_ALIKE
        return min(alike) >= SOUNDS_ALIKE_RUN_TOGETHER and (
            sum(alike) / len(alike) >= SOUNDS_ALIKE_UNANCHORED
        )
    if len(phrase) == len(heard) + 1:
        kept = all(h in phrase for h in heard if h in known)
        return kept and _run_together_alike("".join(heard), "".join(phrase), key)
    return False


def _run_together_alike(heard: str, meant: str, key: SoundKey) -> bool:
    spelling = fuzz.ratio(heard, meant) / 100
    return spelling >= SPELT_ALIKE_RUN_TOGETHER and sounds_alike(heard, meant, key) >= (
        SOUNDS_ALIKE_RUN_TOGETHER
    )


@functools.lru_cache(maxsize=4096)
def sounds_alike(heard: str, meant: str, key: SoundKey = jellyfish.metaphone) -> float:
    """0..1: the better of spelling similarity and similarity of the words' sound keys (the
    language's: Metaphone for English)."""
    spelling = fuzz.ratio(heard, meant)
    sound = fuzz.ratio(key(heard), key(meant))
    return max(spelling, sound) / 100


def _leftmost_longest(
    words: Sequence[SpokenWord], candidates: list[_Candidate]
) -> list[MisheardSlot]:
    candidates = _joined_by_stretch(candidates)
    taken: set[int] = set()
    slots = []
    for found in sorted(candidates, key=lambda c: (-c.length, -c.anchors, c.first)):
        covered = range(found.first, found.first + found.length)
        if taken.isdisjoint(covered):
            taken.update(covered)
            last = words[found.first + found.length - 1]
            start = words[found.first].start
            slots.append(MisheardSlot(start, last.end, found.choices, found.may_stay))
    return sorted(slots, key=lambda slot: slot.start)


def _joined_by_stretch(candidates: list[_Candidate]) -> list[_Candidate]:
    """One candidate per stretch of words, with the choices of all found there ("a bit of
    sweet milk": "soy milk" as a milk misheard, "sweetener" as the amount's add-on), for the
    audio to choose from."""
    by_stretch: dict[tuple[int, int], _Candidate] = {}
    for found in candidates:
        key = (found.first, found.length)
        known = by_stretch.get(key)
        if known is None:
            by_stretch[key] = found
        else:
            choices = tuple(dict.fromkeys((*known.choices, *found.choices)))
            anchors = max(known.anchors, found.anchors)
            may_stay = known.may_stay and found.may_stay
            by_stretch[key] = _Candidate(found.first, found.length, anchors, choices, may_stay)
    return list(by_stretch.values())
