"""Lists said without "and" or a pause between items: a count that starts an item splits the
list when the pieces name products better than the whole (`ItemListReader._split_run_ons`)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest

from voiceshop.intents.items import ItemListReader
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.stores import open_store


@cache
def grocery_parser() -> IntentParser:
    store = open_store("grocery", None)
    return IntentParser(store, products=ProductMatcher(store, Normalizer(load_language())))


def items_of(text: str) -> list[tuple[str, int | None, str]]:
    intent = grocery_parser().parse(text)
    assert intent is not None and intent.name == "AddItems", f"not an order: {text!r}"
    return [(item.phrase, item.quantity, item.unit) for item in intent.items]


@pytest.fixture
def run_ons_off() -> Iterator[None]:
    ItemListReader.split_run_ons = False
    yield
    ItemListReader.split_run_ons = True


def test_articles_start_new_items() -> None:
    phrases = [phrase for phrase, _, _ in items_of("grab me an onion a pepper and some garlic")]
    assert phrases == ["onion", "pepper", "garlic"]


def test_counts_and_units_start_new_items() -> None:
    assert items_of("i need two lemons three limes a bag of spinach") == [
        ("lemons", 2, ""),
        ("limes", 3, ""),
        ("spinach", 1, "bag"),
    ]


def test_a_count_inside_a_name_or_after_a_unit_stays() -> None:
    assert items_of("add a bag of two percent") == [("two percent", 1, "bag")]
    assert items_of("can i get a three musketeers") == [("three musketeers", 1, "")]
    assert items_of("add milk two percent") == [("milk two percent", None, "")]


def test_a_count_with_no_product_after_it_stays_with_the_item() -> None:
    assert items_of("add chicken soup two cans")[0][0].startswith("chicken soup")
    assert items_of("throw in two dozen eggs") == [("eggs", 2, "dozen")]


@pytest.mark.usefixtures("run_ons_off")
def test_the_lever_off_keeps_one_item() -> None:
    assert len(items_of("grab me an onion a pepper and some garlic")) == 2
