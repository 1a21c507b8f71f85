"""An utterance read poorly that starts with a correction ("nah make it 4", "no wait, change
that to 2") is read again without it (`correction_leads` in language.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest

from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.stores import open_store


@cache
def grocery_parser() -> IntentParser:
    store = open_store("grocery", None)
    return IntentParser(store, products=ProductMatcher(store, Normalizer(load_language())))


@pytest.fixture
def corrections_off() -> Iterator[None]:
    IntentParser.read_past_corrections = False
    yield
    IntentParser.read_past_corrections = True


@pytest.mark.parametrize(
    ("said", "intent", "quantity"),
    [
        ("nah make it 4", "SetQuantity", 4),
        ("no wait, make that two", "SetQuantity", 2),
        ("no no, change it to six", "SetQuantity", 6),
        ("whoops, what's in my cart", "ReadCart", None),
        ("sorry, how much do I owe", "CartTotal", None),
    ],
)
def test_a_correction_lead_is_read_past(said: str, intent: str, quantity: int | None) -> None:
    read = grocery_parser().parse(said)
    assert read is not None and (read.name, read.quantity) == (intent, quantity)


def test_a_request_that_reads_well_keeps_its_reading() -> None:
    read = grocery_parser().parse("no eggs")
    assert read is not None and read.name == "RemoveItems"
    assert [item.phrase for item in read.items] == ["eggs"]


@pytest.mark.usefixtures("corrections_off")
def test_the_lever_off_reads_the_lead_as_before() -> None:
    read = grocery_parser().parse("nah make it 4")
    assert read is None or read.name != "SetQuantity"
