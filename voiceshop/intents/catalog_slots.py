"""Where a transcript may be misheard, as a store's grammar and catalog see it.

The recognizer asks this after each reading (`Vocabulary.find_slots`), and lets the audio decide:

- words the store never uses that stand for a phrase of a slot group ("a dull shot"), found by
  sound (`recognizer.slots.misheard_slots`);
- product phrases the catalog finds unclear ("organic oatmilk", "lindora sorted chocolate
  truffles"): the names the agent would offer (`ProductMatcher.widened`, closest by words or
  clearly by letters) are read back, and one replaces the heard words only when it reads about
  as well against the audio; otherwise the agent asks as before. When a closest name holds
  every heard word ("large brown eggs" for "eggs"), nothing is read back: the words were heard,
  only the product is unclear, and reading names back would cost time and tell nothing (the
  agent asks which one). Names made only of heard words ("licorice" for "pomegranate
  licorice") are not read back either: they would only drop words, and fewer words reading well
  tell nothing.
"""

from __future__ import annotations

import functools
import re

from voiceshop.intents.model import Intent
from voiceshop.intents.parser import IntentParser
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.recognizer.base import MisheardSlot, Vocabulary
from voiceshop.recognizer.slots import misheard_slots

READ_BACK_LETTER_SCORE = 0.7
"""Names found only by their letters are read back when at least this alike (0..1): the agent
may offer less alike ones, but a weak likeness in a badly heard phrase ("foamed linked water",
"alkaline water") should not become the product without a question."""

REMEMBERED_PHRASES = 16
"""Unclear product phrases whose read-back names are kept (each costs a search of every name)."""
PROMPT_NAMES = 12
"""Most catalog names put in the prompt of a second reading (`names_for`)."""

_WORD = re.compile(r"\S+")


class CatalogSlots:
    """A `SlotFinder` for one store: its slot groups, and its catalog's names for unclear
    product phrases."""

    def __init__(
        self, vocabulary: Vocabulary, parser: IntentParser, matcher: ProductMatcher
    ) -> None:
        self._vocabulary = vocabulary
        self._parser = parser
        self._matcher = matcher
        self._closest_names = functools.lru_cache(maxsize=REMEMBERED_PHRASES)(self._read_back)
        """`_read_back`, remembered: one utterance asks it of a phrase up to three times (the
        second reading, taking its words, the read-back)."""

    def __call__(self, text: str) -> list[MisheardSlot]:
        found = list(misheard_slots(text, self._vocabulary))
        for slot in self._unclear_products(text):
            if all(slot.end <= other.start or other.end <= slot.start for other in found):
                found.append(slot)
        return sorted(found, key=lambda slot: slot.start)

    def names_for(self, text: str) -> tuple[str, ...]:
        """The catalog names (as written) that the unclear product phrases of `text` may stand
        for, closest first, at most PROMPT_NAMES: Whisper spells a rare name right once it is in
        its prompt ("frijoles negros black beans" for "fridge oolong meatballs black beans")."""
        names: list[str] = []
        for phrase in self._product_phrases(text):
            if self._closest_names(phrase):
                offered = self._matcher.widened(self._matcher.match(phrase)).candidates
                ranked = self._matcher.rank(phrase, limit=PROMPT_NAMES)
                names += [c.product.name for c in (*offered, *ranked)]
        return tuple(dict.fromkeys(names))[:PROMPT_NAMES]

    def with_products_of(self, text: str, again: str) -> str:
        """`text` with its unclear product phrases as `again` (a reading with catalog names in
        its prompt) words them; its other words, which the names' prompt may have made worse
        ("and two cartoons" for "add two cartons"), stay. `text` unless both readings ask the
        same of the same counts and units."""
        heard_intent, reread_intent = self._parser.parse(text), self._parser.parse(again)
        if _request_shape(heard_intent) != _request_shape(reread_intent):
            return text
        first, second = _phrases(heard_intent), _phrases(reread_intent)
        parts, done = [], 0
        for heard, reread in zip(first, second, strict=True):
            span = self._locate(text, heard) if heard != reread else None
            if span and span[0] >= done and self._closest_names(heard):
                parts += [text[done : span[0]], reread]
                done = span[1]
        return "".join([*parts, text[done:]])

    def _product_phrases(self, text: str) -> list[str]:
        return _phrases(self._parser.parse(text))

    def _unclear_products(self, text: str) -> list[MisheardSlot]:
        slots = []
        for phrase in self._product_phrases(text):
            names = self._closest_names(phrase)
            span = self._locate(text, phrase)
            if names and span:
                slots.append(MisheardSlot(*span, names, heard_may_stay=True))
        return slots

    def _read_back(self, phrase: str) -> tuple[str, ...]:
        """The names the agent would offer for a phrase it finds unclear (each costs Whisper
        one reading); none for a clear one."""
        result = self._matcher.match(phrase)
        words = self._matcher.words.words
        heard = set(words(phrase))
        if result.outcome is MatchOutcome.CONFIDENT or any(
            heard <= set(words(c.product.name)) for c in result.candidates
        ):
            return ()
        normalize = self._parser.normalizer.normalize
        offered = self._matcher.widened(result, letter_score=READ_BACK_LETTER_SCORE)
        names = (normalize(c.product.name) for c in offered.candidates)
        return tuple(dict.fromkeys(name for name in names if _corrects(heard, set(words(name)))))

    def _locate(self, text: str, phrase: str) -> tuple[int, int] | None:
        """Where the phrase's words are said in `text`, as a character span."""
        normalize = self._parser.normalizer.normalize
        spoken = [(normalize(m.group()).split(), m.start(), m.end()) for m in _WORD.finditer(text)]
        owners = [(word, n) for n, (words, _, _) in enumerate(spoken) for word in words]
        wanted = phrase.split()
        for first in range(len(owners) - len(wanted) + 1):
            if [word for word, _ in owners[first : first + len(wanted)]] == wanted:
                start_word, end_word = owners[first][1], owners[first + len(wanted) - 1][1]
                end = spoken[end_word][2]
                while end > spoken[end_word][1] and not text[end - 1].isalnum():
                    end -= 1
                return spoken[start_word][1], end
        return None


def _phrases(intent: Intent | None) -> list[str]:
    """The product phrases a request names: its items', and the product it asks about."""
    if intent is None:
        return []
    return [
        phrase for phrase in (*(item.phrase for item in intent.items), intent.product) if phrase
    ]


def _request_shape(intent: Intent | None) -> tuple[object, ...] | None:
    """What a request asks, its product words aside: the intent, each item's count and unit."""
    if intent is None:
        return None
    return (intent.name, *((item.quantity, item.unit) for item in intent.items))


def _corrects(heard: set[str], name: set[str]) -> bool:
    """Whether a name may stand for misheard words: it neither holds every heard word nor is
    made only of heard words."""
    return not (heard <= name or name <= heard)
