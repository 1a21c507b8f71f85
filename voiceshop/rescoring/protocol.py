"""What passes between the recognizer and what understands the store.

The store's side compiles its words into a `Vocabulary`, which the recognizer listens for.
Two feedback paths go from the store's grammar and catalog back into recognition:

- While the person speaks, the recognizer asks how far the words so far make a request
  (`RequestCheck`, answered by `dialog.complete.CompleteRequest`): a finished request ends the
  utterance early.
- After each reading, Whisper asks a `StoreReader` (`rescoring.store_reading.StoreReading`)
  where the transcript may be misheard and which catalog names it may stand for, and lets the
  audio decide between the readings (`rescoring.reading_policy`).

This module imports nothing of either side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Protocol

import jellyfish


@dataclass(frozen=True)
class MisheardSlot:
    """text[start:end] of a transcript may stand for one of `choices`: the grammar's proposal,
    for the recognizer to decide by the audio."""

    start: int
    end: int
    choices: tuple[str, ...]
    heard_may_stay: bool = False
    """The heard words may be right as they are (a product phrase the catalog leaves unclear):
    they stay unless a choice reads about as well. Otherwise they are surely wrong (words the
    store never uses) and the likeliest choice replaces them; a lone choice, with nothing to
    tell it from, only where it reads about as well."""


SlotFinder = Callable[[str], Sequence[MisheardSlot]]
"""The stretches of a transcript that may be misheard, with what they may stand for."""


class Understood(Enum):
    """How far a store understands a transcript that asks for products."""

    NO_PRODUCTS = "no products"
    """It does not parse, or asks for none (a yes, a checkout)."""
    MISSING = "missing"
    """A product it asks for is not in the catalog, or it describes one without naming it."""
    UNCLEAR = "unclear"
    """Its products are in the catalog, one of them only unclearly."""
    CLEAR = "clear"
    """Each product it asks for is clearly one of the catalog's."""


class StoreReader(Protocol):
    """The store's grammar and catalog, as a recognizer asks them about a transcript."""

    def misheard(self, text: str) -> Sequence[MisheardSlot]:
        """Where `text` may be misheard, with what each stretch may stand for."""
        ...

    def names_for(self, text: str) -> Sequence[str]:
        """Catalog names the unclear product phrases of `text` may stand for, closest first:
        worth reading the audio again with them in the recognizer's prompt."""
        ...

    def with_products_of(self, text: str, again: str) -> str:
        """The first reading with the product phrases of the second, its other words kept."""
        ...

    def twin_readings(self, text: str) -> Sequence[str]:
        """`text` with each product phrase said as the name of a twin of its product (the same
        words but for plurals): the audio chooses between them."""
        ...

    def understanding(self, text: str) -> Understood:
        """How far the store understands the products `text` asks for."""
        ...


class Request(StrEnum):
    """How far the words so far make a request: what decides how long a pause ends them."""

    UNFINISHED = "unfinished"
    """No request yet, or the last words lead on ("add two", "a latte with")."""
    OPEN = "open"
    """A request that names products: more products may follow a pause."""
    OPTIONS_MAY_FOLLOW = "options may follow"
    """A request adding a product that takes options not yet said ("a large latte")."""
    CLOSED = "closed"
    """A request that takes nothing more ("yes", "check out", "what's in my cart")."""


RequestCheck = Callable[[str], Request]
"""How far a transcript is a request (`voiceshop.dialog.complete` for the shop's)."""


SoundKey = Callable[[str], str]
"""A word -> a key that words sounding alike share."""


@dataclass(frozen=True)
class Vocabulary:
    """The words and phrases a store can understand: used to constrain or prompt recognition."""

    phrases: tuple[str, ...]
    """Product names, option values and command phrases, lowercase, spoken form."""
    words: frozenset[str] = field(default_factory=frozenset)
    """Every word that occurs in `phrases` and in the sentence templates."""
    slots: tuple[tuple[str, ...], ...] = ()
    """Groups of phrases that fill the same place in a request (a store's sizes, its milks, its
    product names): a recognizer may replace a misheard phrase by the group's best fit."""
    followers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Phrases that are always followed by one of some phrases: each amount with the add-ons it
    measures ("a bit of" with the milks and sugars). Other words heard there are misheard."""
    leads: tuple[str, ...] = ()
    """Words said before a slot phrase to join it to what came before ("with cream", "and
    sugar")."""
    reader: StoreReader | None = None
    """The store's grammar and catalog, asked where a transcript may be misheard and which
    names it may stand for (`rescoring.store_reading.StoreReading`); None: misheard stretches
    by `slots` alone (`rescoring.slots.misheard_slots`), no second reading, the likeliest
    reading."""
    sound_key: SoundKey = jellyfish.metaphone
    """How a word sounds, for telling misheard words from the store's (`rescoring.slots`): the
    language's key (Metaphone, made for English, by default)."""
    written: tuple[str, ...] = ()
    """The phrases as the catalog writes them (accents and elisions kept), for a recognizer's
    prompt; empty: `phrases` are prompted."""
    said_alone: bool = False
    """Each phrase is said on its own, as an answer to a question ("yes", "the second one"),
    not inside an order: a recognizer's prompt lists them as sentences."""
