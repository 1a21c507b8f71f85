"""Word errors count numbers as numbers: a number said in words and the same number written in
digits are one and the same word."""

from __future__ import annotations

import pytest

from support.stats import spoken_words, word_error_rate, word_errors
from voiceshop.language import Normalizer, load_language


@pytest.fixture(scope="module")
def english() -> Normalizer:
    return Normalizer(load_language("en"))


@pytest.mark.parametrize(
    ("said", "heard"),
    [
        ("my code is one two three four", "My code is 1234."),
        ("one thousand two hundred thirty four", "1234"),
        ("add two apples", "Add 2 apples."),
        ("no, make it three", "No make it 3"),
        ("it's twenty nine cents", "It's 29 cents."),
        ("twelve thirty-four", "1234"),
        ("five six seven eight", "56 78"),
    ],
)
def test_a_number_in_words_and_in_digits_is_the_same_word(
    said: str, heard: str, english: Normalizer
) -> None:
    assert spoken_words(said, english) == spoken_words(heard, english)
    assert word_errors(spoken_words(said, english), spoken_words(heard, english)) == 0


def test_another_number_is_one_wrong_word(english: Normalizer) -> None:
    said, heard = spoken_words("add two apples", english), spoken_words("add 3 apples", english)
    assert word_errors(said, heard) == 1
    assert word_error_rate(said, heard) == pytest.approx(1 / 3)


def test_numbers_apart_stay_apart(english: Normalizer) -> None:
    apples_and_pears = ["2", "apples", "and", "3", "pears"]
    assert spoken_words("two apples and three pears", english) == apples_and_pears
    assert word_errors(spoken_words("1234", english), spoken_words("12 and 34", english)) == 3


def test_words_that_are_no_numbers_stay_as_the_language_writes_them(english: Normalizer) -> None:
    assert spoken_words("A dozen eggs, please!", english) == ["a", "dozen", "eggs", "please"]


def test_other_languages_read_their_own_numbers() -> None:
    french = Normalizer(load_language("fr"))
    assert spoken_words("ajoute deux litres de lait", french) == spoken_words(
        "Ajoute 2 litres de lait.", french
    )
    assert spoken_words("soixante et onze", french) == ["71"]
