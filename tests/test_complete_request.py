"""Which transcripts are complete requests, so that the recognizer may end them early."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.complete import CompleteRequest
from voiceshop.storage.database import ShopDatabase

Check = Callable[[str, str], bool]
"""(store, transcript) -> whether it is a complete request there."""


@pytest.fixture
def complete(tmp_path: Path) -> Check:
    def check(store: str, text: str) -> bool:
        return CompleteRequest(Assistant(ShopDatabase(tmp_path / "shop.db"), store=store))(text)

    return check


@pytest.mark.parametrize(
    ("store", "text"),
    [
        ("grocery", "Add two apples."),
        ("grocery", "remove the eggs,"),
        ("grocery", "the large brown eggs"),
        ("grocery", "What's in my cart?"),
        ("grocery", "change the milk to four"),
        ("grocery", "The second one."),
        ("grocery", "Yes."),
        ("grocery", "take two apples out"),
        ("coffee", "Can I get a triple shot, light roast, iced coffee?"),
        ("coffee", "I'd like a drip coffee with a bit of sweetener."),
    ],
)
def test_complete_requests(complete: Check, store: str, text: str) -> None:
    assert complete(store, text)


@pytest.mark.parametrize(
    ("store", "text"),
    [
        ("grocery", "Add two."),
        ("grocery", "Add two apples and"),
        ("grocery", "add milk as well as"),
        ("grocery", "Add a dozen eggs and two."),
        ("grocery", "Add two cartons of..."),
        ("grocery", "Remove the"),
        ("grocery", "Thank you."),
        ("coffee", "Can I get a large latte with"),
        ("coffee", "Can I get a triple shot?"),
        ("coffee", ""),
    ],
)
def test_incomplete_requests(complete: Check, store: str, text: str) -> None:
    assert not complete(store, text)
