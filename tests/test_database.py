"""The database on real SQLite files and a real PostgreSQL server: carts, orders, catalogs,
schema versions and failures. Tests taking `db_url` run once per backend."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from support.raw_sql import raw_rows
from voiceshop.catalog.model import OptionGroup, OptionKind, OptionValue, Product, Store
from voiceshop.errors import DatabaseError
from voiceshop.storage.backend import is_postgres_url
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.postgres import MARK_TABLE
from voiceshop.storage.records import CartLine, Order, OrderStatus

LATTE = CartLine("latte", "Latte", 2, {"milk": "a bit of soy milk", "size": "large"}, 3.95)
MUFFIN = CartLine("muffin", "Blueberry Muffin", 1, unit_price=2.5)
WATER = CartLine("water", "Still Water", 3)

MILK = OptionGroup(
    "milk",
    OptionKind.ADDON,
    (OptionValue("milk"), OptionValue("soy milk", ("soymilk",))),
    amounts=("a bit of", "lots of"),
)
SIZE = OptionGroup("size", OptionKind.CHOICE, (OptionValue("small"), OptionValue("large")))


def cafe(products: int = 3, name: str = "Corner Cafe") -> Store:
    """A store with option groups and `products` products, the first taking options."""
    first = Product(
        "latte",
        "Latte",
        brand="Cafe",
        price=3.95,
        unit="cup",
        aliases=("caffe latte", "latte"),
        options=("size", "milk"),
    )
    rest = (
        Product(f"p{n}", f"Product {n}", department="dept", aisle="aisle", size="1 l")
        for n in range(1, products)
    )
    return Store("cafe", name, (first, *rest), {"size": SIZE, "milk": MILK}, source="cafe.yaml")


def test_cart_survives_reopening_in_the_order_added(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "cafe", [WATER, LATTE, MUFFIN])

    with ShopDatabase(db_url) as db:
        assert db.cart("ann", "cafe") == [WATER, LATTE, MUFFIN]
        assert db.cart("ann", "cafe")[1].options == {"milk": "a bit of soy milk", "size": "large"}


def test_save_cart_replaces_the_whole_cart(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "cafe", [LATTE, MUFFIN])
        db.save_cart("ann", "cafe", [WATER])
        assert db.cart("ann", "cafe") == [WATER]
        db.save_cart("ann", "cafe", [])
        assert db.cart("ann", "cafe") == []


def test_users_and_stores_have_separate_carts(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "cafe", [LATTE])
        db.save_cart("bob", "cafe", [MUFFIN])
        db.save_cart("ann", "grocery", [WATER])

        assert db.cart("ann", "cafe") == [LATTE]
        assert db.cart("bob", "cafe") == [MUFFIN]
        assert db.cart("ann", "grocery") == [WATER]
        assert db.cart("carol", "cafe") == []
        assert db.users() == ["ann", "bob"]


def test_place_order_records_it_and_empties_only_that_cart(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "cafe", [LATTE, MUFFIN])
        db.save_cart("ann", "grocery", [WATER])

        order = db.place_order("ann", "cafe", db.cart("ann", "cafe"))

        assert (order.user, order.store_id, order.status) == ("ann", "cafe", "placed")
        assert order.lines == (LATTE, MUFFIN)
        assert order.placed_at.endswith("+00:00")
        assert db.cart("ann", "cafe") == []
        assert db.cart("ann", "grocery") == [WATER]
    with ShopDatabase(db_url) as db:
        assert db.order(order.id) == order


def test_failed_order_leaves_no_order_and_the_cart_as_it_was(db_url: Path | str) -> None:
    unstorable = CartLine("odd", "Odd", 1, {"milk": object()})  # type: ignore[dict-item]
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "cafe", [LATTE])

        with pytest.raises(TypeError):
            db.place_order("ann", "cafe", [LATTE, unstorable])

        assert db.orders("ann") == []
        assert db.cart("ann", "cafe") == [LATTE]


def test_orders_are_newest_first_and_filter_by_store(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        first = db.place_order("ann", "cafe", [LATTE])
        second = db.place_order("ann", "grocery", [WATER])
        third = db.place_order("ann", "cafe", [MUFFIN])
        db.place_order("bob", "cafe", [MUFFIN])

        assert [o.id for o in db.orders("ann")] == [third.id, second.id, first.id]
        assert [o.id for o in db.orders("ann", "cafe")] == [third.id, first.id]
        assert db.orders("nobody") == []
        assert db.order(9999) is None


def test_order_status_can_be_changed(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        order = db.place_order("ann", "cafe", [LATTE])

        assert db.set_order_status(order.id, "cancelled")
        assert not db.set_order_status(9999, OrderStatus.CANCELLED)
        with pytest.raises(ValueError):
            db.set_order_status(order.id, "lost")

        cancelled = db.order(order.id)
        assert cancelled is not None
        assert cancelled.status == "cancelled"


def test_totals_count_only_known_prices() -> None:
    def order(*lines: CartLine) -> Order:
        return Order(1, "ann", "cafe", "2024-01-01T00:00:00+00:00", OrderStatus.PLACED, lines)

    assert order(LATTE, MUFFIN).total == pytest.approx(2 * 3.95 + 2.5)
    assert order(LATTE, WATER).total == pytest.approx(2 * 3.95)
    assert order(WATER).total is None
    assert order(LATTE, MUFFIN, WATER).item_count == 6


def test_cart_line_copies_its_options_and_needs_a_quantity() -> None:
    options = {"milk": "soy milk"}
    line = CartLine("latte", "Latte", 1, options)
    options["milk"] = "cream"

    assert line.options == {"milk": "soy milk"}
    assert hash(line) == hash(CartLine("latte", "Latte", 1, {"milk": "soy milk"}))
    with pytest.raises(ValueError, match="at least 1"):
        CartLine("latte", "Latte", 0)


def test_store_catalog_round_trips(db_url: Path | str) -> None:
    store = cafe()
    with ShopDatabase(db_url) as db:
        db.save_store(store)

    with ShopDatabase(db_url) as db:
        loaded = db.load_store("cafe")
        assert db.store_ids() == ["cafe"]
        assert db.load_store("other") is None

    assert loaded is not None
    assert (loaded.id, loaded.name, loaded.currency, loaded.source) == (
        "cafe",
        "Corner Cafe",
        "USD",
        "db:cafe",
    )
    assert loaded.products == store.products
    assert loaded.option_groups == store.option_groups
    assert list(loaded.option_groups) == ["size", "milk"]


def test_save_store_replaces_and_delete_store_removes(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.save_store(cafe(products=5))
        db.save_store(cafe(products=2, name="New Cafe"))
        loaded = db.load_store("cafe")
        assert loaded is not None
        assert (loaded.name, len(loaded.products)) == ("New Cafe", 2)

        assert db.delete_store("cafe")
        assert not db.delete_store("cafe")
        assert db.store_ids() == []


class ImportInterrupted(Exception):
    """Raised by a progress callback to stop an import half-way."""


def test_failure_mid_import_keeps_the_previous_catalog(db_url: Path | str) -> None:
    def fail_after_first_batch(saved: int) -> None:
        raise ImportInterrupted(f"stopped after {saved} products")

    with ShopDatabase(db_url) as db:
        db.save_store(cafe(products=3))

        with pytest.raises(ImportInterrupted):
            db.save_store(cafe(products=12_000, name="Big Cafe"), progress=fail_after_first_batch)

        loaded = db.load_store("cafe")
        assert loaded is not None
        assert (loaded.name, len(loaded.products)) == ("Corner Cafe", 3)


def test_catalog_the_database_refuses_is_not_half_imported(db_url: Path | str) -> None:
    broken = cafe()
    broken = Store(broken.id, "Broken", broken.products, option_groups={})  # options undeclared
    with ShopDatabase(db_url) as db:
        db.save_store(cafe())

        with pytest.raises(DatabaseError, match="save the catalog of store 'cafe'"):
            db.save_store(broken)

        loaded = db.load_store("cafe")
        assert loaded is not None
        assert loaded.name == "Corner Cafe"


def test_database_uses_wal_and_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "voiceshop.db"
    ShopDatabase(path).close()

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_from_a_newer_voiceshop_is_refused(db_url: Path | str) -> None:
    ShopDatabase(db_url).close()
    if is_postgres_url(db_url):
        raw_rows(db_url, f"UPDATE {MARK_TABLE} SET version = 99")
    else:
        raw_rows(db_url, "PRAGMA user_version = 99")

    with pytest.raises(DatabaseError, match="schema version 99, newer than"):
        ShopDatabase(db_url)


def test_file_that_is_not_a_database_is_refused_with_its_path(db_path: Path) -> None:
    db_path.write_bytes(b"this is not a database, just some text" * 100)

    with pytest.raises(DatabaseError, match=re.escape(f"cannot open the database {db_path}")):
        ShopDatabase(db_path)


def test_directory_in_place_of_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot open the database"):
        ShopDatabase(tmp_path)
