"""The recognizer follows the conversation to another store's words and to another person."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_voice_loop import ScriptedRecognizer
from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.answers import Question
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.retuning import RetuningConversation, vocabulary_for
from voiceshop.storage.database import ShopDatabase


class TuningLog(ScriptedRecognizer):
    """Hears nothing; notes each retuning."""

    def __init__(self) -> None:
        super().__init__()
        self.vocabularies: list[Vocabulary] = []
        self.new_speakers = 0

    def new_speaker(self) -> None:
        self.new_speakers += 1

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        self.vocabularies.append(vocabulary)


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    return Assistant(ShopDatabase(tmp_path / "shop.db"), store="grocery")


def test_moving_to_another_store_tunes_the_recognizer_to_its_words(assistant: Assistant) -> None:
    recognizer = TuningLog()
    conversation = RetuningConversation(assistant, recognizer)

    conversation.respond("add a loaf of sourdough bread")
    conversation.respond("shop at the coffee shop")

    (vocabulary,) = recognizer.vocabularies
    assert "latte" in vocabulary.words
    assert vocabulary.phrases == vocabulary_for(assistant).phrases
    assert recognizer.new_speakers == 0


def test_another_person_starts_without_the_last_ones_habits(assistant: Assistant) -> None:
    recognizer = TuningLog()
    conversation = RetuningConversation(assistant, recognizer)

    reply = conversation.respond("this is Sam")

    assert "Sam" in reply.text
    assert recognizer.new_speakers == 1
    assert recognizer.vocabularies == [], "Sam has no store of their own: still the grocery"


def test_an_open_choice_tunes_the_recognizer_to_its_answers(assistant: Assistant) -> None:
    recognizer = TuningLog()
    conversation = RetuningConversation(assistant, recognizer)

    conversation.respond("add a dozen eggs")

    (answers,) = recognizer.vocabularies
    question = assistant.open_question()
    assert question is not None and question.kind is Question.CHOOSE
    choices = [assistant.dialog.parser.normalizer.normalize(c) for c in question.choices]
    assert list(answers.phrases[: len(choices)]) == choices
    assert {"second", "yes", "nope", "cancel"} <= set(answers.phrases)
    store = vocabulary_for(assistant)
    assert "sourdough bread" not in answers.phrases
    assert store.words <= answers.words, "a request instead of an answer is still heard"


def test_the_store_words_come_back_once_the_question_is_answered(assistant: Assistant) -> None:
    recognizer = TuningLog()
    conversation = RetuningConversation(assistant, recognizer)

    conversation.respond("add a dozen eggs")
    conversation.respond("the second one")
    conversation.respond("add a loaf of sourdough bread")

    answers, store = recognizer.vocabularies
    assert assistant.open_question() is None
    assert store.phrases == vocabulary_for(assistant).phrases
    assert answers.phrases != store.phrases


def test_a_checkout_read_back_tunes_the_recognizer_to_yes_and_no(assistant: Assistant) -> None:
    recognizer = TuningLog()
    conversation = RetuningConversation(assistant, recognizer)

    conversation.respond("add a loaf of sourdough bread")
    conversation.respond("check out")

    (answers,) = recognizer.vocabularies
    assert {"yes", "yeah", "go ahead", "no", "no thanks", "cancel"} <= set(answers.phrases)
    assert "second" not in answers.phrases and "sourdough bread" not in answers.phrases
