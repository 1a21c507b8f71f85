"""PostgreSQL as voiceshop's database: for a server, or several, sharing one store of carts,
orders and history. Chosen by a `postgresql://` URL in --db (psycopg 3, the `postgres` extra).

The schema is the SQLite one (`schema.MIGRATIONS`), each statement translated by `ddl`: ids
become identity columns, REAL double precision, and text compares byte by byte (COLLATE "C")
as it does in SQLite. In place of SQLite's `PRAGMA application_id` and `user_version`, the
table `voiceshop_schema` marks the database as voiceshop's and holds its schema version.

Concurrency: a write transaction runs at READ COMMITTED and first locks the row of the user it
changes (`SELECT ... FOR UPDATE`, see `database._user_id`). Every change of a user's carts,
orders, purchase code and limits is made under that lock, so two processes changing the same
user's cart, or checking out at once, take turns, and each statement after the lock sees what
the previous holder committed: the guarantee SQLite's BEGIN IMMEDIATE gives, per user instead
of per file. Catalog imports take an advisory lock per store. Read transactions see one
snapshot (REPEATABLE READ, READ ONLY).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from voiceshop.errors import DatabaseError
from voiceshop.extras import missing_extra
from voiceshop.storage.backend import Connection, Cursor, Parameters, shown_target
from voiceshop.storage.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

MARK_TABLE = "voiceshop_schema"
_MIGRATION_LOCK = "voiceshop schema"

try:
    import psycopg
    from psycopg import pq
except ImportError:  # the postgres extra is not installed
    psycopg = None  # type: ignore[assignment]


def open_postgres(url: str) -> PostgresConnection:
    """Connect to the database at `url`, marked as voiceshop's and migrated to the latest
    schema; raise DatabaseError when it cannot be reached, comes from a newer voiceshop or
    holds another program's tables (those are left untouched)."""
    shown = shown_target(url)
    if psycopg is None:
        raise DatabaseError(
            f"cannot open the database {shown}: "
            + missing_extra("postgres", "PostgreSQL", "psycopg is not installed")
        )
    try:
        raw = psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise DatabaseError(
            f"cannot open the database {shown}: {_first_line(exc)}; check that the PostgreSQL "
            "server is running and the URL's host, port, user, password and database are right"
        ) from exc
    connection = PostgresConnection(raw, url)
    try:
        if _marked_version(connection) != SCHEMA_VERSION:
            _migrate(connection, shown)
    except psycopg.Error as exc:
        connection.close()
        raise DatabaseError(f"cannot open the database {shown}: {_first_line(exc)}") from exc
    except BaseException:
        connection.close()
        raise
    return connection


def marked_version(url: str) -> tuple[int | None, list[str]]:
    """Look without changing anything: the schema version the database at `url` is marked
    with (None when it has no voiceshop mark) and its tables besides the mark. DatabaseError
    when it cannot be reached."""
    shown = shown_target(url)
    if psycopg is None:
        raise DatabaseError(f"cannot open the database {shown}: psycopg is not installed")
    try:
        with psycopg.connect(url, autocommit=True) as raw:
            connection = PostgresConnection(raw, url)
            tables = [
                row[0]
                for row in raw.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = current_schema() AND table_name <> %s ORDER BY 1",
                    (MARK_TABLE,),
                )
            ]
            return _marked_version(connection), tables
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot open the database {shown}: {_first_line(exc)}") from exc


class PostgresConnection(Connection):
    """A psycopg connection in autocommit mode, running statements written for SQLite.

    When the server has dropped the connection (a restart, a fail-over, an idle timeout), the
    next transaction or read outside one connects again: only where nothing can have been
    written, so a transaction cut short is reported, never repeated.
    """

    kind = "postgresql"
    for_update = " FOR UPDATE"

    def __init__(self, raw: Any, url: str) -> None:
        self.raw = raw
        self.errors = (psycopg.Error,)
        self._url = url

    def execute(self, sql: str, parameters: Parameters = ()) -> Cursor:
        if self.in_transaction or not sql.lstrip().upper().startswith("SELECT"):
            return self.raw.execute(dialect(sql), parameters)
        return self._again_if_dropped(lambda: self.raw.execute(dialect(sql), parameters))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(dialect(sql), list(rows))

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """COPY FROM STDIN: one stream instead of a statement a row (about 50k products and
        their words in one catalog)."""
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def begin(self, write: bool) -> None:
        if write:
            statement = "BEGIN ISOLATION LEVEL READ COMMITTED"
        else:
            statement = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        self._again_if_dropped(lambda: self.raw.execute(statement))

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if not self.raw.broken:
            self.raw.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        status = self.raw.info.transaction_status
        return status in (
            pq.TransactionStatus.INTRANS,
            pq.TransactionStatus.INERROR,
            pq.TransactionStatus.ACTIVE,
        )

    def lock(self, name: str) -> None:
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(name),))

    def close(self) -> None:
        self.raw.close()

    def _again_if_dropped(self, run: Callable[[], Any]) -> Any:
        """`run()`, once more on a new connection when the server had dropped this one (it
        must be a statement that writes nothing: a read, or BEGIN)."""
        if self.raw.broken:
            self._reconnect()
        try:
            return run()
        except psycopg.OperationalError:
            if not self.raw.broken:
                raise
        self._reconnect()
        return run()

    def _reconnect(self) -> None:
        self.raw.close()
        self.raw = psycopg.connect(self._url, autocommit=True)


_PLACEHOLDERS = re.compile(r"'(?:[^']|'')*'|\?|(?<!:):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=512)
def dialect(sql: str) -> str:
    """`sql` with SQLite's placeholders (`?`, `:name`) in psycopg's (`%s`, `%(name)s`), and
    literal % doubled; quoted strings are left as they are."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return f"%({match.group(1)})s"

    return _PLACEHOLDERS.sub(replace, sql)


_DDL_RULES = (
    (
        re.compile(r"\bid INTEGER PRIMARY KEY(?: AUTOINCREMENT)?"),
        "id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\)\s*WITHOUT ROWID\s*$"), ")"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


def ddl(statement: str) -> str:
    """A SQLite schema statement of `schema.MIGRATIONS` as PostgreSQL's: `id INTEGER PRIMARY
    KEY [AUTOINCREMENT]` is an identity column, WITHOUT ROWID goes, REAL is double precision
    and text compares byte by byte, as in SQLite."""
    for pattern, replacement in _DDL_RULES:
        statement = pattern.sub(replacement, statement.strip())
    return statement


def _marked_version(connection: PostgresConnection) -> int | None:
    """The schema version in the mark table, or None when there is none (or it is another
    application's)."""
    if not _has_mark_table(connection):
        return None
    row = connection.raw.execute(f"SELECT application_id, version FROM {MARK_TABLE}").fetchone()
    return int(row[1]) if row and row[0] == APPLICATION_ID else None


def _has_mark_table(connection: PostgresConnection) -> bool:
    """Whether the current schema has the mark table, as the latest committed catalog says (a
    plain query: name lookups such as to_regclass may miss a table another process has just
    created while this one waited for the migration lock)."""
    query = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s"
    return connection.raw.execute(query, (MARK_TABLE,)).fetchone() is not None


def _migrate(connection: PostgresConnection, shown: object) -> None:
    """Mark a new database as voiceshop's and apply the migrations it lacks, one process at a
    time (an advisory lock), refusing another program's database or a newer voiceshop's."""
    from voiceshop.storage.connection import transaction

    with transaction(connection, f"upgrade the schema of the database {shown}"):
        connection.lock(_MIGRATION_LOCK)
        raw = connection.raw
        if not _has_mark_table(connection):
            _refuse_foreign(connection, shown)
            raw.execute(
                f"CREATE TABLE {MARK_TABLE} (application_id INTEGER NOT NULL,"
                " version INTEGER NOT NULL)"
            )
            raw.execute(f"INSERT INTO {MARK_TABLE} VALUES (%s, 0)", (APPLICATION_ID,))
        row = raw.execute(f"SELECT application_id, version FROM {MARK_TABLE}").fetchone()
        if row is None or row[0] != APPLICATION_ID:
            raise DatabaseError(
                f"the database {shown} has a table {MARK_TABLE} that is not voiceshop's; it was "
                "left untouched; give --db a new database or a voiceshop one"
            )
        version = int(row[1])
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"the database {shown} has schema version {version}, newer than this voiceshop "
                f"understands ({SCHEMA_VERSION}); upgrade voiceshop, or use another database"
            )
        missing = [
            ddl(statement) for statements in MIGRATIONS[version:] for statement in statements
        ]
        missing.append(f"UPDATE {MARK_TABLE} SET version = {SCHEMA_VERSION}")
        raw.execute(";\n".join(missing).encode())  # one round trip


def _refuse_foreign(connection: PostgresConnection, shown: object) -> None:
    """Raise DatabaseError when the current schema has tables but no voiceshop mark."""
    tables = sorted(
        row[0]
        for row in connection.raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    )
    if tables:
        listed = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise DatabaseError(
            f"the database {shown} belongs to another program (it has tables {listed} but no "
            "voiceshop mark); it was left untouched; give --db a new database or a voiceshop one"
        )


def _lock_key(name: str) -> int:
    """A 64-bit advisory lock key for `name` (the same in every process)."""
    return zlib.crc32(f"voiceshop:{name}".encode()) - 2**31


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
