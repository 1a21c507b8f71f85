"""Where a transcript may be misheard, as a store's grammar and catalog see it.

The recognizer asks this after each reading (`StoreReader.misheard`, through `StoreReading`),
and lets the audio decide:

- words the store never uses that stand for a phrase of a slot group ("a dull shot"), found by
  sound (`rescoring.slots.misheard_slots`);
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
from collections.abc import Iterator
from itertools import pairwise

from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.intents.parser import IntentParser
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.rescoring.protocol import MisheardSlot, Vocabulary
from voiceshop.rescoring.slots import misheard_slots
from voiceshop.thresholds import PROMPT_LETTER_SCORE, READ_BACK_LETTER_SCORE

REMEMBERED_PHRASES = 16
"""Unclear product phrases whose read-back names are kept (each costs a search of every name)."""
PROMPT_NAMES = 12
"""Most catalog names put in the prompt of a second reading (`names_for`).
Tuned on: long names, seed-9 dev sample (80 names; not today's tune or check sample)."""
PROMPT_SPELLED_NAMES = 3
"""Most names spelled like an unclear phrase (at least `thresholds.PROMPT_LETTER_SCORE` alike)
that follow, in that prompt, those the agent would offer.
Tuned on: long names, the seed-7 sample of 120 names (now the tune sample)."""

_WORD = re.compile(r"\S+")
_COUNT_WORDS = 3
"""Most words a count takes ("twenty four", "a couple of")."""


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
        for slot in [*self._unclear_products(text), *self._misheard_counts(text)]:
            if all(slot.end <= other.start or other.end <= slot.start for other in found):
                found.append(slot)
        return sorted(found, key=lambda slot: slot.start)

    def names_for(self, text: str) -> tuple[str, ...]:
        """The catalog names (as written) that the unclear product phrases of `text` may stand
        for, closest first, at most PROMPT_NAMES: Whisper spells a rare name right once it is in
        its prompt ("frijoles negros black beans" for "fridge oolong meatballs black beans").
        The names each phrase would be offered come first, then those spelled most like it,
        each with its twins (plurals), so that the audio, not the prompt, decides between them.
        Two items joined by "and", one of them unclear, are looked up as one phrase too: "and"
        may be heard inside a name ("smurf and dry side six" for "Snug & Dry Size 6")."""
        intent = self._parser.parse(text)
        joined = [f"{a} and {b}" for a, b in _joined_items(intent) if self._unclear(a, b)]
        phrases = [*joined, *(phrase for phrase in _phrases(intent) if self._unclear(phrase))]
        matcher = self._matcher
        offered = [
            c
            for phrase in phrases
            for c in matcher.widened(matcher.match(phrase), uncarried_too=True).candidates
        ]
        spelled = [
            c
            for phrase in phrases
            for c in matcher.spelled_like(phrase, PROMPT_SPELLED_NAMES, PROMPT_LETTER_SCORE)
        ]
        ranked = [c for phrase in phrases for c in matcher.rank(phrase, limit=PROMPT_NAMES)]
        candidates = (*offered, *spelled, *ranked)
        names = [twin.name for c in candidates for twin in matcher.twins(c.product)]
        return tuple(dict.fromkeys(names))[:PROMPT_NAMES]

    def _unclear(self, *phrases: str) -> bool:
        """Whether any of the product phrases is unclear (it has names to read back)."""
        return any(self._closest_names(phrase) for phrase in phrases)

    def with_products_of(self, text: str, again: str) -> str:
        """`text` with its unclear product phrases as `again` (a reading with catalog names in
        its prompt) words them; its other words, which the names' prompt may have made worse
        ("and two cartoons" for "add two cartons"), stay. A phrase said before "and" and an
        unclear one goes with it where the second reading hears no "and" there: that was
        misheard too ("organic cat and tempan's" for "organic cotton tampons"). `text` unless
        both readings ask the same of the same items (`_aligned`). Words no catalog or template
        knows are read, not skipped: they are what the second reading may have heard better."""
        heard_intent = self._parser.parse(text, skip_unknown=False)
        reread_intent = self._parser.parse(again, skip_unknown=False)
        if heard_intent is None or reread_intent is None:
            return text
        pairs = _aligned(heard_intent, reread_intent)
        if pairs is None:
            return text
        unclear = [self._unclear(*heard) for heard, _, _ in pairs]
        joined = {second for _, second in _joined_items(heard_intent)}
        unjoined = [not item.joined_by.startswith("and") for item in reread_intent.items]
        parts, done = [], 0
        for n, (heard, reread, count) in enumerate(pairs):
            before_unclear = (
                n + 1 < len(unjoined)
                and unclear[n + 1]
                and unjoined[n + 1]
                and pairs[n + 1][0][0] in joined
            )
            said = reread if count is None else self._counted(again, reread, count)
            span = self._span(text, heard) if " ".join(heard) != reread or count else None
            if span and span[0] >= done and (unclear[n] or before_unclear):
                parts += [text[done : span[0]], said]
                done = span[1]
        return "".join([*parts, text[done:]])

    def twin_readings(self, text: str) -> tuple[str, ...]:
        """`text` with a product phrase that is a catalog name said as the name of each of its
        twins instead ("size six diaper" for "size six diapers")."""
        readings: list[str] = []
        normalize = self._parser.normalizer.normalize
        for phrase in _phrases(self._parser.parse(text)):
            best = self._matcher.rank(phrase, limit=1)
            span = self._locate(text, phrase)
            if not best or span is None or normalize(best[0].product.name) != phrase:
                continue
            for twin in self._matcher.twins(best[0].product):
                said = normalize(twin.name)
                if said != phrase:
                    readings.append(f"{text[: span[0]]}{said}{text[span[1] :]}")
        return tuple(dict.fromkeys(readings))

    def _counted(self, text: str, phrase: str, count: int) -> str:
        """The phrase as said in `text`, with the words that say `count` before it or in its
        first word ("a Men's Whole", "3D Z Foil"); "one mens whole" where they are not found."""
        normalize, numbers = self._parser.normalizer.normalize, self._parser.normalizer.numbers
        span = self._locate(text, phrase)
        if span is not None:
            before = [m.start() for m in _WORD.finditer(text[: span[0]])][-_COUNT_WORDS:]
            for start in [span[0], *reversed(before)]:
                said = normalize(text[start : span[1]]).split()
                found = numbers.parse_count(said)
                if found and found[0] == count and said[found[1] :] == phrase.split():
                    return text[start : span[1]]
        return f"{numbers.to_words(count)} {phrase}"

    def _span(self, text: str, phrases: tuple[str, ...]) -> tuple[int, int] | None:
        """Where phrases said one after another are in `text`, from the first to the last."""
        first, last = self._locate(text, phrases[0]), self._locate(text, phrases[-1])
        if first is None or last is None or last[1] < first[0]:
            return None
        return first[0], last[1]

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

    def _misheard_counts(self, text: str) -> list[MisheardSlot]:
        """The word right before an uncounted product phrase, where it is one recognizers write
        for a count (the language's misheard counts: "to" for "two" in "I need to robusto
        beans", "for" for "four"): the number word is offered there, for the audio to decide."""
        intent = self._parser.parse(text)
        numbers = self._parser.normalizer.numbers
        slots = []
        for item in intent.items if intent else ():
            span = self._locate(text, item.phrase) if item.quantity is None else None
            before = list(_WORD.finditer(text[: span[0]])) if span else []
            word = before[-1] if before else None
            count = numbers.misheard_count(_bare(word.group())) if word else None
            if word is not None and count is not None:
                choice = (numbers.to_words(count),)
                slots.append(MisheardSlot(word.start(), word.end(), choice, heard_may_stay=True))
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
        offered = self._matcher.widened(
            result, letter_score=READ_BACK_LETTER_SCORE, uncarried_too=True
        )
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


def _bare(word: str) -> str:
    """A written word as the language's word lists hold it: lowercase, no punctuation."""
    return word.lower().strip(".,;:!?\"'")


def _phrases(intent: Intent | None) -> list[str]:
    """The product phrases a request names: its items', and the product it asks about."""
    if intent is None:
        return []
    return [
        phrase for phrase in (*(item.phrase for item in intent.items), intent.product) if phrase
    ]


def _joined_items(intent: Intent | None) -> list[tuple[str, str]]:
    """The phrases of each item said with "and" before it and no count of its own, with the
    phrase of the item before: maybe one name ("smurf" and "dry side six")."""
    if intent is None:
        return []
    return [
        (first.phrase, second.phrase)
        for first, second in pairwise(intent.items)
        if _joins(second) and second.joined_by == "and"
    ]


def _joins(item: ItemRequest) -> bool:
    """Whether the item may be the rest of the one before: said after a word, no count."""
    return bool(item.joined_by) and item.quantity is None and not item.unit


def _aligned(
    heard: Intent | None, reread: Intent | None
) -> list[tuple[tuple[str, ...], str, int | None]] | None:
    """The heard product phrases (of one item, or two joined ones) each reread phrase stands
    for, with the count only the reread item has; None unless both readings ask the same of
    items with the same counts and units (`_fits`), two heard items joined by "and" (the second
    without a count) being allowed to be one reread item ("smurf and dry side six" for "snug
    and dry size six")."""
    if heard is None or reread is None or heard.name != reread.name:
        return None
    if bool(heard.product) != bool(reread.product):
        return None
    asked = [((heard.product,), reread.product, None)] if heard.product else []
    for groups in _groupings(heard.items):
        if len(groups) != len(reread.items):
            continue
        pairs = list(zip(groups, reread.items, strict=True))
        if all(_fits(group[0], item) for group, item in pairs):
            return [
                (tuple(i.phrase for i in group), item.phrase, _count_only_in(group[0], item))
                for group, item in pairs
            ] + asked
    return None


def _groupings(items: tuple[ItemRequest, ...]) -> Iterator[list[tuple[ItemRequest, ...]]]:
    """The items one by one, then each way of taking an item with the one it may join."""
    yield [(item,) for item in items]
    for at in range(1, len(items)):
        if _joins(items[at]):
            alone = [(item,) for item in items]
            yield [*alone[: at - 1], (items[at - 1], items[at]), *alone[at + 1 :]]


def _fits(heard: ItemRequest, reread: ItemRequest) -> bool:
    """Whether two readings of an item agree on its count and unit; a count only the second
    reading has is taken, its words being inside the heard phrase ("amends" for "a men's")."""
    if heard.unit != reread.unit:
        return False
    return heard.quantity == reread.quantity or heard.quantity is None


def _count_only_in(heard: ItemRequest, reread: ItemRequest) -> int | None:
    """The reread item's count where the heard one has none."""
    return reread.quantity if heard.quantity is None else None


def _corrects(heard: set[str], name: set[str]) -> bool:
    """Whether a name may stand for misheard words: it neither holds every heard word nor is
    made only of heard words."""
    return not (heard <= name or name <= heard)
