"""Where an order's grammar expects a product or an add-on and the words heard there are none.

The coffee store's orders go "<options> <drink> with <add-on> and <add-on>". Three places are
checked, in stores with add-ons (values said after "with" or an amount):

- An order that describes a product (a size, a number of shots) and names none: "I'd like a
  double shot milk with cream". In noise, or with a store prompt full of milks, "mocha" is heard
  as "milk"; the first add-on said bare (no amount, no "with" before it) stands where the
  product should, and the store's product names that sound like it are offered there.
- "with" and a product name where no product was named before: "a single shot with coffee".
  "with" adds to a named product, so here it is the name's misheard first word ("drip"); the
  names ending in the heard word are offered there.
- Words the store never uses right after "with": "house coffee with holder". They stand where
  an add-on should ("whole milk"), and the add-ons are offered there, instead of whatever else
  they sound like.

Where the heard words may be right (a known add-on in the product's place), only the names that
sound like them are offered, and one replaces them only when it reads about as well against
the audio (`MisheardSlot.heard_may_stay`), so the agent still asks when the audio does not say
one. Each such choice costs Whisper a reading of the whole sentence; the other places cost about
one reading in all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from voiceshop.catalog.model import OptionKind, Store
from voiceshop.intents.parser import IntentParser
from voiceshop.matching.words import slot_sound_key
from voiceshop.rescoring.protocol import MisheardSlot, SlotFinder
from voiceshop.rescoring.slots import SOUNDS_ALIKE, SpokenWord, sounds_alike
from voiceshop.thresholds import NAMES_WEAKLY

_MAX_UNKNOWN_WORDS = 2
"""Unknown words taken together as one misheard add-on ("sittin there").
Tuned on: coffee-dev, all 124 recordings, before the tune/check split; A/B at noise seed 8, clean
to 24 dB."""

_WORD = re.compile(r"(?:[^\W\d_]|')+")


class OrderSlots:
    """A `SlotFinder`: another finder's slots, and the places of an order whose words are not
    what its grammar expects there (see the module). Slots found here win over the other
    finder's where they overlap (the grammar knows which kind of phrase belongs there), but for
    those that already offer add-ons only ("a bit of sweet")."""

    def __init__(
        self,
        store: Store,
        parser: IntentParser,
        known: frozenset[str],
        phrase_score: Callable[[str], float],
        inner: SlotFinder | None = None,
    ) -> None:
        normalize = parser.normalizer.normalize
        groups = list(store.option_groups.values())
        values = [o for g in groups if g.kind is OptionKind.ADDON for o in g.values]
        self._parser = parser
        self._sound_key = slot_sound_key(parser.language)
        self._known = known
        self._phrase_score = phrase_score
        self._inner = inner
        self._names = tuple(dict.fromkeys(normalize(p.name) for p in store.products))
        self._name_words = frozenset(w for name in self._names for w in name.split())
        self._add_ons = tuple(dict.fromkeys(normalize(o.value) for o in values))
        self._add_on_forms = frozenset(normalize(s) for o in values for s in (o.value, *o.aliases))
        self._bare = frozenset(a for a in self._add_ons if len(a.split()) == 1)
        self._add_on_ends = frozenset(a.split()[-1] for a in self._add_ons if len(a.split()) > 1)
        self._describing = frozenset(g.id for g in groups if g.kind is OptionKind.CHOICE)
        amounts = {w for g in groups for amount in g.amounts for w in normalize(amount).split()}
        self._add_on_lead = next(iter(parser.language.add_on_leads), "")
        """The word after which an order names its add-ons ("with")."""
        self._leads = frozenset({self._add_on_lead, *parser.language.item_separators, *amounts})

    def __call__(self, text: str) -> list[MisheardSlot]:
        found = list(self._inner(text)) if self._inner else []
        if not self._add_ons:
            return found
        words = [SpokenWord(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
        add_on_slots = [s for s in found if set(s.choices) <= self._add_on_forms]
        own = [
            _with_choices_of(slot, add_on_slots)
            for slot in [
                *self._unheard_add_ons(words),
                *self._unnamed_product(text, words),
                *self._product_after_with(words),
            ]
            if not any(_overlap(slot, o) and not _same_stretch(slot, o) for o in add_on_slots)
        ]
        kept = [s for s in found if not any(_overlap(s, o) for o in own)]
        return sorted([*kept, *own], key=lambda s: s.start)

    def _unheard_add_ons(self, words: Sequence[SpokenWord]) -> list[MisheardSlot]:
        """Unknown words right after "with", and the word after them where it ends add-ons
        ("with sweet milk"), with the add-ons as choices: they are surely misheard, and the
        likeliest add-on replaces them."""
        slots = []
        for n, word in enumerate(words[:-1]):
            length = self._unknown_run(words, n + 1)
            if word.text == self._add_on_lead and length:
                after = n + 1 + length
                if after < len(words) and words[after].text in self._add_on_ends:
                    length += 1
                last = words[n + length]
                slots.append(MisheardSlot(words[n + 1].start, last.end, self._add_ons))
        return slots

    def _unknown_run(self, words: Sequence[SpokenWord], n: int) -> int:
        """How many words from words[n] on (at most `_MAX_UNKNOWN_WORDS`) the store never uses."""
        length = 0
        while (
            length < _MAX_UNKNOWN_WORDS
            and n + length < len(words)
            and words[n + length].text.replace("'", "") not in self._known
        ):
            length += 1
        return length

    def _product_after_with(self, words: Sequence[SpokenWord]) -> list[MisheardSlot]:
        """ "with" and a one-word product name before any product was named ("a single shot
        with coffee"): "with" introduces add-ons to a named product, so here it is the name's
        misheard first word ("drip coffee"). The names ending in that word are the choices."""
        for n, word in enumerate(words[:-1]):
            said = words[n + 1].text
            if word.text == self._add_on_lead and said in self._names:
                if any(w.text in self._name_words for w in words[:n]):
                    return []
                choices = tuple(c for c in self._names if c.split()[-1] == said)
                if len(choices) > 1:
                    return [MisheardSlot(word.start, words[n + 1].end, choices)]
        return []

    def _unnamed_product(self, text: str, words: Sequence[SpokenWord]) -> list[MisheardSlot]:
        """The first bare add-on of an order that describes a product without naming it."""
        if len(self._names) < 2 or not self._names_nothing(text):
            return []
        bare = [
            word
            for n, word in enumerate(words)
            if word.text in self._bare and (n == 0 or words[n - 1].text not in self._leads)
        ]
        if not bare:
            return []
        first = bare[0]
        key = self._sound_key
        alike = tuple(c for c in self._names if sounds_alike(first.text, c, key) >= SOUNDS_ALIKE)
        return [MisheardSlot(first.start, first.end, alike, heard_may_stay=True)] if alike else []

    def _names_nothing(self, text: str) -> bool:
        """Whether `text` orders by options that describe a product (a size, a number of shots:
        not only add-ons) and no words in it name a product."""
        intent = self._parser.parse(text)
        if intent is None or intent.name != "AddItems" or not intent.items:
            return False
        options = {group for item in intent.items for group in item.options}
        named = any(self._phrase_score(item.phrase) >= NAMES_WEAKLY for item in intent.items)
        return not named and bool(options & self._describing)


def _overlap(one: MisheardSlot, other: MisheardSlot) -> bool:
    return one.start < other.end and other.start < one.end


def _same_stretch(one: MisheardSlot, other: MisheardSlot) -> bool:
    return (one.start, one.end) == (other.start, other.end)


def _with_choices_of(slot: MisheardSlot, others: Sequence[MisheardSlot]) -> MisheardSlot:
    """`slot` offering also the choices of other slots for the same words ("sweet milk": the
    milks of two words it sounds like, and the add-ons)."""
    same = [c for other in others if _same_stretch(slot, other) for c in other.choices]
    return replace(slot, choices=tuple(dict.fromkeys([*same, *slot.choices]))) if same else slot
