"""What everyday shoppers say, read on the bundled stores and (slow) on the real Instacart
catalog: numbers inside names, sane counts, commas, products the store does not carry."""

from __future__ import annotations

from functools import cache

import pytest

from tests.conftest import CATALOG_DIR, require_shared
from voiceshop.catalog.instacart import read_instacart
from voiceshop.catalog.model import Store
from voiceshop.catalog.resolve import open_store
from voiceshop.intents.model import Intent
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher


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
