"""What the recognizer listens for while a question is open, built from the sentence data."""

from __future__ import annotations

from functools import cache

import pytest

from voiceshop.intents.answers import OpenQuestion, Question, answer_phrases, answer_vocabulary
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.templates import TemplateCompiler
from voiceshop.language import Normalizer, load_language
from voiceshop.recognizer.whisper_backend import build_prompt
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.storage.stores import open_store


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


@cache
def french_parser() -> IntentParser:
    return IntentParser(open_store("epicerie", None), "fr")


@pytest.mark.parametrize("kind", list(Question))
def test_every_french_answer_prompt_is_read_as_an_answer_to_its_question(kind: Question) -> None:
    answers = french_parser().sentences.answers[kind.value]
    for said in french_parser().sentences.answer_prompts[kind.value]:
        intent = french_parser().parse(said)
        assert intent is not None and intent.name in answers, (said, intent)


def test_a_french_choice_is_prompted_as_a_french_speaker_says_it() -> None:
    question = OpenQuestion(Question.CHOOSE, ("crème fraîche épaisse", "pâté de campagne"))
    store = Vocabulary(("baguette",), frozenset({"baguette"}))

    answers = answer_vocabulary(question, french_parser(), store)
    prompt = build_prompt(answers, lambda text: len(text.split()), 200)

    assert answers.written[:2] == question.choices
    assert {"le deuxième", "la première", "n'importe lequel"} <= set(answers.written)
    assert prompt is not None
    assert prompt.startswith("Crème fraîche épaisse. Pâté de campagne. Le premier.")
    assert "Le moins cher." in prompt and "deuxieme" not in prompt
    assert {"deuxieme", "lequel", "baguette"} <= answers.words


def test_a_french_yes_or_no_is_prompted_with_its_elisions() -> None:
    answers = answer_vocabulary(OpenQuestion(Question.CONFIRM), french_parser(), Vocabulary(()))

    assert {"oui", "non merci", "c'est ça", "oui, s'il vous plaît"} <= set(answers.written)
    assert "ce est ca" not in answers.written and "ce est ca" in answers.phrases


def test_english_answers_are_still_prompted_in_normal_form() -> None:
    for kind in Question:
        answers = answer_vocabulary(OpenQuestion(kind, ("Whole Milk",)), parser(), Vocabulary(()))
        assert answers.written == ()


def test_a_prompt_cut_short_keeps_the_plainest_word_of_every_answering_intent() -> None:
    answers = answer_vocabulary(OpenQuestion(Question.CONFIRM), parser(), Vocabulary(()))

    prompt = build_prompt(answers, lambda text: len(text.split()) + 1, 60)

    assert prompt is not None
    assert prompt.startswith("Yes. No. Cancel. Undo.")
    assert "Stop." in prompt and "I forgot" not in prompt


def test_the_words_that_tell_two_choices_apart_answer_the_choice() -> None:
    question = OpenQuestion(Question.CHOOSE, ("Large White Eggs", "Large Brown Eggs"))

    said = answer_phrases(question, parser())

    assert {"the brown ones", "the white one"} <= set(said)
    assert "the large ones" not in said and "the eggs one" not in said


def test_one_choice_has_no_words_to_tell_it_apart() -> None:
    said = answer_phrases(OpenQuestion(Question.CHOOSE, ("Large Brown Eggs",)), parser())

    assert "the brown ones" not in said
