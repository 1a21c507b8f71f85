"""Opening a database (creating and upgrading its schema) and running transactions.

A SQLite file is opened here; a `postgresql://` URL by `voiceshop.storage.postgres`. Both give
a `backend.Connection`, and `transaction` runs a block on either.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from voiceshop.errors import DatabaseError
from voiceshop.storage.backend import Connection, Cursor, Parameters, is_postgres_url
from voiceshop.storage.schema import (
    APPLICATION_ID,
    MARKED_SINCE_TABLES,
    MIGRATIONS,
    SCHEMA_VERSION,
)

IN_MEMORY = ":memory:"
BUSY_RETRIES = 8
"""How often a transaction tries to start while other processes hold the write lock, each try
waiting up to the connection's timeout."""


def open_connection(target: Path | str) -> Connection:
    """Open the database `target` names, migrated to the latest schema: a `postgresql://` URL
    (see `voiceshop.storage.postgres`), else a SQLite file path (see `open_sqlite`)."""
    if is_postgres_url(target):
        from voiceshop.storage.postgres import open_postgres

        return open_postgres(str(target))
    return SQLiteConnection(open_sqlite(target))


class SQLiteConnection(Connection):
    """A sqlite3 connection in autocommit mode; a write transaction locks the whole file."""

    kind = "sqlite"
    errors = (sqlite3.Error,)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Parameters = ()) -> Cursor:
        return self.raw.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        marks = ", ".join("?" for _ in columns)
        self.raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def begin(self, write: bool) -> None:
        _begin(self.raw, "BEGIN IMMEDIATE" if write else "BEGIN")

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        self.raw.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def lock(self, name: str) -> None:
        """Nothing to do: a write transaction holds the file's write lock already."""

    def close(self) -> None:
        self.raw.close()


def open_sqlite(path: Path | str) -> sqlite3.Connection:
    """Open the database at `path` (creating the file and its folders), migrated to the latest
    schema, in autocommit mode with foreign keys on and WAL journaling.

    Raises DatabaseError when the file cannot be opened, comes from a newer voiceshop, or holds
    another program's tables (that file is left as it was).
    """
    if str(path) != IN_MEMORY:
        _make_parent_folder(Path(path))
    try:
        connection = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise _cannot_open(path, exc) from exc
    try:
        _check_is_voiceshops(connection, path)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        _migrate(connection, path)
        if _application_id(connection) != APPLICATION_ID:
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except sqlite3.Error as exc:
        connection.close()
        raise _cannot_open(path, exc) from exc
    except BaseException:
        connection.close()
        raise
    return connection


@contextmanager
def transaction(connection: Connection, action: str, *, write: bool = True) -> Iterator[Connection]:
    """Run the block in one transaction, rolled back if it raises.

    On SQLite a write transaction takes the write lock at once (BEGIN IMMEDIATE), so what it
    reads is the current state until it commits; while another process holds the lock it waits
    and retries (`BUSY_RETRIES`). On PostgreSQL a write transaction locks the rows it names
    with `connection.for_update` (a user's row, before touching anything of theirs), which
    gives the same guarantee for everything of that user. A read one sees one consistent
    snapshot. The engine's errors become DatabaseError saying `action` failed.
    """
    try:
        connection.begin(write)
        try:
            yield connection
        except BaseException:
            if connection.in_transaction:
                connection.rollback()
            raise
        connection.commit()
    except connection.errors as exc:
        if connection.in_transaction:
            connection.rollback()
        raise DatabaseError(f"could not {action}: {exc}; nothing was changed") from exc


def _begin(connection: sqlite3.Connection, statement: str) -> None:
    """Start a transaction, retrying while the database stays busy past the lock timeout."""
    for attempt in range(BUSY_RETRIES):
        try:
            connection.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or attempt == BUSY_RETRIES - 1:
                raise
            time.sleep(random.uniform(0.0, 0.05 * (attempt + 1)))


def _make_parent_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the folder for the database {path}: {exc.strerror or exc}; "
            "choose a database path in a folder you can write to"
        ) from exc


def _check_is_voiceshops(connection: sqlite3.Connection, path: Path | str) -> None:
    """Refuse a database with tables that is neither marked as voiceshop's (APPLICATION_ID) nor
    one voiceshop made before it marked them (a schema version and voiceshop's tables)."""
    if _application_id(connection) == APPLICATION_ID:
        return
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    tables = {row[0] for row in connection.execute(query)}
    if not tables or (_user_version(connection) > 0 and tables >= MARKED_SINCE_TABLES):
        return
    shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
    raise DatabaseError(
        f"the database {path} belongs to another program (it has tables {shown} but no "
        "voiceshop mark); it was left untouched; give --db a new file or a voiceshop database"
    )


def _application_id(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA application_id").fetchone()[0])


def _migrate(connection: sqlite3.Connection, path: Path | str) -> None:
    """Apply the migrations the database lacks, refusing one from a newer voiceshop."""
    if _user_version(connection) == SCHEMA_VERSION:
        return
    with transaction(SQLiteConnection(connection), f"upgrade the schema of the database {path}"):
        version = _user_version(connection)
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"the database {path} has schema version {version}, newer than this voiceshop "
                f"understands ({SCHEMA_VERSION}); upgrade voiceshop, or use another database file"
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _cannot_open(path: Path | str, exc: sqlite3.Error) -> DatabaseError:
    return DatabaseError(
        f"cannot open the database {path}: {exc}; check that it is a voiceshop database file "
        "you can write to, or choose another database path"
    )
