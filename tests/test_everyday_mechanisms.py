"""General mechanisms for what everyday shoppers say, each tried on phrasings of its own (not
the corpus's): lists said without separators, a purpose said first, words that wrap a request,
parts of a weight, a size said of the unit, prices of a count, fresh produce, regional words
said back, chatter before a request, short chat forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceshop.dialog.assistant import Assistant
from voiceshop.storage.database import ShopDatabase


def talk(db_path: Path, *said: str, store: str = "grocery") -> tuple[list[str], dict[str, int]]:
    """The replies to `said`, in order, and the cart after the last one."""
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "shopper", store)
        replies = [assistant.respond(text) for text in said]
        cart = {line.product_id: line.quantity for line in db.cart("shopper", store)}
        return [r.text for r in replies], cart


def intents(db_path: Path, *said: str) -> list[str | None]:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "shopper", "grocery")
        return [assistant.respond(text).intent for text in said]


@pytest.mark.parametrize(
    ("said", "cart"),
    [
        (
            "add three limes a bag of carrots and a jar of salsa",
            {"lime": 3, "carrots": 1, "medium-salsa": 1},
        ),
        ("a jar of salsa a bag of carrots", {"medium-salsa": 1, "carrots": 1}),
    ],
)
def test_a_count_and_unit_start_an_item_said_without_a_separator(
    db_path: Path, said: str, cart: dict[str, int]
) -> None:
    replies, got = talk(db_path, said)
    assert got == cart, replies


def test_a_pack_size_after_a_count_is_no_new_item(db_path: Path) -> None:
    replies, cart = talk(db_path, "grab me a twelve pack of coke")
    assert cart == {"coca-cola-classic": 1}, replies


def test_a_purpose_said_first_keeps_every_item(db_path: Path) -> None:
    said = "for the chili we need two cans of black beans, a jar of salsa and sour cream"
    replies, cart = talk(db_path, said)
    assert cart == {"black-beans": 2, "medium-salsa": 1, "sour-cream": 1}, replies


def test_one_item_not_carried_in_a_list_keeps_the_others(db_path: Path) -> None:
    said = "for a lasagna I'll need lasagna noodles, ricotta and a bag of shredded mozzarella"
    replies, cart = talk(db_path, said)
    assert cart == {"lasagna-noodles": 1, "shredded-mozzarella": 1}
    assert "doesn't carry ricotta" in replies[0]


@pytest.mark.parametrize(
    "said",
    ["two lemons and a lime, quick", "two lemons then, and a lime", "two lemons asap and a lime"],
)
def test_words_of_haste_and_wrapping_are_no_items(db_path: Path, said: str) -> None:
    replies, cart = talk(db_path, said)
    assert cart == {"lemon": 2, "lime": 1}
    assert "carry" not in replies[0]


def test_a_count_and_then_after_a_price_question_adds_the_product_asked_about(
    db_path: Path,
) -> None:
    _, cart = talk(db_path, "how much are the pork chops", "yeah, two packs then")
    assert cart == {"boneless-pork-chops": 2}


def test_a_price_asked_with_a_count_says_what_they_come_to(db_path: Path) -> None:
    replies, _ = talk(db_path, "how much would 4 avocados be")
    assert replies[0] == "4 Hass Avocados come to $5.16."


def test_a_price_of_a_count_of_what_was_just_talked_about(db_path: Path) -> None:
    replies, cart = talk(db_path, "what do limes cost", "and how much for five of them")
    assert "5 Limes come to" in replies[1]
    assert cart == {}


def test_undo_with_the_items_named_takes_them_out(db_path: Path) -> None:
    replies, cart = talk(db_path, "six bananas and a lime", "undo adding the bananas")
    assert cart == {"lime": 1}, replies
    assert replies[1].startswith("Removed 6 Bananas")


@pytest.mark.parametrize(
    ("said", "word"), [("a couple of mangoes", "mangoes"), ("one coconut", "coconut")]
)
def test_fresh_produce_only_sold_as_a_flavour_is_not_carried(
    db_path: Path, said: str, word: str
) -> None:
    replies, cart = talk(db_path, said)
    assert replies[0] == f"Green Basket Grocery doesn't carry {word}."
    assert cart == {}


def test_a_herb_said_alone_is_the_fresh_herb(db_path: Path) -> None:
    _, cart = talk(db_path, "and some dill please")
    assert cart == {"fresh-dill": 1}


def test_fruit_at_the_pharmacy_is_not_its_cough_drops(db_path: Path) -> None:
    replies, cart = talk(db_path, "a bag of lemons", store="pharmacy")
    assert "doesn't carry lemons" in replies[0]
    assert cart == {}


def test_a_regional_word_not_carried_is_said_back_as_said(db_path: Path) -> None:
    replies, _ = talk(db_path, "have you got any aubergines")
    assert replies[0] == "Green Basket Grocery doesn't carry aubergines."


@pytest.mark.parametrize(
    ("said", "product"),
    [("a bunch of white grapes", "green-grapes"), ("a cos lettuce", "romaine-hearts")],
)
def test_regional_produce_words(db_path: Path, said: str, product: str) -> None:
    _, cart = talk(db_path, said)
    assert list(cart) == [product]


def test_half_a_pound_is_a_weight_not_a_product(db_path: Path) -> None:
    replies, cart = talk(db_path, "can I get half a pound of the deli ham")
    assert cart == {"black-forest-ham": 1}, replies


def test_a_size_said_of_the_unit_is_no_product_word(db_path: Path) -> None:
    replies, cart = talk(db_path, "a big jar of peanut butter and a little tub of sour cream")
    assert cart.get("sour-cream") == 1, replies


def test_chatter_before_a_request_is_passed_over(db_path: Path) -> None:
    said = "Okay, where did I put my glasses. Two tins of black beans and a bag of carrots."
    replies, cart = talk(db_path, said)
    assert cart == {"black-beans": 2, "carrots": 1}, replies


def test_a_number_before_a_measure_swaps_the_item_not_its_count(db_path: Path) -> None:
    said = ("a twelve pack of coke", "actually make it a 2 liter instead")
    assert intents(db_path, *said)[1] == "Choose"


def test_a_thing_said_for_it_after_the_item_is_no_product(db_path: Path) -> None:
    replies, _ = talk(db_path, "a pack of bangers for the grill")
    assert "Did you mean" in replies[0] and "Sausage" in replies[0]


@pytest.mark.parametrize(("said", "name"), [("thx", "Thanks"), ("ok thx", "Thanks")])
def test_chat_short_forms(db_path: Path, said: str, name: str) -> None:
    assert intents(db_path, said) == [name]


def test_chat_short_form_inside_a_request(db_path: Path) -> None:
    _, cart = talk(db_path, "pls add 2 limes")
    assert cart == {"lime": 2}


@pytest.mark.parametrize(
    "said", ["alright, done now", "ok, all done now", "right, done now thanks"]
)
def test_done_with_a_word_before_it_checks_out(db_path: Path, said: str) -> None:
    assert intents(db_path, "two limes", said) == ["AddItems", "Checkout"]


def test_a_new_count_said_with_instead_changes_the_count(db_path: Path) -> None:
    replies, cart = talk(db_path, "a couple of limes", "hmm make it 5 instead")
    assert cart == {"lime": 5}, replies


def test_an_item_not_carried_alone_between_commas_is_said(db_path: Path) -> None:
    replies, cart = talk(db_path, "a lime, tahini, and two lemons")
    assert cart == {"lime": 1, "lemon": 2}
    assert "doesn't carry tahini" in replies[0]


def test_some_of_a_thing_not_carried_is_said_without_a_verb(db_path: Path) -> None:
    replies, _ = talk(db_path, "two limes", "and some tequila too")
    assert replies[1] == "Green Basket Grocery doesn't carry tequila."


@pytest.mark.parametrize("said", ["a box of crackers", "some crackers please"])
def test_a_kind_several_products_are_is_a_choice(db_path: Path, said: str) -> None:
    replies, cart = talk(db_path, said)
    assert replies[0].startswith("Did you mean Ritz Crackers")
    assert "Saltine Crackers" in replies[0]
    assert cart == {}


def test_a_name_said_as_the_store_writes_it_is_no_choice(db_path: Path) -> None:
    _, cart = talk(db_path, "a gallon of hole milk")
    assert cart == {"whole-milk": 1}


@pytest.mark.parametrize("said", ["a loaf of 12 grain bread", "a gallon of three percent milk"])
def test_a_number_in_a_name_the_store_writes_otherwise_is_not_carried(
    db_path: Path, said: str
) -> None:
    replies, cart = talk(db_path, said)
    assert "doesn't carry" in replies[0] and "Did you mean" not in replies[0]
    assert cart == {}


def test_a_number_in_a_name_the_store_writes_is_found(db_path: Path) -> None:
    _, cart = talk(db_path, "and the 21 grain bread")
    assert cart == {"whole-grains-and-seeds-bread": 1}


@pytest.mark.parametrize("said", ["k check me out", "kk checkout pls"])
def test_a_chat_ok_first_is_no_product(db_path: Path, said: str) -> None:
    assert intents(db_path, "two limes", said) == ["AddItems", "Checkout"]


def test_when_said_after_an_item_is_no_product(db_path: Path) -> None:
    replies, cart = talk(db_path, "a bag of carrots this time, and two limes")
    assert cart == {"carrots": 1, "lime": 2}
    assert "carry" not in replies[0]
