"""Words neither the language data nor the catalog knows are skipped, unless English word order
puts them inside a product phrase (voiceshop.intents.unknown)."""

from __future__ import annotations

from functools import cache

import pytest

from voiceshop.intents.model import Intent
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.stores import open_store


@cache
def grocery(skip_unknown: bool) -> IntentParser:
    store = open_store("grocery", None)
    matcher = ProductMatcher(store, Normalizer(load_language()))
    return IntentParser(store, products=matcher, skip_unknown=skip_unknown)


def reading(intent: Intent | None) -> tuple[str, tuple[str, ...]] | None:
    return None if intent is None else (intent.name, tuple(i.phrase for i in intent.items))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("could you possibly chuck in some lemons", ("AddItems", ("lemons",))),
        ("reckon you could chuck in two limes for me", ("AddItems", ("limes",))),
        ("i would like to maybe remove the limes thanks heaps", ("RemoveItems", ("limes",))),
    ],
)
def test_words_nobody_taught_are_skipped(text: str, expected: tuple[str, tuple[str, ...]]) -> None:
    assert reading(grocery(True).parse(text)) == expected
    assert reading(grocery(False).parse(text)) != expected


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("add a bottle of merlot", "merlot"),
        ("add some dragonfruit yogurt", "dragonfruit yogurt"),
        ("add two kumquats", "kumquats"),
    ],
)
def test_unknown_words_where_a_product_goes_are_kept(text: str, phrase: str) -> None:
    read = reading(grocery(True).parse(text))
    assert read is not None and read[1] == (phrase,)


def test_the_cart_read_by_a_kind_is_never_weak() -> None:
    intent = grocery(True).parse("any dairy in my basket")
    assert intent is not None and (intent.name, intent.product) == ("ReadCart", "dairy")
