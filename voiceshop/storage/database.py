"""The database that holds users, carts, orders and imported catalogs: a SQLite file (the
embedded default) or a PostgreSQL database (`postgresql://...`, for servers sharing one).

Every write is one transaction: a cart change, an order (with the emptying of its cart) or a
catalog import either happens completely or not at all. A cart change is applied to the cart as
it is inside that transaction, so processes sharing the database never lose each other's
changes. The queries are written once; `backend.Connection` runs them on either engine.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from voiceshop.catalog.model import Store
from voiceshop.storage import accounts, catalog_tables, guards
from voiceshop.storage.backend import Connection, shown_target
from voiceshop.storage.connection import open_connection, transaction
from voiceshop.storage.conversations import ConversationTurn, SavedConversation, read_saved
from voiceshop.storage.records import Account, CartLine, Order, OrderStatus, Purchase

_LINE_FIELDS = ("product_id", "name", "quantity", "options", "unit_price")
_LINE_COLUMNS = ", ".join(_LINE_FIELDS)


def _line_columns(table: str) -> str:
    """The line columns of `table` (cart_lines or order_lines), qualified for joins."""
    return ", ".join(f"{table}.{column}" for column in _LINE_FIELDS)


@dataclass(frozen=True)
class Placing:
    """How an order is being placed: from which interface, and whether the user's purchase
    code was said (and checked) for it."""

    interface: str | None = None
    code_given: bool = False


class ShopDatabase:
    """A voiceshop database, created and brought up to date when opened: a SQLite file path,
    or a `postgresql://` URL (a string).

    Use it from the thread that opened it (one connection; sqlite3's same-thread check is on).
    Close it with `close()` or use it as a context manager. Users are created by their first
    cart or order write.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = shown_target(path)
        """Where the database is, as it may be shown (a URL without its password)."""
        self._connection = open_connection(path)

    def close(self) -> None:
        """Close the connection; the database must not be used afterwards."""
        self._connection.close()

    def __enter__(self) -> ShopDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def cart(self, user: str, store_id: str) -> list[CartLine]:
        """The user's cart in that store, in the order the lines were added."""
        rows = self._connection.execute(
            f"SELECT {_line_columns('cart_lines')} FROM cart_lines"
            " JOIN users ON users.id = cart_lines.user_id"
            " WHERE users.name = ? AND cart_lines.store_id = ? ORDER BY cart_lines.position",
            (user, store_id),
        )
        return [_line_from_row(row) for row in rows]

    def save_cart(self, user: str, store_id: str, lines: Sequence[CartLine]) -> None:
        """Replace the user's cart in that store with `lines` (an empty list empties it)."""
        with self._transaction(f"save the cart of {user!r}") as connection:
            _write_cart(connection, _user_id(connection, user), store_id, lines)

    def update_cart(
        self, user: str, store_id: str, change: Callable[[list[CartLine]], list[CartLine]]
    ) -> tuple[list[CartLine], list[CartLine]]:
        """Apply `change` to the user's cart as it is now, in one write transaction, so that no
        other process's change in between is lost; the cart before and after."""
        with self._transaction(f"change the cart of {user!r}") as connection:
            user_id = _user_id(connection, user)
            before = _cart_lines(connection, user_id, store_id)
            after = change(list(before))
            if after != before:
                _write_cart(connection, user_id, store_id, after)
        return before, after

    def checkout(
        self,
        user: str,
        store_id: str,
        read_back: Sequence[CartLine],
        key: str,
        placing: Placing | None = None,
    ) -> Order | None:
        """Place the order that was read back under `key`, at most once: the order already
        placed for `key`, else a new one when the cart is still exactly `read_back` (then it is
        emptied), else None (the cart changed since the read-back).

        A new order is checked against the user's purchase code and spending limits in the
        same transaction: `guards.PurchaseRefused` (CodeRequired, OverLimit) when it may not
        be placed, with nothing written.
        """
        placing = placing or Placing()
        with self._transaction(f"check out the cart of {user!r}") as connection:
            user_id = _user_id(connection, user)
            placed = connection.execute(
                "SELECT id FROM orders WHERE checkout_key = ?", (key,)
            ).fetchone()
            if placed is None:
                current = _cart_lines(connection, user_id, store_id)
                if not read_back or current != list(read_back):
                    return None
                _check_guards(connection, user_id, read_back, placing)
                order = _insert_order(connection, user, store_id, read_back, key, placing)
                placed = (order.id,)
        return self.order(placed[0])

    def set_purchase_code(self, user: str, code: str | None) -> None:
        """Set the user's purchase code (4-8 digits; kept only as a slow salted hash), or with
        None clear it."""
        with self._transaction(f"set the purchase code of {user!r}") as connection:
            guards.set_code(connection, _user_id(connection, user), code)

    def has_purchase_code(self, user: str) -> bool:
        """Whether placing an order for the user needs their purchase code."""
        with self._transaction("read purchase codes", write=False) as connection:
            user_id = _existing_user_id(connection, user)
            return user_id is not None and guards.has_code(connection, user_id)

    def purchasing_locked(self, user: str) -> bool:
        """Whether wrong purchase codes have locked the user's purchasing for now."""
        with self._transaction("read purchase locks", write=False) as connection:
            user_id = _existing_user_id(connection, user)
            return user_id is not None and guards.locked(connection, user_id, _utc_now())

    def check_purchase_code(self, user: str, code: str) -> guards.CodeCheck:
        """Check a said purchase code, counting wrong ones (see `guards.check_code`)."""
        with self._transaction(f"check the purchase code of {user!r}") as connection:
            return guards.check_code(connection, _user_id(connection, user), code, _utc_now())

    def set_limits(self, user: str, limits: guards.Limits) -> None:
        """Replace the user's spending limits."""
        with self._transaction(f"set the spending limits of {user!r}") as connection:
            guards.set_limits(connection, _user_id(connection, user), limits)

    def limits(self, user: str) -> guards.Limits:
        """The user's spending limits."""
        with self._transaction("read spending limits", write=False) as connection:
            user_id = _existing_user_id(connection, user)
            return guards.limits(connection, user_id) if user_id is not None else guards.Limits()

    def place_order(self, user: str, store_id: str, lines: Sequence[CartLine]) -> Order:
        """Record an order of `lines` and empty the user's cart in that store, atomically."""
        if not lines:
            raise ValueError("an order needs at least one line")
        with self._transaction(f"place the order of {user!r}") as connection:
            return _insert_order(connection, user, store_id, lines)

    def orders(self, user: str, store_id: str | None = None) -> list[Order]:
        """The user's orders, newest first; only those in `store_id` when it is given."""
        if store_id is None:
            return self._orders("users.name = ?", (user,))
        return self._orders("users.name = ? AND orders.store_id = ?", (user, store_id))

    def order(self, order_id: int) -> Order | None:
        """The order with this id, or None."""
        found = self._orders("orders.id = ?", (order_id,))
        return found[0] if found else None

    def set_order_status(self, order_id: int, status: OrderStatus | str) -> bool:
        """Set an order's status ("placed" or "cancelled"); whether the order exists."""
        status = OrderStatus(status)
        with self._transaction(f"set the status of order {order_id}") as connection:
            cursor = connection.execute(
                "UPDATE orders SET status = ? WHERE id = ?", (status.value, order_id)
            )
        return cursor.rowcount > 0

    def carts(self, user: str) -> list[str]:
        """The ids of the stores where the user has a non-empty cart."""
        return accounts.stores_with_carts(self._connection, user)

    def link_account(self, user: str, store_id: str, customer_id: str) -> Account:
        """Link (or re-link) the user's customer account at a store."""
        linked_at = _now()
        with self._transaction(f"link {user!r} to store {store_id!r}") as connection:
            accounts.link(connection, _user_id(connection, user), store_id, customer_id, linked_at)
        return Account(user, store_id, customer_id, linked_at)

    def unlink_account(self, user: str, store_id: str) -> bool:
        """Remove the link (history stays); whether there was one."""
        with self._transaction(f"unlink {user!r} from store {store_id!r}") as connection:
            return accounts.unlink(connection, user, store_id)

    def accounts(self, user: str) -> list[Account]:
        """The user's linked store accounts, by store id."""
        return accounts.accounts(self._connection, user)

    def add_purchases(self, user: str, store_id: str, purchases: Sequence[Purchase]) -> None:
        """Record past purchases, all or none."""
        with self._transaction(f"import the purchase history of {user!r}") as connection:
            accounts.add_purchases(connection, _user_id(connection, user), store_id, purchases)

    def purchases(self, user: str, store_id: str) -> list[Purchase]:
        """What the user bought at the store (history and placed orders), oldest first."""
        return accounts.purchases(self._connection, user, store_id)

    def set_default_store(self, user: str, store_id: str | None) -> None:
        """Make `store_id` the store the user shops at unless they name another."""
        with self._transaction(f"set the default store of {user!r}") as connection:
            accounts.set_default_store(connection, _user_id(connection, user), store_id)

    def default_store(self, user: str) -> str | None:
        """The user's default store id, or None."""
        return accounts.default_store(self._connection, user)

    def store_names(self) -> dict[str, str]:
        """Imported store ids and their names, without loading catalogs."""
        return accounts.store_names(self._connection)

    def users(self) -> list[str]:
        """The names of all users, sorted."""
        return [row[0] for row in self._connection.execute("SELECT name FROM users ORDER BY name")]

    def user_named(self, name: str) -> str | None:
        """The user called `name`, else the one whose name differs from it only in case and
        surrounding spaces ("Sam" for "sam"); None when there is no such user, or several."""
        users = self.users()
        if name in users:
            return name
        alike = [user for user in users if _name_key(user) == _name_key(name)]
        return alike[0] if len(alike) == 1 else None

    def save_store(
        self,
        store: Store,
        progress: Callable[[int], None] | None = None,
        check_replaced: Callable[[int], None] | None = None,
    ) -> None:
        """Replace the store's catalog with `store`'s, atomically.

        `progress`, if given, is called with the number of products written so far after each
        batch of `catalog_tables.BATCH_SIZE`. `check_replaced`, if given, is called first, in
        the same transaction, with the number of products the store has now (0 when it is new)
        and may raise to keep them. If anything fails, the previous catalog is kept.
        """
        with self._transaction(f"save the catalog of store {store.id!r}") as connection:
            connection.lock(f"store {store.id}")
            if check_replaced is not None:
                check_replaced(catalog_tables.product_count(connection, store.id))
            catalog_tables.replace_store(connection, store, _now(), progress or _ignore)
            catalog_tables.count_change(connection)

    def load_store(self, store_id: str) -> Store | None:
        """The imported store with this id, or None."""
        with self._transaction(f"read store {store_id!r}", write=False) as connection:
            return catalog_tables.read_store(connection, store_id)

    def store_ids(self) -> list[str]:
        """The ids of the imported stores, sorted."""
        return catalog_tables.store_ids(self._connection)

    def delete_store(self, store_id: str) -> bool:
        """Delete an imported store's catalog (carts and orders stay); whether it existed."""
        with self._transaction(f"delete store {store_id!r}") as connection:
            connection.lock(f"store {store_id}")
            deleted = catalog_tables.delete_store(connection, store_id)
            if deleted:
                catalog_tables.count_change(connection)
            return deleted

    def catalog_generation(self) -> int:
        """A number that grows with each catalog import or removal (by any process), for
        holders of loaded stores to know when to load them again."""
        return catalog_tables.generation(self._connection)

    def _orders(self, where: str, parameters: tuple[Any, ...]) -> list[Order]:
        """The orders matching `where` (SQL over `orders` and `users`), newest first."""
        joined = "FROM orders JOIN users ON users.id = orders.user_id"
        with self._transaction("read orders", write=False) as connection:
            headers = connection.execute(
                "SELECT orders.id, users.name, orders.store_id, orders.placed_at, orders.status,"
                f" orders.interface, orders.code_given {joined} WHERE {where}"
                " ORDER BY orders.id DESC",
                parameters,
            ).fetchall()
            lines: dict[int, list[CartLine]] = defaultdict(list)
            for order_id, *row in connection.execute(
                f"SELECT order_lines.order_id, {_line_columns('order_lines')} {joined}"
                " JOIN order_lines ON order_lines.order_id = orders.id"
                f" WHERE {where} ORDER BY order_lines.order_id, order_lines.position",
                parameters,
            ):
                lines[order_id].append(_line_from_row(row))
        return [
            Order(
                order_id,
                user,
                store_id,
                placed_at,
                OrderStatus(status),
                tuple(lines[order_id]),
                interface,
                bool(code_given),
            )
            for order_id, user, store_id, placed_at, status, interface, code_given in headers
        ]

    @contextmanager
    def conversation_turn(self, user: str, conversation_id: str) -> Iterator[ConversationTurn]:
        """One turn of a server conversation as one write transaction: what the conversation
        saved before, its cart and order changes, and what it saves now are committed together
        or not at all. The user's row is locked for the turn (on SQLite, the whole file), so one
        user's turns are answered one at a time whichever server takes them."""
        with self._transaction(f"answer a turn of {user!r}") as connection:
            user_id = _user_id(connection, user)
            yield ConversationTurn(
                connection,
                user_id,
                conversation_id,
                read_saved(connection, user_id, conversation_id),
            )

    def saved_conversation(self, user: str, conversation_id: str) -> SavedConversation | None:
        """What the conversation remembered after its last turn, or None."""
        with self._transaction("read a conversation", write=False) as connection:
            user_id = _existing_user_id(connection, user)
            if user_id is None:
                return None
            return read_saved(connection, user_id, conversation_id)

    def _transaction(
        self, action: str, *, write: bool = True
    ) -> AbstractContextManager[Connection]:
        """A transaction on this database (see `connection.transaction`); inside a
        conversation's turn, the turn's own transaction."""
        if self._connection.in_transaction:
            return nullcontext(self._connection)
        return transaction(self._connection, f"{action} in the database {self.path}", write=write)


def _name_key(name: str) -> str:
    """A user name as it is compared when looking for the user meant."""
    return " ".join(name.split()).casefold()


def _user_id(connection: Connection, user: str) -> int:
    """The id of the user called `user`, creating the user on first use; in a write
    transaction, the user's row stays locked until it ends (on PostgreSQL: every write to a
    user's carts, orders and guards calls this first, so they take turns per user)."""
    if not user.strip():
        raise ValueError("a user name must not be empty")
    connection.execute(
        "INSERT INTO users (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        (user, _now()),
    )
    query = f"SELECT id FROM users WHERE name = ?{connection.for_update}"
    return int(connection.execute(query, (user,)).fetchone()[0])


def _cart_lines(connection: Connection, user_id: int, store_id: str) -> list[CartLine]:
    rows = connection.execute(
        f"SELECT {_LINE_COLUMNS} FROM cart_lines WHERE user_id = ? AND store_id = ?"
        " ORDER BY position",
        (user_id, store_id),
    )
    return [_line_from_row(row) for row in rows]


def _write_cart(
    connection: Connection, user_id: int, store_id: str, lines: Sequence[CartLine]
) -> None:
    _empty_cart(connection, user_id, store_id)
    connection.executemany(
        f"INSERT INTO cart_lines (user_id, store_id, position, {_LINE_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((user_id, store_id, *row) for row in _line_rows(lines)),
    )


def _insert_order(
    connection: Connection,
    user: str,
    store_id: str,
    lines: Sequence[CartLine],
    checkout_key: str | None = None,
    placing: Placing | None = None,
) -> Order:
    """Record an order of `lines` and empty the cart it came from."""
    placing = placing or Placing()
    user_id = _user_id(connection, user)
    placed_at = _now()
    order_id = connection.execute(
        "INSERT INTO orders"
        " (user_id, store_id, placed_at, status, checkout_key, interface, code_given)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            user_id,
            store_id,
            placed_at,
            OrderStatus.PLACED.value,
            checkout_key,
            placing.interface,
            int(placing.code_given),
        ),
    ).fetchone()[0]
    connection.executemany(
        f"INSERT INTO order_lines (order_id, position, {_LINE_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((order_id, *row) for row in _line_rows(lines)),
    )
    _empty_cart(connection, user_id, store_id)
    return Order(
        order_id,
        user,
        store_id,
        placed_at,
        OrderStatus.PLACED,
        tuple(lines),
        placing.interface,
        placing.code_given,
    )


def _check_guards(
    connection: Connection, user_id: int, lines: Sequence[CartLine], placing: Placing
) -> None:
    """Raise PurchaseRefused when the user's code or limits forbid an order of `lines`."""
    now = _utc_now()
    if guards.has_code(connection, user_id) and (
        not placing.code_given or guards.locked(connection, user_id, now)
    ):
        raise guards.CodeRequired("this user's purchase code is needed to place an order")
    total = sum(line.price or 0.0 for line in lines)
    guards.check_limits(connection, user_id, total, guards.local_day_start(now))


def _existing_user_id(connection: Connection, user: str) -> int | None:
    row = connection.execute("SELECT id FROM users WHERE name = ?", (user,)).fetchone()
    return int(row[0]) if row else None


def _empty_cart(connection: Connection, user_id: int, store_id: str) -> None:
    connection.execute(
        "DELETE FROM cart_lines WHERE user_id = ? AND store_id = ?", (user_id, store_id)
    )


def _line_rows(lines: Sequence[CartLine]) -> Iterator[tuple[Any, ...]]:
    """(position, product id, name, quantity, options JSON, unit price) for each line."""
    for position, line in enumerate(lines):
        options = json.dumps(line.options, ensure_ascii=False)
        yield position, line.product_id, line.name, line.quantity, options, line.unit_price


def _line_from_row(row: Sequence[Any]) -> CartLine:
    product_id, name, quantity, options, unit_price = row
    return CartLine(product_id, name, quantity, json.loads(options), unit_price)


def _now() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return _utc_now().isoformat(timespec="seconds")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _ignore(_count: int) -> None:
    """A progress callback that does nothing."""
