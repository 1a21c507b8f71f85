"""Conversations written as data (tests/conversations/*.yaml), replayed through the dialog.

Each turn: `say` (the user's words), `reply` (a regular expression the reply must match),
optionally `cart` (product id -> quantity, exactly), `options` (product id -> options),
`orders` (how many orders exist) and `ends` (the conversation ends).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from voiceshop.catalog.resolve import open_store
from voiceshop.dialog.manager import DialogManager
from voiceshop.storage.database import ShopDatabase

SCRIPTS = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_conversation(script: Path, db_path: Path) -> None:
    conversation = yaml.safe_load(script.read_text())
    with ShopDatabase(db_path) as db:
        dialog = DialogManager(open_store(conversation["store"], db), db)
        for n, turn in enumerate(conversation["turns"], 1):
            reply = dialog.respond(turn["say"])
            where = f"{script.name} turn {n} ({turn['say']!r}) replied {reply.text!r}"
            assert re.search(turn["reply"], reply.text), where
            cart = dialog.cart
            if "cart" in turn:
                assert {line.product_id: line.quantity for line in cart} == turn["cart"], where
            for product_id, options in turn.get("options", {}).items():
                line = next(line for line in cart if line.product_id == product_id)
                assert line.options == options, where
            if "orders" in turn:
                assert len(db.orders("default", dialog.store.id)) == turn["orders"], where
            assert reply.end_conversation == turn.get("ends", False), where


def test_cart_and_order_survive_restart(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        dialog = DialogManager(open_store("grocery", db), db)
        dialog.respond("add two bananas and a bag of salt and vinegar chips")
    with ShopDatabase(db_path) as db:
        dialog = DialogManager(open_store("grocery", db), db)
        assert "2 Banana" in dialog.respond("what's in my cart").text
        dialog.respond("check out")
        assert dialog.respond("yes").text.startswith("Order 1 is placed")
    with ShopDatabase(db_path) as db:
        assert [o.item_count for o in db.orders("default", "grocery")] == [3]
        assert db.cart("default", "grocery") == []


def test_users_have_separate_carts(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        store = open_store("grocery", db)
        DialogManager(store, db, user="sam").respond("add a banana")
        assert DialogManager(store, db, user="alex").respond("what's in my cart").text == (
            "Your cart is empty."
        )
