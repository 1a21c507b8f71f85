"""How replies agree with counts, and how choices are told apart by the words said."""

from __future__ import annotations

import pytest

from voiceshop.dialog.choices import told_apart
from voiceshop.dialog.replies import Replies
from voiceshop.storage.stores import open_store


@pytest.fixture(scope="module")
def replies() -> Replies:
    return Replies(open_store("grocery", None))


@pytest.mark.parametrize(
    ("noun", "count", "said"),
    [
        ("Banana", 6, "Bananas"),
        ("Banana", 1, "Banana"),
        ("loaf", 2, "loaves"),
        ("carton", 1, "carton"),
        ("Tomatoes", 3, "Tomatoes"),
        ("Butter", 2, "Butter"),
        ("Combo", 2, "Combos"),
        ("Strawberry", 2, "Strawberries"),
        ("Turkey", 2, "Turkeys"),
        ("Burrito", 4, "Burritos"),
        ("Potato", 5, "Potatoes"),
        ("Leaf", 2, "Leaves"),
        ("Glass", 2, "Glasses"),
        ("Peach", 3, "Peaches"),
        ("Oats", 2, "Oats"),
        ("Salmon", 2, "Salmon"),
        ("IPA", 2, "IPAs"),
        ("PEACH", 2, "PEACHES"),
        ("oz", 12, "oz"),
    ],
)
def test_nouns_agree_with_their_count(replies: Replies, noun: str, count: int, said: str) -> None:
    assert replies.counted(noun, count) == said


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("Banana", "a Banana"),
        ("apple", "an apple"),
        ("Organic Milk", "an Organic Milk"),
        ("Unsweetened Tea", "an Unsweetened Tea"),
        ("Unicorn Cake", "a Unicorn Cake"),
        ("European Butter", "a European Butter"),
        ("hour", "an hour"),
        ("Honey", "a Honey"),
    ],
)
def test_the_article_follows_the_sound_of_the_word(replies: Replies, word: str, said: str) -> None:
    assert replies.article(word) == said


def test_a_language_without_articles_names_products_bare() -> None:
    assert Replies(open_store("epicerie", None), "fr").article("Baguette") == "Baguette"


def test_a_product_name_agrees_by_its_last_word(replies: Replies) -> None:
    assert replies.counted_name("Hass Avocado", 3) == "Hass Avocados"
    assert replies.counted_name("Roma Tomatoes", 1) == "Roma Tomatoes"


EGGS = [
    ["green", "basket", "large", "white", "egg"],
    ["green", "basket", "large", "brown", "egg"],
    ["eggland", "best", "organic", "brown", "egg"],
]


@pytest.mark.parametrize(
    ("said", "told"),
    [
        (["brown"], [1, 2]),
        (["organic"], [2]),
        (["white"], [0]),
        (["egg"], []),
        (["brown", "lemon", "lime"], []),
        (["real", "brown"], [1, 2]),
        (["larg", "brown"], [1]),
    ],
)
def test_choices_are_told_apart_by_the_words_only_some_have(
    said: list[str], told: list[int]
) -> None:
    assert told_apart(said, EGGS) == told
