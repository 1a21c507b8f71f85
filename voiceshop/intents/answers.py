"""What the recognizer listens for while the agent waits for an answer.

A question the agent asked ("Did you mean A or B?", "Shall I place the order?") is answered in a
few words. While it is open, the recognizer is prompted with those words instead of the store's
catalog: the choices offered, then the plainest phrases of the intents that answer that kind of
question (`answers` in sentences.yaml), and for a question of how many, the numbers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from voiceshop.intents.parser import IntentParser
from voiceshop.recognizer.base import MisheardSlot, SlotFinder, Understood, Vocabulary
from voiceshop.recognizer.slots import misheard_slots

_WORD = re.compile(r"[A-Za-z0-9']+")


class Question(StrEnum):
    """A kind of open question; the keys of `answers` in sentences.yaml."""

    CONFIRM = "confirm"
    """Yes or no: the order read back, "Did you say ...?", "Cancel order 3?"."""
    CHOOSE = "choose"
    """Which of the choices offered."""
    COUNT = "count"
    """How many."""


@dataclass(frozen=True)
class OpenQuestion:
    """A question the agent waits to have answered."""

    kind: Question
    choices: tuple[str, ...] = ()
    """What may be chosen, as the agent said it (product names, items read apart)."""


def answer_phrases(question: OpenQuestion, parser: IntentParser) -> tuple[str, ...]:
    """The choices, the numbers for a question of how many, then the plainest phrases of the
    intents that answer this kind of question, in normal form, each once."""
    normalize = parser.normalizer.normalize
    said = [normalize(choice) for choice in question.choices]
    if question.kind is Question.COUNT:
        counts = parser.language.numbers.units
        said += [word for word, value in counts.items() if value > 0]
    templates = dict(parser.sentences.intents)
    for name in parser.sentences.answers.get(question.kind.value, ()):
        said += [p for template in templates[name] for p in parser.compiler.plainest(template)]
    return tuple(dict.fromkeys(p for p in said if p))


def answer_vocabulary(
    question: OpenQuestion, parser: IntentParser, store: Vocabulary
) -> Vocabulary:
    """The store's vocabulary with the answers as its phrases (the recognizer's prompt, as
    phrases said alone) and their words added to its words; a transcript the dialog could not
    act on may be a misheard answer (`AnswerSlots`), else the store's groups and catalog checks
    stay, for an answer that moves on to another request."""
    phrases = answer_phrases(question, parser)
    words = {word for phrase in phrases for word in phrase.split()}
    tuned = replace(store, phrases=phrases, words=store.words | words, said_alone=True)
    store_slots = store.find_slots or functools.partial(misheard_slots, vocabulary=tuned)
    answer_slots = AnswerSlots(parser, phrases, store_slots, store.understanding)
    return replace(tuned, find_slots=answer_slots)


@dataclass(frozen=True)
class AnswerSlots:
    """Where a transcript heard while a question is open may be a misheard answer: all of it,
    when it is no longer than the longest answer and the dialog could not act on it: the parser
    makes nothing of it, or only a list of products the store lacks ("And you." for "undo",
    "Sandwind." for "seven"; "the brown ones" may name a choice). The recognizer then lets the
    audio choose between the heard words and the answers. Other transcripts go to the store's
    slot finder."""

    parser: IntentParser
    answers: tuple[str, ...]
    store_slots: SlotFinder
    understanding: Callable[[str], Understood] | None = None
    """How far the store understands the products a transcript asks for."""

    def __call__(self, text: str) -> Sequence[MisheardSlot]:
        words = list(_WORD.finditer(text))
        longest = max((len(answer.split()) for answer in self.answers), default=0)
        if not words or len(words) > longest:
            return self.store_slots(text)
        if self._actionable(text):
            return self.store_slots(text)
        return [MisheardSlot(words[0].start(), words[-1].end(), self.answers, heard_may_stay=True)]

    def _actionable(self, text: str) -> bool:
        intent = self.parser.parse(text)
        if intent is None:
            return False
        if not intent.implicit or self.understanding is None:
            return True
        return self.understanding(text) is not Understood.MISSING
