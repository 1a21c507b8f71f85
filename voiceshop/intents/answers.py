"""What the recognizer listens for while the agent waits for an answer.

A question the agent asked ("Did you mean A or B?", "Shall I place the order?") is answered in a
few words. While it is open, the recognizer is prompted with those words instead of the store's
catalog: the choices offered, then the plainest phrases of the intents that answer that kind of
question (`answers` in sentences.yaml), and for a question of how many, the numbers. A language
that writes its answers as people say them (`answer_prompts`: French "C'est ça", "Le
deuxième", where the normal form reads "ce est ca", "deuxieme") has those prompted instead,
after the choices as the agent said them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from voiceshop.intents.parser import IntentParser
from voiceshop.rescoring.protocol import Vocabulary


class Question(StrEnum):
    """A kind of open question; the keys of `answers` in sentences.yaml."""

    CONFIRM = "confirm"
    """Yes or no: the order read back, "Did you say ...?", "Cancel order 3?"."""
    CHOOSE = "choose"
    """Which of the choices offered."""
    COUNT = "count"
    """How many."""
    CODE = "code"
    """The purchase code: digits."""


_PRODUCT = "{product}"
"""The slot of the answer templates that names a product (filled by `_telling_words`)."""
_SMALLEST_NUMBER = {Question.COUNT: 1, Question.CODE: 0}
"""The questions answered by numbers, and the smallest number word each is answered with."""


@dataclass(frozen=True)
class OpenQuestion:
    """A question the agent waits to have answered."""

    kind: Question
    choices: tuple[str, ...] = ()
    """What may be chosen, as the agent said it (product names, items read apart)."""


def answer_phrases(question: OpenQuestion, parser: IntentParser) -> tuple[str, ...]:
    """The choices, the numbers for a question of how many, then the plainest phrases of the
    intents that answer this kind of question (`shortest_first`), in normal form, each once."""
    normalize = parser.normalizer.normalize
    said = [normalize(choice) for choice in question.choices] + _numbers(question, parser)
    templates = dict(parser.sentences.intents)
    names = parser.sentences.answers.get(question.kind.value, ())
    by_intent = [
        [p for template in templates[name] for p in parser.compiler.plainest(template)]
        for name in names
    ]
    telling = _telling_words(question, parser)
    if telling:
        by_intent += [
            [
                p
                for template in templates[name]
                if _PRODUCT in template
                for p in parser.compiler.plainest(template.replace(_PRODUCT, telling))
            ]
            for name in names
        ]
    return tuple(dict.fromkeys(p for p in said + shortest_first(by_intent) if p))


def _telling_words(question: OpenQuestion, parser: IntentParser) -> str:
    """The words that tell the choices apart (those not in every choice: "brown", "white" of
    two eggs) as a template alternative, "(brown|white)"; empty for fewer than two choices.
    A choice is often answered by them alone: "the brown ones"."""
    said = [parser.normalizer.normalize(choice).split() for choice in question.choices]
    if len(said) < 2:
        return ""
    shared = set.intersection(*map(set, said))
    words = dict.fromkeys(w for words in said for w in words if w not in shared and w.isalnum())
    return f"({'|'.join(words)})" if words else ""


def shortest_first(by_intent: Sequence[Sequence[str]]) -> list[str]:
    """Each intent's phrases, shortest first and the intents taken in turn: every intent's
    one-word phrases ("yes", "no", "cancel", "undo", "yeah", "nope", "stop", ...), then the
    two-word ones, and so on. Answers are mostly a word or two, and every intent answering the
    question is heard, so a prompt cut short keeps the plainest way to say each of them rather
    than one intent's every combination ("no i want to add" before "cancel")."""
    ranked = []
    for intent, phrases in enumerate(by_intent):
        turns: Counter[int] = Counter()
        for phrase in phrases:
            words = len(phrase.split())
            ranked.append((words, turns[words], intent, phrase))
            turns[words] += 1
    return [phrase for *_, phrase in sorted(ranked)]


def written_answers(question: OpenQuestion, parser: IntentParser) -> tuple[str, ...]:
    """The choices as the agent said them, the numbers for a question of how many, then the
    language's `answer_prompts` for this kind of question, each once; empty when the language
    writes none for it."""
    prompts = parser.sentences.answer_prompts.get(question.kind.value, ())
    if not prompts:
        return ()
    return tuple(dict.fromkeys([*question.choices, *_numbers(question, parser), *prompts]))


def _numbers(question: OpenQuestion, parser: IntentParser) -> list[str]:
    """The number words that answer a question of how many (or the purchase code)."""
    if question.kind not in _SMALLEST_NUMBER:
        return []
    units = parser.language.numbers.units
    return [word for word, value in units.items() if value >= _SMALLEST_NUMBER[question.kind]]


def answer_vocabulary(
    question: OpenQuestion, parser: IntentParser, store: Vocabulary
) -> Vocabulary:
    """The store's vocabulary with the answers as its phrases (the recognizer's prompt, as
    phrases said alone) and their words added to its words; the store's groups and catalog
    checks stay, for an answer that moves on to another request."""
    phrases = answer_phrases(question, parser)
    written = written_answers(question, parser)
    normal = [*phrases, *map(parser.normalizer.normalize, written)]
    words = {word for phrase in normal for word in phrase.split()}
    return replace(
        store, phrases=phrases, words=store.words | words, written=written, said_alone=True
    )
