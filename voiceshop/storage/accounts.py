"""SQL for linked store accounts, purchase history and users' default stores."""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.storage.backend import Connection
from voiceshop.storage.records import Account, Channel, Purchase


def link(connection: Connection, user_id: int, store_id: str, customer: str, now: str) -> None:
    connection.execute(
        "INSERT INTO accounts (user_id, store_id, customer_id, linked_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id, store_id) DO UPDATE SET customer_id = excluded.customer_id,"
        " linked_at = excluded.linked_at",
        (user_id, store_id, customer, now),
    )


def unlink(connection: Connection, user: str, store_id: str) -> bool:
    cursor = connection.execute(
        "DELETE FROM accounts WHERE store_id = ?"
        " AND user_id = (SELECT id FROM users WHERE name = ?)",
        (store_id, user),
    )
    return cursor.rowcount > 0


def accounts(connection: Connection, user: str) -> list[Account]:
    rows = connection.execute(
        "SELECT users.name, store_id, customer_id, linked_at FROM accounts"
        " JOIN users ON users.id = accounts.user_id WHERE users.name = ? ORDER BY store_id",
        (user,),
    )
    return [Account(*row) for row in rows]


def add_purchases(
    connection: Connection, user_id: int, store_id: str, purchases: Sequence[Purchase]
) -> None:
    connection.executemany(
        "INSERT INTO purchases (user_id, store_id, product_id, name, quantity, purchased_at,"
        " channel) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (user_id, store_id, p.product_id, p.name, p.quantity, p.purchased_at, p.channel.value)
            for p in purchases
        ),
    )


def purchases(connection: Connection, user: str, store_id: str) -> list[Purchase]:
    """Imported purchases and the lines of placed (not cancelled) orders, oldest first."""
    rows = connection.execute(
        "SELECT product_id, purchases.name, quantity, purchased_at, channel FROM purchases"
        " JOIN users ON users.id = purchases.user_id"
        " WHERE users.name = :user AND store_id = :store"
        " UNION ALL"
        " SELECT order_lines.product_id, order_lines.name, order_lines.quantity,"
        " orders.placed_at, 'online' FROM orders"
        " JOIN users ON users.id = orders.user_id"
        " JOIN order_lines ON order_lines.order_id = orders.id"
        " WHERE users.name = :user AND orders.store_id = :store AND orders.status = 'placed'"
        " ORDER BY 4",
        {"user": user, "store": store_id},
    )
    return [Purchase(pid, name, qty, at, Channel(channel)) for pid, name, qty, at, channel in rows]


def set_default_store(connection: Connection, user_id: int, store_id: str | None) -> None:
    connection.execute("UPDATE users SET default_store = ? WHERE id = ?", (store_id, user_id))


def default_store(connection: Connection, user: str) -> str | None:
    row = connection.execute("SELECT default_store FROM users WHERE name = ?", (user,)).fetchone()
    return row[0] if row else None


def stores_with_carts(connection: Connection, user: str) -> list[str]:
    rows = connection.execute(
        "SELECT DISTINCT store_id FROM cart_lines JOIN users ON users.id = cart_lines.user_id"
        " WHERE users.name = ? ORDER BY store_id",
        (user,),
    )
    return [row[0] for row in rows]


def store_names(connection: Connection) -> dict[str, str]:
    return dict(connection.execute("SELECT id, name FROM stores ORDER BY id"))
