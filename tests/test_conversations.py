"""Conversations written as data (tests/conversations/*.yaml), replayed through the assistant,
on SQLite and on PostgreSQL (the `db_url` fixture).

A script names its starting `store` and `user`, optional `history` (past purchases per user and
store: [date, product id, quantity, channel] rows) and its `turns`. Each turn: `say` (the user's
words), `reply` (a regular expression the reply must match), optionally `cart` (product id ->
quantity in the current store's cart, exactly), `options` (product id -> options), `orders` (how
many placed orders the current user has), `store` (the current store id) and `ends`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from support.cases import HISTORY_KEYS, check_keys
from support.replay import add_history
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.manager import DialogManager
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import OrderStatus
from voiceshop.storage.stores import open_store

SCRIPTS = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))
SCRIPT_KEYS = {"store": True, "user": False, "history": False, "turns": True}
TURN_KEYS = {
    "say": True,
    "reply": True,
    "intent": False,
    "cart": False,
    "options": False,
    "orders": False,
    "store": False,
    "ends": False,
}


def load_conversation(script: Path) -> dict:
    """The script, its keys checked."""
    conversation = yaml.safe_load(script.read_text())
    check_keys(conversation, SCRIPT_KEYS, script.name)
    for n, entry in enumerate(conversation.get("history", []), 1):
        check_keys(entry, HISTORY_KEYS, f"{script.name} history {n}")
    for n, turn in enumerate(conversation["turns"], 1):
        check_keys(turn, TURN_KEYS, f"{script.name} turn {n}")
    return conversation


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_conversation(script: Path, db_url: Path | str) -> None:
    conversation = load_conversation(script)
    with ShopDatabase(db_url) as db:
        add_history(db, conversation.get("history", []))
        assistant = Assistant(db, conversation.get("user", "default"), conversation["store"])
        for n, turn in enumerate(conversation["turns"], 1):
            reply = assistant.respond(turn["say"])
            where = f"{script.name} turn {n} ({turn['say']!r}) replied {reply.text!r}"
            assert re.search(turn["reply"], reply.text), where
            if "intent" in turn:
                assert reply.intent == turn["intent"], f"{where} as {reply.intent}"
            cart = assistant.dialog.cart
            if "cart" in turn:
                assert {line.product_id: line.quantity for line in cart} == turn["cart"], where
            for product_id, options in turn.get("options", {}).items():
                line = next(line for line in cart if line.product_id == product_id)
                assert line.options == options, where
            if "orders" in turn:
                placed = [o for o in db.orders(assistant.user) if o.status is OrderStatus.PLACED]
                assert len(placed) == turn["orders"], where
            if "store" in turn:
                assert assistant.store_id == turn["store"], where
            assert reply.end_conversation == turn.get("ends", False), where


def test_cart_and_order_survive_restart(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        dialog = DialogManager(open_store("grocery", db), db)
        dialog.respond("add two bananas and a bag of salt and vinegar chips")
    with ShopDatabase(db_url) as db:
        dialog = DialogManager(open_store("grocery", db), db)
        assert "2 Bananas" in dialog.respond("what's in my cart").text
        dialog.respond("check out")
        assert dialog.respond("yes").text.startswith("Order 1 is placed")
    with ShopDatabase(db_url) as db:
        assert [o.item_count for o in db.orders("default", "grocery")] == [3]
        assert db.cart("default", "grocery") == []


def test_users_have_separate_carts(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        store = open_store("grocery", db)
        DialogManager(store, db, user="sam").respond("add a banana")
        assert DialogManager(store, db, user="alex").respond("what's in my cart").text == (
            "Your cart is empty."
        )
