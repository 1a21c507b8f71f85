"""What everyday shoppers say, read on the bundled stores and (slow) on the real Instacart
catalog: numbers inside names, sane counts, commas, products the store does not carry."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tests.conftest import CATALOG_DIR, require_shared
from voiceshop.catalog.instacart import read_instacart
from voiceshop.catalog.model import Product, Store
from voiceshop.dialog.manager import DialogManager
from voiceshop.intents.model import Intent
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import open_store


@cache
def shop(store_name: str) -> tuple[IntentParser, ProductMatcher]:
    store = instacart() if store_name == "instacart" else open_store(store_name, None)
    matcher = ProductMatcher(store, Normalizer(load_language()))
    return IntentParser(store, products=matcher), matcher


def instacart() -> Store:
    products_csv = require_shared(CATALOG_DIR / "products.csv")
    return read_instacart(products_csv, store_id="instacart", name="Instacart")


def parsed(store_name: str, text: str) -> Intent:
    intent = shop(store_name)[0].parse(text)
    assert intent is not None, f"not understood: {text!r}"
    return intent


COMMANDS = [
    ("what's in my card", "ReadCart"),
    ("what's in my car", "ReadCart"),
    ("whats in my cart", "ReadCart"),
    ("check out", "Checkout"),
    ("undo", "Undo"),
]


@pytest.mark.parametrize(("text", "name"), COMMANDS)
def test_commands_are_requests_at_the_grocery(text: str, name: str) -> None:
    assert parsed("grocery", text).name == name


@pytest.mark.slow
@pytest.mark.parametrize(("text", "name"), COMMANDS)
def test_commands_are_requests_in_the_instacart_catalog(text: str, name: str) -> None:
    assert parsed("instacart", text).name == name


def items(store_name: str, text: str) -> list[tuple[str, int | None, str]]:
    return [(item.phrase, item.quantity, item.unit) for item in parsed(store_name, text).items]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("add two percent milk", [("two percent milk", None, "")]),
        ("add 2% milk", [("two percent milk", None, "")]),
        ("add 2 percent milk", [("two percent milk", None, "")]),
        ("add 1% milk", [("one percent milk", None, "")]),
        ("a gallon of two percent", [("two percent", 1, "gallon")]),
        ("add two 2% milks", [("two percent milks", 2, "")]),
        ("add two gallons of 2% milk", [("two percent milk", 2, "gallon")]),
        ("add one milk", [("milk", 1, "")]),
        ("add 3 bananas", [("bananas", 3, "")]),
        ("add 2 kiwis", [("kiwis", 2, "")]),
        ("add a dozen eggs", [("eggs", 1, "dozen")]),
        ("a twelve pack of coke", [("coke", 1, "pack")]),
        ("two 12 packs of diet coke", [("diet coke", 2, "pack")]),
        ("two 12 oz cans of soup", [("soup", 2, "can")]),
        ("a 5 pound bag of flour", [("flour", 1, "bag")]),
        ("a pint of blueberries", [("blueberries", 1, "pint")]),
        ("6 ears of corn", [("sweet corn", 6, "ear")]),  # the corn sold by the ear
        ("grab a bottle of vodka too", [("vodka", 1, "bottle")]),
        ("and add a gallon of 1% instead", [("one percent", 1, "gallon")]),
        ("two lottery tickets", [("lottery tickets", 2, "")]),
        ("may i have a drip coffee or", [("drip coffee", 1, "")]),
    ],
)
def test_numbers_in_names_and_counts_at_the_grocery(text: str, read: list) -> None:
    assert items("grocery", text) == read


def test_two_percent_milk_is_one_of_the_two_percent_milk() -> None:
    matcher = shop("grocery")[1]
    for text in ("add two percent milk", "add 2% milk", "add a gallon of two percent"):
        (item,) = parsed("grocery", text).items
        assert matcher.match(item.phrase).candidates[0].product.name == "2% Milk"
        assert item.quantity in (None, 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("add two percent milk", "2 Percent Milk"),
        ("add 7 grain bread", "7 Grain Bread"),
        ("add 7 up", "7UP"),
        ("add 3 musketeers", "3 Musketeers"),
        ("add two 7 up", "7UP"),
    ],
)
def test_numbers_in_instacart_names(text: str, name: str) -> None:
    (item,) = parsed("instacart", text).items
    assert shop("instacart")[1].match(item.phrase).candidates[0].product.name == name
    assert item.quantity == (2 if text.startswith("add two 7") else None)


@pytest.mark.slow
def test_a_percentage_is_never_a_count_in_instacart() -> None:
    (item,) = parsed("instacart", "add 40% greek yogurt").items
    assert (item.phrase, item.quantity) == ("forty percent greek yogurt", None)


@pytest.mark.parametrize(
    ("text", "quantity", "sane"),
    [
        ("add six million buns", 6_000_000, 6),
        ("add $6 million bun", 6_000_000, 6),
        ("add 150 apples", 150, None),
        ("add a hundred apples", 100, 1),
    ],
)
def test_counts_no_store_sells_are_flagged_with_a_sane_reading(
    text: str, quantity: int, sane: int | None
) -> None:
    (item,) = parsed("grocery", text).items
    assert (item.quantity, item.implausible, item.sane_quantity) == (quantity, True, sane)


def test_counts_a_store_sells_are_not_flagged() -> None:
    (item,) = parsed("grocery", "add 99 apples").items
    assert (item.quantity, item.implausible, item.sane_quantity) == (99, False, None)


def comma_names_shop() -> IntentParser:
    """A shop whose catalog writes some names with commas, as Instacart does."""
    names = [
        "Cheese, Medium Cheddar",
        "Cheese",
        "Medium Cheddar",
        "Muffin Mix, Almond Flour, Banana",
        "Blueberry Muffin Mix",
        "Bread",
        "Butter",
        "Butter Bread",
        "Milk",
        "Chicken Broth",
        "Whole Chicken",
        "Vegetable Broth",
        "Strawberry Yogurt",
        "Vanilla Yogurt",
        "Strawberries",
    ]
    products = tuple(Product(str(n), name) for n, name in enumerate(names))
    matcher = ProductMatcher(Store("commas", "Commas", products), Normalizer(load_language()))
    return IntentParser(products=matcher)


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("add cheese, medium cheddar", ["cheese medium cheddar"]),
        ("add muffin mix, almond flour, banana", ["muffin mix almond flour banana"]),
        ("add bread, butter", ["bread", "butter"]),
        ("add milk, cheese, bread", ["milk", "cheese", "bread"]),
        ("add chicken, broth", ["chicken broth"]),
        ("add milk, strawberry yogurt", ["milk", "strawberry yogurt"]),
        ("four yogurts, strawberry", ["yogurts strawberry"]),
        ("add cheese, two medium cheddar", ["cheese", "medium cheddar"]),
    ],
)
def test_a_comma_separates_items_unless_the_catalog_writes_it_in_one_name(
    text: str, phrases: list[str]
) -> None:
    intent = comma_names_shop().parse(text)
    assert intent is not None
    assert [item.phrase for item in intent.items] == phrases


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("add cheese, medium cheddar", ["Cheese, Medium Cheddar"]),
        ("add muffin mix, almond flour, banana", ["Muffin Mix, Almond Flour, Banana"]),
        ("add milk, eggs, bread", ["Milk", "Eggs", "Bread"]),
        ("add bread, butter", ["Bread", "Butter"]),
    ],
)
def test_commas_in_instacart_names(text: str, names: list[str]) -> None:
    matcher = shop("instacart")[1]
    found = [matcher.product_name(item.phrase) for item in parsed("instacart", text).items]
    assert found == names


@pytest.mark.parametrize("phrase", ["wine", "organic kiwi", "tofu", "lottery tickets"])
def test_what_the_catalog_cannot_explain_is_not_carried(phrase: str) -> None:
    matcher = shop("grocery")[1]
    result = matcher.match(phrase)
    assert (result.outcome, result.candidates) == (MatchOutcome.NOT_FOUND, ())
    assert matcher.widened(result) == result


@pytest.mark.parametrize(
    ("phrase", "name"), [("hole milk", "Whole Milk"), ("sour dough bread", "Sourdough Bread")]
)
def test_misheard_words_the_catalog_explains_are_still_found(phrase: str, name: str) -> None:
    result = shop("grocery")[1].match(phrase)
    assert result.outcome is MatchOutcome.CONFIDENT
    assert result.candidates[0].product.name == name


def test_a_bottle_of_wine_at_the_grocery_is_not_found_without_a_question(tmp_path: Path) -> None:
    database = ShopDatabase(tmp_path / "shop.db")
    dialog = DialogManager(open_store("grocery", None), database, matcher=shop("grocery")[1])
    reply = dialog.respond("add a bottle of wine")
    assert "wine" in reply.text
    assert dialog.state.pending is None
    assert dialog.cart == []


@pytest.mark.parametrize(
    ("phrase", "name"),
    [("jif crunchy", "Crunchy Peanut Butter"), ("tillamook cheddar", "Sharp Cheddar Cheese")],
)
def test_the_one_product_holding_every_said_word_is_taken(phrase: str, name: str) -> None:
    result = shop("grocery")[1].match(phrase)
    assert result.outcome is MatchOutcome.CONFIDENT
    assert result.candidates[0].product.name == name


@pytest.mark.parametrize("phrase", ["water", "syrup", "eggs"])
def test_a_word_several_products_hold_is_still_asked_about(phrase: str) -> None:
    assert shop("grocery")[1].match(phrase).outcome is MatchOutcome.AMBIGUOUS
