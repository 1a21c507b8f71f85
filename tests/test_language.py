"""Normal form and spoken numbers."""

from __future__ import annotations

import pytest

from voiceshop.language import Normalizer, load_language

NORMALIZER = Normalizer(load_language())


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        (
            "Add 2 cartons of Organic Whole Milk & a dozen eggs!",
            "add two cartons of organic whole milk and a dozen eggs",
        ),
        (
            "I'd like a 12oz latte w/ 2% milk",
            "i would like a twelve ounce latte with two percent milk",
        ),
        ("What's in my cart?", "what is in my cart"),
        ("Annie's Mac & Cheese", "annies mac and cheese"),
        ("Café Crème 1.5 lb", "cafe creme one point five pound"),
        ("1,205 items", "one thousand two hundred five items"),
        ("Twelve-ounce coffee", "twelve ounce coffee"),
        ("Vitamin D 1000 IU", "vitamin d one thousand iu"),
        ("a lb of tilapia", "a pound of tilapia"),
        ("the lb key", "the lb key"),
        ("80/20 ground beef", "eighty percent ground beef"),
        ("1/2 gallon", "one over two gallon"),
        ("open 24/7", "open twenty four over seven"),
        ("Two bangers, and some semi-skimmed", "two sausages and some two percent"),
        ("a courgette and the wholemeal loaf", "a zucchini and the whole wheat loaf"),
        ("semi dry white wine", "semi dry white wine"),
    ],
)
def test_normal_form(text: str, normal: str) -> None:
    assert NORMALIZER.normalize(text) == normal


def test_commas_can_be_kept_as_words() -> None:
    assert NORMALIZER.normalize("milk, eggs", keep_commas=True) == "milk , eggs"


@pytest.mark.parametrize(
    ("said", "count"),
    [
        ("two hundred and five", (205, 4)),
        ("a dozen eggs", (12, 2)),
        ("two dozen eggs", (24, 2)),
        ("a couple of apples", (2, 3)),
        ("half a dozen", (6, 3)),
        ("a hundred bananas", (100, 2)),
        ("a thousand", (1000, 2)),
        ("twenty four cans", (24, 2)),
        ("twelve", (12, 1)),
        ("six hundred thousand", (600000, 3)),
        ("one two", (1, 1)),
        ("apples", None),
        ("and five", None),
    ],
)
def test_counts(said: str, count: tuple[int, int] | None) -> None:
    assert NORMALIZER.numbers.parse_count(said.split()) == count


@pytest.mark.parametrize(
    ("said", "reading"),
    [
        ("six million", 6),
        ("two thousand eggs", 2),
        ("six hundred thousand", None),
        ("one hundred fifty", None),
        ("a thousand", 1),
        ("sixty", None),
    ],
)
def test_scaled_readings_of_counts_too_large(said: str, reading: int | None) -> None:
    assert NORMALIZER.numbers.scaled_reading(said.split(), 99) == reading


@pytest.mark.parametrize("number", [0, 7, 13, 40, 99, 100, 105, 1205, 20000, 600000, 1000000])
def test_numbers_round_trip_through_words(number: int) -> None:
    words = NORMALIZER.numbers.to_words(number).split()
    assert NORMALIZER.numbers.parse_number(words) == (number, len(words))
