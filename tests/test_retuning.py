"""The recognizer follows the conversation to another store's words and to another person."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_voice_loop import ScriptedRecognizer
from voiceshop.dialog.assistant import Assistant
from voiceshop.recognizer.base import Vocabulary
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

    conversation.respond("add a dozen eggs")
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
