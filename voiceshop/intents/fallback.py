"""Reading what no template was written for: drop filler, then decide by cue words.

When the templates give no reading of an utterance, or only one whose product words name no
product well ("would you mind adding a loaf of sourdough" read as a bare list), the
`FallbackReader` tries two generic steps, both driven by the `fallback` section of
`voiceshop/data/<lang>/sentences.yaml`:

1. drop politeness, filler and hedge phrases anywhere in the words ("would you mind", "like",
   "gonna"), and read the rest with the templates again;
2. failing that, find the cue words of an intent ("remove", "total", "check out") and read what
   is left, without the cue and frame words, as that intent's slot: items or a product that
   must name products well, or nothing that names a product for intents without a slot.

Either reading is taken only if it names its products well (`NAMES_WELL`), so a phrase the
catalog does not explain keeps its template reading (and its "doesn't carry" answer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from voiceshop.intents.model import Intent, ItemRequest

NAMES_WELL = 0.7
"""Phrase score (0..1) from which product words name a product, for a fallback reading to be
taken. Not tuned: the items reader's "names a product fairly well" threshold (0.7)."""

Phrase = tuple[str, ...]
SLOTS = ("items", "product", "none")
"""What an intent read by cue words takes: an item list, one product phrase, or nothing."""


@dataclass(frozen=True)
class FallbackData:
    """The `fallback` section of a language's sentences, in normal form."""

    fillers: tuple[Phrase, ...] = ()
    """Phrases dropped anywhere, longest first."""
    frame: frozenset[str] = frozenset()
    """Words around a request's slot that never name a product ("from", "cart")."""
    cues: tuple[tuple[str, str, tuple[Phrase, ...]], ...] = ()
    """(intent, slot kind, cue phrases longest first), in the order they are tried."""
    kind_slots: frozenset[str] = frozenset()
    """Intents whose product may name a kind of product ("fruit"), not a product: never weak."""

    @property
    def command_words(self) -> frozenset[str]:
        """The words of every cue and the frame words: never a product at a slot's ends."""
        return self.frame | {w for _, _, cues in self.cues for cue in cues for w in cue}


def load_fallback(raw: dict[str, Any], normalize: Callable[[str], str]) -> FallbackData:
    """The fallback data from a sentences file's `fallback` mapping (empty when absent)."""

    def phrases(texts: Sequence[str]) -> tuple[Phrase, ...]:
        said = {tuple(normalize(t).split()) for t in texts}
        return tuple(sorted((p for p in said if p), key=lambda p: (-len(p), p)))

    cues = []
    for entry in raw.get("cues", ()):
        slot = entry.get("slot", "none")
        if slot not in SLOTS:
            raise ValueError(f"fallback cue {entry.get('intent')!r}: slot must be one of {SLOTS}")
        cues.append((str(entry["intent"]), slot, phrases(entry.get("words", ()))))
    frame = frozenset(w for t in raw.get("frame", ()) for w in normalize(t).split())
    kinds = frozenset(raw.get("kind_slots", ()))
    return FallbackData(phrases(raw.get("fillers", ())), frame, tuple(cues), kinds)


def without(words: Sequence[str], phrases: Sequence[Phrase]) -> tuple[list[str], bool]:
    """`words` with every occurrence of the phrases removed (longest first, left to right),
    and whether any was found."""
    kept: list[str] = []
    found = False
    i = 0
    while i < len(words):
        hit = next((p for p in phrases if tuple(words[i : i + len(p)]) == p), None)
        if hit:
            found = True
            i += len(hit)
        else:
            kept.append(words[i])
            i += 1
    return kept, found


@dataclass
class FallbackReader:
    """Reads an utterance the templates did not read well (see the module docstring)."""

    data: FallbackData
    parse_words: Callable[[list[str]], Intent | None]
    """The template reading of normal-form words."""
    read_items: Callable[[list[str]], list[ItemRequest]]
    score: Callable[[str], float]
    """How well a phrase names its best product, 0..1."""
    stopwords: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self._edge = self.data.command_words | self.stopwords
        """Words trimmed from a slot's ends."""

    def weak(self, intent: Intent | None) -> bool:
        """Whether a reading is missing, or names a product phrase it has poorly."""
        if intent is None:
            return True
        phrases = [item.phrase for item in intent.items]
        if intent.product and intent.name not in self.data.kind_slots:
            phrases.append(intent.product)
        return any(self.score(p) < NAMES_WELL for p in phrases)

    def read(self, words: list[str]) -> Intent | None:
        """A reading of `words` by the two fallback steps, or None."""
        plain, dropped = without(words, self.data.fillers)
        plain = [w for w in plain if w != ","]
        if dropped and plain:
            intent = self.parse_words(plain)
            if intent is not None and not self.weak(intent):
                return intent
        return self._by_cue(plain)

    def _by_cue(self, words: list[str]) -> Intent | None:
        """The first intent whose cue is said and whose slot the other words fill well."""
        for name, slot, cues in self.data.cues:
            if not without(words, cues)[1]:
                continue
            intent = self._filled(name, slot, " ".join(words), self._parts(words, cues))
            if intent is not None:
                return intent
        return None

    def _parts(self, words: list[str], cues: tuple[Phrase, ...]) -> list[list[str]]:
        """Where the slot may be, most likely first: the words after the last cue (the verb's
        object), before the first cue, and all but the cues; each without frame words,
        stopwords and cue words at its ends."""
        at = [i for i in range(len(words)) if any(tuple(words[i : i + len(c)]) == c for c in cues)]
        parts = [words[at[-1] :], words[: at[0]], without(words, cues)[0]]
        trimmed = [self._trim(part) for part in parts]
        return [part for n, part in enumerate(trimmed) if part and part not in trimmed[:n]]

    def _trim(self, words: list[str]) -> list[str]:
        """`words` without command words (any cue's, and frame words) and stopwords at either
        end: command words are never products ("pay", "back")."""
        edge = self._edge
        start, end = 0, len(words)
        while start < end and words[start] in edge:
            start += 1
        while end > start and words[end - 1] in edge:
            end -= 1
        return list(words[start:end])

    def _names(self, parts: list[list[str]]) -> bool:
        """Whether any part, or any word of one, names a product well."""
        words = {w for part in parts for w in part if w not in self._edge}
        phrases = [" ".join(part) for part in parts] + sorted(words - self.stopwords)
        return any(self.score(p) >= NAMES_WELL for p in phrases)

    def _filled(self, name: str, slot: str, text: str, parts: list[list[str]]) -> Intent | None:
        """The intent `name` with its slot read from the first part that fills it well, or
        None when none does (for an intent without a slot: when a part names a product)."""
        if slot == "none":
            return None if self._names(parts) else Intent(name=name, text=text)
        for part in parts:
            items = self.read_items(part)
            if not items or any(self.score(item.phrase) < NAMES_WELL for item in items):
                continue
            if slot == "items":
                return Intent(name=name, text=text, items=tuple(items))
            if len(items) == 1:
                return Intent(name=name, text=text, product=items[0].phrase)
        return None
