"""Conversations sharing one cart: changes, undo, checkout and the order limit.

Two DialogManagers on two connections to one database behave as two processes would; every
test runs on a SQLite file and on a PostgreSQL database. The stress test with real `voiceshop
chat` processes is e2e (`benchmarks.concurrency`).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.concurrency import Figures, run_round
from voiceshop.dialog.cart import add_line, undo_change, what_was_added
from voiceshop.dialog.manager import DialogManager
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import CartLine, Order
from voiceshop.storage.stores import open_store

BANANA = CartLine("banana", "Banana", 1, {}, 0.29)
LEMON = CartLine("lemon", "Lemon", 2, {}, 0.69)


def _units(dialog: DialogManager) -> dict[str, int]:
    return {line.name: line.quantity for line in dialog.cart}


@pytest.fixture
def two(db_url: Path | str) -> Iterator[tuple[DialogManager, DialogManager]]:
    with ShopDatabase(db_url) as first_db, ShopDatabase(db_url) as second_db:
        store = open_store("grocery", first_db)
        yield DialogManager(store, first_db), DialogManager(store, second_db)


def test_add_line_stops_at_the_limit() -> None:
    cart = add_line([BANANA], CartLine("banana", "Banana", 99, {}, 0.29), limit=99)
    assert [line.quantity for line in cart] == [99]
    assert what_was_added([BANANA], cart, [CartLine("banana", "Banana", 99)]) == (
        [CartLine("banana", "Banana", 98)],
        [CartLine("banana", "Banana", 99)],
    )


def test_undo_change_keeps_changes_made_since() -> None:
    before, after = [BANANA], [BANANA, LEMON]
    since = add_line(add_line(after, BANANA), LEMON)
    assert undo_change(since, before, after) == [
        CartLine("banana", "Banana", 2, {}, 0.29),
        CartLine("lemon", "Lemon", 2, {}, 0.69),
    ]


def test_undo_change_brings_back_a_removed_item() -> None:
    assert undo_change([LEMON], [BANANA, LEMON], [LEMON]) == [LEMON, BANANA]


def test_adds_of_two_conversations_are_both_kept(two: tuple[DialogManager, ...]) -> None:
    first, second = two
    first.respond("add two bananas")
    second.respond("add three bananas")
    first.respond("add a lemon")
    assert _units(first) == {"Banana": 5, "Lemon": 1}


def test_undo_takes_back_only_this_conversations_change(two: tuple[DialogManager, ...]) -> None:
    first, second = two
    first.respond("add two bananas")
    second.respond("add three bananas")
    second.respond("add a lime")
    assert first.respond("undo").text == "Undone: adding 2 Bananas."
    assert _units(second) == {"Banana": 3, "Lime": 1}
    assert second.respond("undo").text == "Undone: adding 1 Lime."
    assert _units(first) == {"Banana": 3}


def test_undo_of_a_clear_keeps_what_was_added_since(two: tuple[DialogManager, ...]) -> None:
    first, second = two
    first.respond("add two bananas")
    first.respond("empty my cart")
    second.respond("add a lemon")
    first.respond("undo")
    assert _units(second) == {"Lemon": 1, "Banana": 2}


def test_two_checkouts_at_once_place_one_order(two: tuple[DialogManager, ...]) -> None:
    first, second = two
    first.respond("add two bananas")
    first.respond("check out")
    second.respond("check out")
    assert first.respond("yes").text.startswith("Order 1 is placed")
    assert second.respond("yes").text == second.replies.say("checkout_empty")
    assert len(first.db.orders("default")) == 1


def test_a_cart_changed_after_the_read_back_is_read_back_again(
    two: tuple[DialogManager, ...],
) -> None:
    first, second = two
    first.respond("add two bananas")
    first.respond("check out")
    second.respond("add a lemon")
    reply = first.respond("yes").text
    assert reply.startswith(first.replies.say("cart_changed"))
    assert "1 Lemon" in reply and reply.endswith("Shall I place the order?")
    assert first.db.orders("default") == []
    first.respond("yes")
    [order] = first.db.orders("default")
    assert {line.name: line.quantity for line in order.lines} == {"Banana": 2, "Lemon": 1}


def test_a_read_back_places_at_most_one_order(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "grocery", [BANANA])
        first = db.checkout("ann", "grocery", [BANANA], "read-back-1")
        db.save_cart("ann", "grocery", [BANANA])
        again = db.checkout("ann", "grocery", [BANANA], "read-back-1")
        assert first is not None and again == first
        assert len(db.orders("ann")) == 1
        assert db.cart("ann", "grocery") == [BANANA]
        assert db.checkout("ann", "grocery", [LEMON], "read-back-2") is None


def _at_once(count: int, work: Callable[[], object]) -> list[object]:
    """`work()` in `count` threads let go together; what each returned (or raised)."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_read_back_confirmed_at_once_everywhere_is_one_order(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "grocery", [BANANA, LEMON])

    def confirm() -> Order | None:
        with ShopDatabase(db_url) as db:
            return db.checkout("ann", "grocery", [BANANA, LEMON], "read-back-7")

    results = _at_once(6, confirm)
    assert all(isinstance(result, Order) for result in results), results
    assert len({result.id for result in results if isinstance(result, Order)}) == 1
    with ShopDatabase(db_url) as db:
        assert len(db.orders("ann")) == 1 and db.cart("ann", "grocery") == []


def test_changes_made_at_once_are_all_kept(db_url: Path | str) -> None:
    ShopDatabase(db_url).close()

    def add_a_banana() -> object:
        with ShopDatabase(db_url) as db:
            return db.update_cart("ann", "grocery", lambda cart: add_line(cart, BANANA))

    assert not any(isinstance(result, Exception) for result in _at_once(8, add_a_banana))
    with ShopDatabase(db_url) as db:
        assert [line.quantity for line in db.cart("ann", "grocery")] == [8]


def test_one_order_holds_at_most_the_limit_of_an_item(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        dialog = DialogManager(open_store("grocery", db), db)
        for _ in range(101):
            reply = dialog.respond("add 99 bananas").text
        assert reply.startswith("One order can hold at most 99 of Banana")
        dialog.respond("check out")
        dialog.respond("yes")
        assert [order.item_count for order in db.orders("default")] == [99]


@pytest.mark.e2e
def test_processes_sharing_a_cart_lose_and_double_nothing(db_url: Path | str) -> None:
    figures = run_round(db_url, processes=4, changes=200, rng=random.Random(7))
    assert figures == Figures(changes=800, orders=4)
