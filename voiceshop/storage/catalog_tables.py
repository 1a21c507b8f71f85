"""Reading and writing a store's catalog in the database's catalog tables.

The functions here run inside a transaction the caller opened; they never commit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from voiceshop.catalog.model import OptionGroup, OptionKind, OptionValue, Product, Store
from voiceshop.storage.backend import Connection

BATCH_SIZE = 5000
"""Products written per executemany call; progress is reported after each batch."""


def replace_store(
    connection: Connection,
    store: Store,
    imported_at: str,
    progress: Callable[[int], None],
) -> None:
    """Delete the store's catalog, if any, and write `store` in its place."""
    delete_store(connection, store.id)
    connection.execute(
        "INSERT INTO stores (id, name, currency, language, imported_from, imported_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (store.id, store.name, store.currency, store.language or "en", store.source, imported_at),
    )
    _insert_option_groups(connection, store)
    for done, batch in _batches(store.products, BATCH_SIZE):
        _insert_products(connection, store.id, batch, done - len(batch))
        progress(done)


def delete_store(connection: Connection, store_id: str) -> bool:
    """Delete the store and its whole catalog; whether it existed."""
    return connection.execute("DELETE FROM stores WHERE id = ?", (store_id,)).rowcount > 0


def count_change(connection: Connection) -> None:
    """Count one more catalog import or removal (`generation`)."""
    connection.execute(
        "INSERT INTO catalog_changes (id, generation) VALUES (1, 1) ON CONFLICT (id)"
        " DO UPDATE SET generation = catalog_changes.generation + 1"
    )


def generation(connection: Connection) -> int:
    """How many catalog imports and removals the database has seen."""
    row = connection.execute("SELECT generation FROM catalog_changes WHERE id = 1").fetchone()
    return int(row[0]) if row is not None else 0


def product_count(connection: Connection, store_id: str) -> int:
    """How many products the store has in the database (0 when it is not there)."""
    query = "SELECT COUNT(*) FROM products WHERE store_id = ?"
    return int(connection.execute(query, (store_id,)).fetchone()[0])


def store_ids(connection: Connection) -> list[str]:
    """The ids of the stores in the database, sorted."""
    return [row[0] for row in connection.execute("SELECT id FROM stores ORDER BY id")]


def read_store(connection: Connection, store_id: str) -> Store | None:
    """The store with this id and its catalog, or None when it is not in the database."""
    header = connection.execute(
        "SELECT name, currency, language FROM stores WHERE id = ?", (store_id,)
    ).fetchone()
    if header is None:
        return None
    name, currency, language = header
    return Store(
        id=store_id,
        name=name,
        currency=currency,
        language=language,
        option_groups=_read_option_groups(connection, store_id),
        products=_read_products(connection, store_id),
        source=f"db:{store_id}",
    )


def _insert_option_groups(connection: Connection, store: Store) -> None:
    groups = list(store.option_groups.values())
    connection.executemany(
        "INSERT INTO option_groups (store_id, id, position, kind, amounts) VALUES (?, ?, ?, ?, ?)",
        (
            (store.id, group.id, position, group.kind.value, json.dumps(group.amounts))
            for position, group in enumerate(groups)
        ),
    )
    connection.executemany(
        "INSERT INTO option_values (store_id, group_id, position, value, aliases)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            (store.id, group.id, position, value.value, json.dumps(value.aliases))
            for group in groups
            for position, value in enumerate(group.values)
        ),
    )


def _insert_products(
    connection: Connection, store_id: str, products: Sequence[Product], first: int
) -> None:
    """Write `products`, the first of which has position `first` in the store."""
    connection.insert_rows(
        "products",
        (
            "store_id",
            "id",
            "position",
            "name",
            "brand",
            "department",
            "aisle",
            "price",
            "size",
            "unit",
        ),
        (
            (
                store_id,
                product.id,
                first + offset,
                product.name,
                product.brand,
                product.department,
                product.aisle,
                product.price,
                product.size,
                product.unit,
            )
            for offset, product in enumerate(products)
        ),
    )
    connection.insert_rows(
        "product_aliases",
        ("store_id", "product_id", "position", "alias"),
        _word_rows(store_id, products, lambda product: product.aliases),
    )
    connection.insert_rows(
        "product_options",
        ("store_id", "product_id", "position", "group_id"),
        _word_rows(store_id, products, lambda product: product.options),
    )


def _word_rows(
    store_id: str, products: Sequence[Product], words_of: Callable[[Product], tuple[str, ...]]
) -> Iterator[tuple[str, str, int, str]]:
    """(store id, product id, position, word) rows for each product's words, in order."""
    for product in products:
        for position, word in enumerate(words_of(product)):
            yield store_id, product.id, position, word


def _read_option_groups(connection: Connection, store_id: str) -> dict[str, OptionGroup]:
    values: dict[str, list[OptionValue]] = defaultdict(list)
    for group_id, value, aliases in connection.execute(
        "SELECT group_id, value, aliases FROM option_values WHERE store_id = ?"
        " ORDER BY group_id, position",
        (store_id,),
    ):
        values[group_id].append(OptionValue(value, tuple(json.loads(aliases))))
    rows = connection.execute(
        "SELECT id, kind, amounts FROM option_groups WHERE store_id = ? ORDER BY position",
        (store_id,),
    )
    return {
        group_id: OptionGroup(
            id=group_id,
            kind=OptionKind(kind),
            values=tuple(values[group_id]),
            amounts=tuple(json.loads(amounts)),
        )
        for group_id, kind, amounts in rows
    }


def _read_products(connection: Connection, store_id: str) -> tuple[Product, ...]:
    aliases = _read_word_lists(connection, "product_aliases", "alias", store_id)
    options = _read_word_lists(connection, "product_options", "group_id", store_id)
    rows = connection.execute(
        "SELECT id, name, brand, department, aisle, price, size, unit FROM products"
        " WHERE store_id = ? ORDER BY position",
        (store_id,),
    )
    return tuple(
        Product(
            id=product_id,
            name=name,
            brand=brand,
            department=department,
            aisle=aisle,
            price=price,
            size=size,
            unit=unit,
            aliases=tuple(aliases.get(product_id, ())),
            options=tuple(options.get(product_id, ())),
        )
        for product_id, name, brand, department, aisle, price, size, unit in rows
    )


def _read_word_lists(
    connection: Connection, table: str, column: str, store_id: str
) -> dict[str, list[str]]:
    """Each product's words from `table`, in their original order."""
    words: dict[str, list[str]] = defaultdict(list)
    for product_id, word in connection.execute(
        f"SELECT product_id, {column} FROM {table} WHERE store_id = ?"
        " ORDER BY product_id, position",
        (store_id,),
    ):
        words[product_id].append(word)
    return words


def _batches(items: Sequence[Product], size: int) -> Iterator[tuple[int, Sequence[Product]]]:
    """Yield (items done after this batch, batch) for consecutive slices of `items`."""
    for start in range(0, len(items), size):
        batch = items[start : start + size]
        yield start + len(batch), batch
