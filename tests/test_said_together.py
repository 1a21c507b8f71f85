"""Two items whose words, joined, name one product of the real 50k catalog: the agent asks
whether one product or two were meant."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tests.conftest import CATALOG_DIR, require_shared
from voiceshop.catalog.instacart import read_instacart
from voiceshop.catalog.model import Store
from voiceshop.dialog.manager import DialogManager
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.storage.database import ShopDatabase

pytestmark = pytest.mark.slow
QUESTION = (
    "Did you mean one item, Minced Garlic in Extra Virgin Olive Oil, or minced garlic and extra"
    " virgin olive oil as separate items?"
)


@cache
def instacart() -> tuple[Store, ProductMatcher]:
    products = require_shared(CATALOG_DIR / "products.csv")
    store = read_instacart(products, store_id="instacart", name="Instacart")
    return store, ProductMatcher(store, Normalizer(load_language()))


@cache
def instacart_vocabulary() -> Vocabulary:
    store, matcher = instacart()
    return store_vocabulary(store, IntentParser(store, products=matcher), matcher)


def name_of(product_id: str | None) -> str:
    store, _ = instacart()
    product = store.product(product_id) if product_id else None
    return product.name if product else ""


def together(first: str, second: str) -> str | None:
    """The name of the one product `first` and `second` said with "and" between them name."""
    _, matcher = instacart()
    whole = matcher.together(first, "and", second)
    return whole.product.name if whole else None


def test_the_matcher_names_a_product_said_with_and_inside() -> None:
    assert together("minced garlic", "extra virgin olive oil") == (
        "Minced Garlic in Extra Virgin Olive Oil"
    )
    assert together("bread", "butter") is None
    assert together("milk", "eggs") is None
    assert together("minced garlic", "bananas") is None


def test_a_misheard_name_with_and_heard_inside_is_asked_about() -> None:
    """ "Snackimals" heard as "snack and most": one phrase has a word its best product lacks,
    and the whole's product holds words of both; general words alone ("chips") are two items."""
    assert together("organic snack", "most chocolate crisp cereal") == (
        "Organic Snackimals Chocolate Crisp Cereal"
    )
    assert together("chips", "salsa") is None
    assert together("beef", "parmesan") is None


@pytest.fixture
def dialog(tmp_path: Path) -> DialogManager:
    store, matcher = instacart()
    return DialogManager(store, ShopDatabase(tmp_path / "shop.db"), matcher=matcher)


def cart(dialog: DialogManager) -> dict[str, int]:
    return {name_of(line.product_id): line.quantity for line in dialog.cart}


def test_yes_takes_the_one_product(dialog: DialogManager) -> None:
    reply = dialog.respond("add bananas, minced garlic and extra virgin olive oil").text
    assert reply.startswith("Added 1 Bananas.")
    assert reply.endswith(QUESTION)
    assert cart(dialog) == {"Bananas": 1}

    dialog.respond("yes")
    assert cart(dialog) == {"Bananas": 1, "Minced Garlic in Extra Virgin Olive Oil": 1}


@pytest.mark.parametrize("answer", ["one item", "just one", "the first"])
def test_one_item_takes_the_one_product(dialog: DialogManager, answer: str) -> None:
    dialog.respond("add minced garlic and extra virgin olive oil")

    dialog.respond(answer)
    assert cart(dialog) == {"Minced Garlic in Extra Virgin Olive Oil": 1}


def test_an_unclear_answer_is_asked_for_again(dialog: DialogManager) -> None:
    dialog.respond("add minced garlic and extra virgin olive oil")

    assert dialog.respond("the third").text == "Please say one item, or separate items."
    assert dialog.respond("separately").text.startswith("Added 1 Minced Garlic and 1 Extra")


@pytest.mark.parametrize("answer", ["no", "the second one", "separate items", "both", "two"])
def test_no_or_the_second_takes_both_items(dialog: DialogManager, answer: str) -> None:
    assert dialog.respond("add two minced garlic and extra virgin olive oil").text == QUESTION

    dialog.respond(answer)
    assert cart(dialog) == {"Minced Garlic": 2, "Extra Virgin Olive Oil": 1}


def test_items_that_only_partly_name_another_product_are_two(dialog: DialogManager) -> None:
    dialog.respond("add bread and butter")
    assert cart(dialog) == {"Bread": 1, "Butter": 1}


def test_a_second_count_or_a_count_too_large_leaves_the_items_apart(dialog: DialogManager) -> None:
    dialog.respond("add minced garlic and two extra virgin olive oil")
    assert cart(dialog) == {"Minced Garlic": 1, "Extra Virgin Olive Oil": 2}

    reply = dialog.respond("add a thousand minced garlic and extra virgin olive oil").text
    assert "1,000 is more than I can add at once" in reply
    assert cart(dialog) == {"Minced Garlic": 1, "Extra Virgin Olive Oil": 3}


def test_items_joined_by_and_are_read_back_as_one_name_with_its_twins() -> None:
    """ "Snug & Dry Size 6 Diaper" heard as two items, "smurf" and "dry side six skybird": the
    second reading's prompt names the product whole, singular and plural, and the reading that
    says it whole replaces both items."""
    vocabulary = instacart_vocabulary()
    assert vocabulary.reader is not None
    heard = "I would like three smurf and dry side six skybird."

    names = vocabulary.reader.names_for(heard)

    assert {"Snug & Dry Size 6 Diaper", "Snug & Dry Size 6 Diapers"} <= set(names)
    assert vocabulary.reader.with_products_of(
        heard, "I'd like three Snug & Dry Size 6 Diaper."
    ) == ("I would like three snug and dry size six diaper.")
    assert (
        vocabulary.reader.with_products_of(heard, "I'd like two Snug & Dry Size 6 Diaper.") == heard
    ), "not the same count"


def test_a_count_heard_inside_the_product_words_comes_with_the_second_reading() -> None:
    """ "a Men's" heard as "amends": the second reading's count and words replace them."""
    vocabulary = instacart_vocabulary()
    assert vocabulary.reader is not None
    heard = "I'd like amends whole and thick shampoo and conditioners."

    taken = vocabulary.reader.with_products_of(
        heard, "I'd like a Men's Whole & Thick Shampoo & Conditioner."
    )

    assert taken == "I'd like a Men's Whole & Thick Shampoo & Conditioner."
    assert (
        vocabulary.reader.with_products_of(
            "I need free disease for a lot of purpose and with lids.",
            "I need 3D Z Foil All Purpose Pan With Lids.",
        )
        == "I need 3D Z Foil All Purpose Pan With Lids."
    ), "the count inside the first word"


def test_a_product_with_a_twin_gets_a_reading_with_the_twins_name() -> None:
    """The audio, read back, chooses between twins: the prompt that held both names does not."""
    vocabulary = instacart_vocabulary()
    assert vocabulary.reader is not None

    readings = vocabulary.reader.twin_readings("I'd like three snug and dry size six diapers.")

    assert readings == ("I'd like three snug and dry size six diaper.",)
    assert vocabulary.reader.twin_readings("add minced garlic in extra virgin olive oil") == ()


def test_names_only_spelled_alike_are_in_the_second_readings_prompt() -> None:
    """A weak likeness is for the audio to judge, not for the agent to offer."""
    vocabulary = instacart_vocabulary()
    assert vocabulary.reader is not None

    names = vocabulary.reader.names_for("put three funny lemon calf raps in my cart")

    assert "Honey Lemon Cough Drops" in names


def test_a_phrase_before_an_and_the_second_reading_does_not_hear_is_reread_too() -> None:
    """ "Organic Cotton Tampons" heard as "organic cat and tempan's": both phrases take the second
    reading's words (here as the one name the second reading says, "Organic Cotton Tampons,
    Super Plus Absorbency"); where it hears the "and" as well, only the unclear phrase does."""
    vocabulary = instacart_vocabulary()
    assert vocabulary.reader is not None
    heard = "I need free organic cat and tempan's super plus unsorbency."

    without_and = vocabulary.reader.with_products_of(
        heard, "I need 3 organic cotton Tampons, Super Plus Absorbency."
    )
    with_and = vocabulary.reader.with_products_of(
        heard, "I need 3 organic cats and super plus absorbency."
    )

    assert without_and == "I need free organic cotton tampons super plus absorbency."
    assert with_and == "I need free organic cat and super plus absorbency."
