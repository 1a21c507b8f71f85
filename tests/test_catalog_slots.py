"""The grammar's and the catalog's proposals of where a transcript may be misheard."""

from __future__ import annotations

from functools import cache

import pytest

from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.storage.stores import open_store


@cache
def vocabulary(store_name: str) -> Vocabulary:
    store = open_store(store_name, None)
    matcher = ProductMatcher(store, Normalizer(load_language()))
    return store_vocabulary(store, IntentParser(store, products=matcher))


def proposals(store_name: str, text: str) -> list[tuple[str, tuple[str, ...], bool]]:
    find = vocabulary(store_name).reader.misheard
    assert find is not None
    return [(text[s.start : s.end], s.choices, s.heard_may_stay) for s in find(text)]


def test_an_unclear_product_phrase_gets_the_closest_names_and_may_stay() -> None:
    (found,) = proposals("grocery", "Add two cartons of organic oatmilk, please.")

    heard, choices, may_stay = found
    assert heard == "organic oatmilk"
    assert "organic whole milk" in choices
    assert may_stay


def test_clear_product_phrases_are_left_alone() -> None:
    assert proposals("grocery", "add a loaf of sourdough bread") == []


def test_names_holding_every_heard_word_are_not_read_back() -> None:
    """The word "eggs" was heard right; which eggs is for the shopper to say, not the audio."""
    assert proposals("grocery", "add a dozen eggs") == []


def test_names_made_only_of_heard_words_are_not_read_back() -> None:
    """Reading fewer of the heard words is no sign that they were misheard."""
    (found,) = proposals("grocery", "add some organic bananas please")
    heard, choices, _ = found
    assert heard == "organic bananas"
    assert "banana" not in choices
    assert choices


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        ("May I have a dull shot of drip coffee?", "dull shot"),
        ("a latte with home milk", "home milk"),
    ],
)
def test_misheard_option_phrases_are_proposed_as_surely_wrong(text: str, heard: str) -> None:
    (found,) = proposals("coffee", text)

    assert found[0] == heard
    assert found[2] is False


def test_unclear_product_phrases_give_names_for_a_second_reading() -> None:
    vocabulary_ = vocabulary("grocery")
    assert vocabulary_.reader is not None

    names = vocabulary_.reader.names_for("Add two cartons of organic oatmilk, please.")

    assert "Oat Milk" in names
    assert 1 < len(names) <= 12
    assert vocabulary_.reader.names_for("add a loaf of sourdough bread") == ()
    assert vocabulary_.reader.names_for("add a dozen eggs") == (), (
        "heard right; which eggs is asked"
    )


def test_a_second_reading_lends_only_its_product_phrases() -> None:
    find = vocabulary("grocery").reader.with_products_of
    assert find is not None

    taken = find("Add two cartons of organic oatmilk, please.", "Add two cartons of oat milk.")

    assert taken == "Add two cartons of oat milk, please."
    assert find("Add two cartons of oatmilk.", "And two cartoons of oat milk.") == (
        "Add two cartons of oatmilk."
    ), "the second reading heard no carton: it is not the same request"
    assert find("add oatmilk", "add oat milk and eggs") == "add oatmilk", "not the same items"


def test_a_word_written_for_a_count_before_an_uncounted_product_is_read_back_as_the_number() -> (
    None
):
    found = proposals("grocery", "I need to robusto coffee beans.")

    assert ("to", ("two",), True) in found


@pytest.mark.parametrize("text", ["I want to buy bananas", "add two cartons of organic whole milk"])
def test_a_count_is_not_offered_where_none_may_be_misheard(text: str) -> None:
    assert not [heard for heard, choices, _ in proposals("grocery", text) if choices == ("two",)]
