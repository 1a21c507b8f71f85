"""The fallback reading (voiceshop/intents/fallback.py): filler dropped, then cue words.

The phrasings here were written for these tests, not taken from the everyday corpus; each
reading asserted with the lever on is also asserted to differ with it off, so the test fails
if the lever stops doing anything.
"""

from __future__ import annotations

from functools import cache

import pytest

from voiceshop.intents.fallback import load_fallback, without
from voiceshop.intents.model import Intent
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.stores import open_store


@cache
def grocery(fallback: bool) -> IntentParser:
    store = open_store("grocery", None)
    matcher = ProductMatcher(store, Normalizer(load_language()))
    return IntentParser(store, products=matcher, fallback=fallback)


def reading(intent: Intent | None) -> tuple[str, tuple[tuple[str, int | None], ...], str] | None:
    if intent is None:
        return None
    return intent.name, tuple((i.phrase, i.quantity) for i in intent.items), intent.product


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("would you mind adding a loaf of sourdough", ("AddItems", (("sourdough", 1),), "")),
        (
            "yeah so basically I'm gonna need like three avocados",
            ("AddItems", (("avocados", 3),), ""),
        ),
        ("is it possible to add a watermelon", ("AddItems", (("watermelon", 1),), "")),
        ("I want to remove the bananas", ("RemoveItems", (("bananas", None),), "")),
        ("please take the lemons off my list", ("RemoveItems", (("lemons", None),), "")),
        ("lose the bananas", ("RemoveItems", (("bananas", None),), "")),
        ("can you tell me the total", ("CartTotal", (), "")),
        ("how much do I have to pay", ("CartTotal", (), "")),
        ("can you tell me what's in my cart", ("ReadCart", (), "")),
        ("I think I'm ready to check out", ("Checkout", (), "")),
        ("could you please undo that last thing", ("Undo", (), "")),
        ("could you read back what I have", ("ReadCart", (), "")),
        ("hey did I add lemons to my cart", ("HowMany", (), "lemons")),
        ("we don't need the salsa", ("RemoveItems", (("salsa", None),), "")),
    ],
)
def test_fallback_reads_what_no_template_reads(
    text: str, expected: tuple[str, tuple[tuple[str, int | None], ...], str]
) -> None:
    assert reading(grocery(True).parse(text)) == expected
    assert reading(grocery(False).parse(text)) != expected


@pytest.mark.parametrize(
    "text",
    [
        "could you add some motor oil please",
        "I'd really like some fireworks",
        "add a bottle of wine",
        "add two kiwis",
    ],
)
def test_not_carried_keeps_its_template_reading(text: str) -> None:
    """Words the catalog does not explain are not forced onto a product or a command."""
    assert reading(grocery(True).parse(text)) == reading(grocery(False).parse(text))


@pytest.mark.parametrize(
    "text",
    ["how much are the bananas", "add a dozen eggs", "check out", "may i have a drip coffee or"],
)
def test_what_templates_read_well_is_untouched(text: str) -> None:
    assert reading(grocery(True).parse(text)) == reading(grocery(False).parse(text))


def test_a_cue_with_a_product_is_not_a_request_without_one() -> None:
    """'how much' with a product named is its price, not the cart's total."""
    intent = grocery(True).parse("how much would the sourdough be")
    assert intent is None or intent.name != "CartTotal"


def test_off_by_switch_and_without_product_names() -> None:
    assert grocery(False).fallback is None
    assert IntentParser(open_store("grocery", None), fallback=True).fallback is None


def test_without_removes_phrases_longest_first() -> None:
    words = ["could", "you", "please", "take", "off", "the", "milk"]
    kept, found = without(words, (("take", "off"), ("could", "you"), ("please",)))
    assert (kept, found) == (["the", "milk"], True)
    assert without(["milk"], (("take", "off"),)) == (["milk"], False)


def test_an_unknown_slot_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="slot must be one of"):
        load_fallback({"cues": [{"intent": "Undo", "slot": "thing", "words": ["undo"]}]}, str)
