"""What the storage code needs from a database engine, whichever it is (SQLite or PostgreSQL).

The queries are written once, in the SQL both engines understand, with `?` placeholders (and
`:name` for named ones); a `Connection` runs them in its engine's dialect. What differs between
the engines is here and in the two engine modules, not in the queries: how a transaction starts
and keeps other processes out, how a row is locked, which errors it raises.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")

Parameters = Sequence[Any] | Mapping[str, Any]


class Cursor(Protocol):
    """The part of a DB-API cursor the storage code uses."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(ABC):
    """One connection to a voiceshop database, outside a transaction unless `begin` was called
    (each statement then commits on its own)."""

    kind: str
    """"sqlite" or "postgresql"."""
    for_update: str = ""
    """Appended to a SELECT of one user's row in a write transaction to lock it until the
    transaction ends (" FOR UPDATE" where rows can be locked; SQLite locks the whole file)."""
    errors: tuple[type[Exception], ...] = ()
    """The engine's exceptions, which the storage code reports as DatabaseError."""

    @abstractmethod
    def execute(self, sql: str, parameters: Parameters = ()) -> Cursor:
        """Run one statement written with `?` (or `:name`) placeholders."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once for each row of parameters."""

    @abstractmethod
    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Insert many rows into `table` the fastest way the engine has (PostgreSQL: COPY)."""

    @abstractmethod
    def begin(self, write: bool) -> None:
        """Start a transaction. A write one sees the latest committed state of whatever it has
        locked (everything on SQLite, rows named with `for_update` on PostgreSQL); a read one
        sees one consistent snapshot."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def lock(self, name: str) -> None:
        """Hold the lock called `name` until the transaction ends (for writes that lock no
        user's row, such as a catalog import)."""

    @abstractmethod
    def close(self) -> None: ...


def is_postgres_url(target: Path | str) -> bool:
    """Whether a --db value names a PostgreSQL database (`postgresql://...`)."""
    return isinstance(target, str) and urlsplit(target).scheme in POSTGRES_SCHEMES


def shown_target(target: Path | str) -> Path | str:
    """`target` as it may be shown in messages: a URL without its password."""
    if not is_postgres_url(target):
        return target
    parts = urlsplit(str(target))
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    query = "&".join(
        f"{name}=***" if name == "password" else f"{name}={value}" if sep else name
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit(parts._replace(query=query))


def database_target(value: str) -> Path | str:
    """An argparse type for --db: a `postgresql://` URL as it is, else a SQLite file path."""
    return value if is_postgres_url(value) else Path(value)
