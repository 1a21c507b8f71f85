"""The database schema, as an ordered list of migrations.

`PRAGMA user_version` holds the number of migrations applied. To change the schema, append a
migration; never edit one that has shipped.

Carts and orders name stores by id only: a store may come from a file rather than the database,
and orders keep their own snapshot of names and prices so they never depend on a catalog. Short
ordered word lists of option groups (amounts, value aliases) are JSON arrays.
"""

from __future__ import annotations

_VERSION_1 = (
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE cart_lines (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        store_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        product_id TEXT NOT NULL,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 1),
        options TEXT NOT NULL,
        unit_price REAL,
        PRIMARY KEY (user_id, store_id, position)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users (id),
        store_id TEXT NOT NULL,
        placed_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('placed', 'cancelled'))
    )
    """,
    "CREATE INDEX orders_by_user ON orders (user_id, store_id)",
    """
    CREATE TABLE order_lines (
        order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        product_id TEXT NOT NULL,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 1),
        options TEXT NOT NULL,
        unit_price REAL,
        PRIMARY KEY (order_id, position)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE stores (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        currency TEXT NOT NULL,
        imported_from TEXT NOT NULL,
        imported_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE option_groups (
        store_id TEXT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('choice', 'addon')),
        amounts TEXT NOT NULL,
        PRIMARY KEY (store_id, id)
    )
    """,
    """
    CREATE TABLE option_values (
        store_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        value TEXT NOT NULL,
        aliases TEXT NOT NULL,
        PRIMARY KEY (store_id, group_id, position),
        FOREIGN KEY (store_id, group_id)
            REFERENCES option_groups (store_id, id) ON DELETE CASCADE
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE products (
        store_id TEXT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        brand TEXT NOT NULL,
        department TEXT NOT NULL,
        aisle TEXT NOT NULL,
        price REAL CHECK (price >= 0),
        size TEXT NOT NULL,
        unit TEXT NOT NULL,
        PRIMARY KEY (store_id, id)
    )
    """,
    "CREATE UNIQUE INDEX products_in_order ON products (store_id, position)",
    """
    CREATE TABLE product_aliases (
        store_id TEXT NOT NULL,
        product_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        alias TEXT NOT NULL,
        PRIMARY KEY (store_id, product_id, position),
        FOREIGN KEY (store_id, product_id)
            REFERENCES products (store_id, id) ON DELETE CASCADE
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE product_options (
        store_id TEXT NOT NULL,
        product_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        group_id TEXT NOT NULL,
        PRIMARY KEY (store_id, product_id, position),
        FOREIGN KEY (store_id, product_id)
            REFERENCES products (store_id, id) ON DELETE CASCADE,
        FOREIGN KEY (store_id, group_id)
            REFERENCES option_groups (store_id, id) ON DELETE CASCADE
    ) WITHOUT ROWID
    """,
    "CREATE INDEX product_options_by_group ON product_options (store_id, group_id)",
)

_VERSION_2 = (
    "ALTER TABLE users ADD COLUMN default_store TEXT",
    """
    CREATE TABLE accounts (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        store_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        linked_at TEXT NOT NULL,
        PRIMARY KEY (user_id, store_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE purchases (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        store_id TEXT NOT NULL,
        product_id TEXT NOT NULL,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 1),
        purchased_at TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('in-store', 'online'))
    )
    """,
    "CREATE INDEX purchases_by_user ON purchases (user_id, store_id, purchased_at)",
)
"""Users' default stores, linked store accounts, and purchase history imported from them."""

_VERSION_3 = (
    "ALTER TABLE orders ADD COLUMN checkout_key TEXT",
    "CREATE UNIQUE INDEX orders_by_checkout_key ON orders (checkout_key)",
)
"""The key of the read-back an order was placed for: one order per read-back, however often
or from however many processes it is confirmed."""

_VERSION_4 = (
    "ALTER TABLE orders ADD COLUMN interface TEXT",
    "ALTER TABLE orders ADD COLUMN code_given INTEGER NOT NULL DEFAULT 0",
    """
    CREATE TABLE purchase_guards (
        user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        code_hash TEXT,
        failed_codes INTEGER NOT NULL DEFAULT 0 CHECK (failed_codes >= 0),
        locked_until TEXT,
        per_order REAL CHECK (per_order >= 0),
        per_day REAL CHECK (per_day >= 0)
    )
    """,
)
"""Who placed an order from which interface, with or without a purchase code; each user's
purchase code (an argon2 hash), wrong-code lock and spending limits."""

_VERSION_5 = (
    """
    CREATE TABLE conversations (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE catalog_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL
    )
    """,
)
"""What each server conversation remembers between turns (its open question, read-back, last
item, store: a JSON document, `dialog.memory`), so any server sharing the database may answer
its next turn; `version` counts the turns saved. `catalog_changes` counts catalog imports and
removals, so running servers know to load their stores again."""

_VERSION_6 = ("ALTER TABLE stores ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",)
"""The language an imported store's names are written and its shoppers speak in (stores
imported before it were English)."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _VERSION_1,
    _VERSION_2,
    _VERSION_3,
    _VERSION_4,
    _VERSION_5,
    _VERSION_6,
)
"""Migration n (1-based) is the list of statements that takes the schema from n-1 to n."""

SCHEMA_VERSION = len(MIGRATIONS)

APPLICATION_ID = 0x566F5348
"""`PRAGMA application_id` of a voiceshop database ("VoSH"): the mark that the file is ours."""

MARKED_SINCE_TABLES = frozenset({"users", "cart_lines", "orders", "stores", "products"})
"""Tables every voiceshop database has; with a schema version they mark one made before
APPLICATION_ID was written."""
