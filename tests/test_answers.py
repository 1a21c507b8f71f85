"""What the recognizer listens for while a question is open, built from the sentence data."""

from __future__ import annotations

from functools import cache

from voiceshop.intents.answers import OpenQuestion, Question, answer_phrases, answer_vocabulary
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.templates import TemplateCompiler
from voiceshop.language import Normalizer, load_language
from voiceshop.rescoring.protocol import Vocabulary


@cache
def parser() -> IntentParser:
    return IntentParser()


def test_the_plainest_phrases_leave_optional_words_out_and_take_every_alternative() -> None:
    compiler = TemplateCompiler(
        {"yes": "(yes|yeah please)"},
        {"ordinal": ["first", "second"]},
        Normalizer(load_language()).normalize,
    )

    assert compiler.plainest("<yes> [thanks]") == ["yes", "yeah please"]
    assert compiler.plainest("[the] {ordinal} (one|item)") == [
        "first one",
        "first item",
        "second one",
        "second item",
    ]
    assert compiler.plainest("add {items}") == [], "a wildcard slot has no plainest phrase"


def test_a_yes_or_no_question_is_answered_by_the_yes_and_no_words() -> None:
    said = answer_phrases(OpenQuestion(Question.CONFIRM), parser())

    for rule in ("yes_word", "no_word"):
        for phrase in parser().compiler.plainest(f"<{rule}>"):
            assert phrase in said
    assert "cancel" in said
    assert "second" not in said and "three" not in said


def test_a_choice_puts_the_choices_first_then_positions_and_yes_or_no() -> None:
    question = OpenQuestion(Question.CHOOSE, ("Large Brown Eggs", "Eggland's Best Eggs"))

    said = answer_phrases(question, parser())

    assert said[:2] == ("large brown eggs", "egglands best eggs")
    assert {"first", "second", "last", "yes", "no", "separate items", "undo"} <= set(said)
    assert len(said) == len(set(said))


def test_a_question_of_how_many_is_answered_by_numbers() -> None:
    said = answer_phrases(OpenQuestion(Question.COUNT), parser())

    assert {"one", "seven", "twelve", "nineteen"} <= set(said)
    assert "zero" not in said


def test_the_answers_keep_the_store_words_and_checks() -> None:
    store = Vocabulary(("whole milk",), frozenset({"whole", "milk", "add"}))

    answers = answer_vocabulary(OpenQuestion(Question.CONFIRM), parser(), store)

    assert "whole milk" not in answers.phrases and "yes" in answers.phrases
    assert {"whole", "milk", "add", "yes", "nope"} <= answers.words
