"""The short-answer benchmark's non-answers: what people say at a question that answers it not."""

from __future__ import annotations

from pathlib import Path

from support.accuracy_answers import (
    NON_ANSWERS,
    QUESTIONS,
    STORE,
    Split,
    non_answer_splits,
    taken_as_answer,
)
from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.answers import Question
from voiceshop.storage.database import ShopDatabase


def test_no_non_answer_of_the_short_answer_set_answers_its_question_as_written(
    tmp_path: Path,
) -> None:
    """The benchmark's non-answers are right when not taken as an answer: typed, none is."""
    db = ShopDatabase(tmp_path / "voiceshop.db")
    taken = []
    for n, said in enumerate(NON_ANSWERS):
        assistant = Assistant(db, f"shopper-{n}", STORE)
        for opening in QUESTIONS[said.question]:
            assistant.respond(opening)
        assistant.respond(said.text)
        if taken_as_answer(said.question, said.text, assistant):
            taken.append(said.text)

    assert not taken


def test_the_non_answers_are_halved_within_each_question() -> None:
    splits = non_answer_splits()

    for question in Question:
        said = [splits[a] for a in NON_ANSWERS if a.question is question]
        assert said.count(Split.TUNE) == len(said) // 2
