"""The closed-set pick while a question is open: a short reading that is none of the answers
gives way to the answer the audio reads about as well."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.test_slot_rescoring import FakeWhisper
from voiceshop.intents.answers import OpenQuestion, Question, answer_vocabulary
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.matching import ProductMatcher
from voiceshop.recognizer.base import Vocabulary
from voiceshop.rescoring.reading_policy import ANSWER_MARGIN_NATS, ReadingPolicy
from voiceshop.storage.stores import open_store

END = "<end>"
WORDS = 2000
"""Distinct words the fake Whisper can read back: every answer's."""


@pytest.fixture(scope="module")
def grocery() -> tuple[IntentParser, Vocabulary]:
    store = open_store("grocery", None)
    matcher = ProductMatcher(store, IntentParser(store).normalizer)
    parser = IntentParser(store, products=matcher)
    return parser, store_vocabulary(store, parser, matcher)


def answers(grocery: tuple[IntentParser, Vocabulary], question: Question) -> Vocabulary:
    parser, store = grocery
    return answer_vocabulary(OpenQuestion(question), parser, store)


def policy(vocabulary: Vocabulary, whisper: FakeWhisper) -> ReadingPolicy:
    """The policy over a decoder whose tokens are words, read back with `whisper`'s scripted
    log-probabilities; END is its end-of-text token."""
    decoder = SimpleNamespace(
        end_of_text=whisper.encode(END)[0],
        token_ids=whisper.encode,
        readings=lambda _, lists, **__: [whisper.distributions(t) for t in lists],
    )
    return ReadingPolicy(decoder, vocabulary)  # type: ignore[arg-type]


def undo_said(undo_first: float) -> FakeWhisper:
    """Audio read as "I do." (2.7 nats down in all) or as "Undo." (`undo_first` and 0.1)."""
    return FakeWhisper(
        {
            (): {"I": -2.0, "Undo.": undo_first},
            ("I",): {"do.": -0.5},
            ("I", "do."): {END: -0.2},
            ("Undo.",): {END: -0.1},
        },
        WORDS,
    )


def test_a_reading_that_is_no_answer_gives_way_to_the_answer_the_audio_reads_better(
    grocery: tuple[IntentParser, Vocabulary],
) -> None:
    reading = policy(answers(grocery, Question.CONFIRM), undo_said(-1.0))
    assert reading.answer_reading("I do.", None) == "Undo."


def test_the_heard_words_stay_when_no_answer_reads_about_as_well(
    grocery: tuple[IntentParser, Vocabulary],
) -> None:
    far_behind = -2.7 - ANSWER_MARGIN_NATS - 1.0
    reading = policy(answers(grocery, Question.CONFIRM), undo_said(far_behind))
    assert reading.answer_reading("I do.", None) == "I do."


def test_an_answer_that_leaves_out_words_pays_for_ending_early(
    grocery: tuple[IntentParser, Vocabulary],
) -> None:
    """ "Stop." reads its one word better than "Let's talk." reads both, but the audio goes on."""
    whisper = FakeWhisper(
        {
            (): {"Let's": -1.5, "Stop.": -1.0},
            ("Let's",): {"talk.": -0.5},
            ("Let's", "talk."): {END: -0.1},
            ("Stop.",): {END: -6.0},
        },
        WORDS,
    )
    reading = policy(answers(grocery, Question.CONFIRM), whisper)
    assert reading.answer_reading("Let's talk.", None) == "Let's talk."


@pytest.mark.parametrize(
    ("question", "heard"),
    [
        (Question.CONFIRM, "No, thanks."),
        (Question.COUNT, "Eleven."),
        (Question.COUNT, "Two lemons."),
        (Question.CONFIRM, "Add a gallon of whole milk."),
    ],
)
def test_an_answer_or_a_request_for_products_is_not_read_back(
    grocery: tuple[IntentParser, Vocabulary], question: Question, heard: str
) -> None:
    whisper = undo_said(-1.0)
    assert policy(answers(grocery, question), whisper).answer_reading(heard, None) == heard
    assert whisper.passes == 0


EGGS = ("Green Basket Large White Eggs", "Green Basket Large Brown Eggs")


def brown_said(brown_first: float) -> FakeWhisper:
    """Audio read as "Round one." (1.6 nats down in all) or as "The brown one." (`brown_first`
    and 0.2)."""
    return FakeWhisper(
        {
            (): {"Round": -1.0, "The": brown_first},
            ("Round",): {"one.": -0.5},
            ("Round", "one."): {END: -0.1},
            ("The",): {"brown": -0.1},
            ("The", "brown"): {"one.": -0.05},
            ("The", "brown", "one."): {END: -0.05},
        },
        WORDS,
    )


def choice_answers(grocery: tuple[IntentParser, Vocabulary]) -> Vocabulary:
    parser, store = grocery
    return answer_vocabulary(OpenQuestion(Question.CHOOSE, EGGS), parser, store)


def test_an_answer_among_the_beams_readings_replaces_one_the_audio_reads_worse(
    grocery: tuple[IntentParser, Vocabulary],
) -> None:
    reading = policy(choice_answers(grocery), brown_said(-1.0))
    beam = ["The brown one.", "The round one."]
    assert reading.answer_reading("Round one.", None, beam) == "The brown one."


def test_an_answer_among_the_beams_readings_is_not_taken_when_the_audio_reads_it_worse(
    grocery: tuple[IntentParser, Vocabulary],
) -> None:
    reading = policy(choice_answers(grocery), brown_said(-1.5 - ANSWER_MARGIN_NATS - 1.0))
    assert reading.answer_reading("Round one.", None, ["The brown one."]) == "Round one."
