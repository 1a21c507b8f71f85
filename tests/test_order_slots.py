"""Places of a coffee order whose words are not what the grammar expects there: a bare add-on
where the drink should be, unknown words where an add-on should be; and the amounts' followers."""

from __future__ import annotations

from functools import cache

from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.storage.stores import open_store


@cache
def coffee() -> Vocabulary:
    store = open_store("coffee", None)
    matcher = ProductMatcher(store, Normalizer(load_language()))
    return store_vocabulary(store, IntentParser(store, products=matcher))


def proposals(text: str) -> list[tuple[str, tuple[str, ...], bool]]:
    find = coffee().reader.misheard
    assert find is not None
    return [(text[s.start : s.end], s.choices, s.heard_may_stay) for s in find(text)]


def test_a_bare_add_on_where_the_drink_should_be_is_offered_the_drinks() -> None:
    (found,) = proposals("I'd like a double shot milk with cream.")

    heard, choices, may_stay = found
    assert heard == "milk"
    assert "mocha" in choices
    assert "iced coffee" not in choices
    assert may_stay


def test_add_ons_alone_or_after_a_named_drink_are_left_alone() -> None:
    assert proposals("add milk") == []
    assert proposals("give me a large with milk") == []
    assert proposals("a double shot latte, milk and sugar") == []


def test_unknown_words_after_with_are_offered_the_add_ons_instead_of_drinks() -> None:
    ((heard, choices, may_stay),) = proposals("Get me a dark roast, house coffee with holder.")

    assert heard == "holder"
    assert {"whole milk", "cream", "sweetener"} <= set(choices)
    assert "house coffee" not in choices
    assert not may_stay


def test_unknown_words_after_with_take_an_add_on_end_along() -> None:
    ((heard, choices, may_stay),) = proposals("an iced mocha, with sweet milk.")

    assert heard == "sweet milk"
    assert {"soy milk", "sweetener", "sugar"} <= set(choices), "a milk misheard, or an add-on"
    assert not may_stay


def test_with_and_a_drink_before_any_drink_was_named_is_the_drink_misheard() -> None:
    ((heard, choices, may_stay),) = proposals("I have a single shot with coffee, and sugar.")

    assert heard == "with coffee"
    assert set(choices) == {"coffee", "drip coffee", "house coffee", "iced coffee"}
    assert not may_stay
    assert proposals("a latte with coffee") == []


def test_a_number_before_ounce_that_is_no_size_stands_for_the_size_it_sounds_like() -> None:
    ((heard, choices, may_stay),) = proposals("Can I get a sixty ounce, triple shot coffee?")

    assert heard == "sixty ounce"
    assert "sixteen ounce" in choices
    assert not may_stay


def test_words_after_an_amount_keep_the_amounts_own_proposal() -> None:
    ((heard, choices, may_stay),) = proposals("I'd like a drip coffee with a bit of sweet.")

    assert heard == "sweet"
    assert "sweetener" in choices
    assert not may_stay


def test_orders_heard_right_are_left_alone() -> None:
    assert proposals("a latte with cream please") == []
    assert proposals("a large latte with a lot of whole milk and brown sugar") == []


def test_every_amount_is_followed_by_the_add_ons_it_measures() -> None:
    followers = dict(coffee().followers)

    assert "soy milk" in followers["a bit of"]
    assert "sweetener" in followers["lots of"]
    assert "latte" not in followers["some"]
