"""How far transcripts are requests, which decides how soon the recognizer may end them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.complete import CompleteRequest
from voiceshop.recognizer import Request
from voiceshop.storage.database import ShopDatabase

Check = Callable[[str, str], Request]
"""(store, transcript) -> how far it is a request there."""


@pytest.fixture
def check(tmp_path: Path) -> Check:
    def judge(store: str, text: str) -> Request:
        return CompleteRequest(Assistant(ShopDatabase(tmp_path / "shop.db"), store=store))(text)

    return judge


@pytest.mark.parametrize(
    ("store", "text", "expected"),
    [
        ("grocery", "What's in my cart?", Request.CLOSED),
        ("grocery", "change the milk to four", Request.CLOSED),
        ("grocery", "The second one.", Request.CLOSED),
        ("grocery", "Yes.", Request.CLOSED),
        ("grocery", "Add two apples.", Request.OPEN),
        ("grocery", "remove the eggs,", Request.OPEN),
        ("grocery", "the large brown eggs", Request.OPEN),
        ("grocery", "take two apples out", Request.OPEN),
        (
            "coffee",
            "Can I get a triple shot, light roast, iced coffee?",
            Request.OPTIONS_MAY_FOLLOW,
        ),
        ("coffee", "I'd like a drip coffee with a bit of sweetener.", Request.OPTIONS_MAY_FOLLOW),
        (
            "coffee",
            "a twelve ounce dark roast triple shot latte with some milk and some sugar",
            Request.OPEN,
        ),
        ("coffee", "remove the latte", Request.OPEN),
        ("grocery", "Add two.", Request.UNFINISHED),
        ("grocery", "Add two apples and", Request.UNFINISHED),
        ("grocery", "add milk as well as", Request.UNFINISHED),
        ("grocery", "Add a dozen eggs and two.", Request.UNFINISHED),
        ("grocery", "Add two cartons of...", Request.UNFINISHED),
        ("grocery", "Remove the", Request.UNFINISHED),
        ("grocery", "Thank you.", Request.CLOSED),
        ("coffee", "Can I get a large latte with", Request.UNFINISHED),
        ("coffee", "Can I get a triple shot?", Request.UNFINISHED),
        ("coffee", "", Request.UNFINISHED),
    ],
)
def test_how_far_a_transcript_is_a_request(
    check: Check, store: str, text: str, expected: Request
) -> None:
    assert check(store, text) is expected
