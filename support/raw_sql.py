"""Reading a voiceshop database behind its back, on either backend: what the tests and
benchmarks check was stored."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from voiceshop.storage.backend import is_postgres_url


def raw_rows(
    target: Path | str, sql: str, parameters: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    """The rows of one statement run on its own connection (committed), `?` placeholders."""
    if is_postgres_url(target):
        import psycopg

        with psycopg.connect(str(target), autocommit=True) as connection:
            cursor = connection.execute(sql.replace("?", "%s").encode(), parameters)
            return list(cursor.fetchall()) if cursor.description else []
    with closing(sqlite3.connect(target)) as connection:
        rows = connection.execute(sql, parameters).fetchall()
        connection.commit()
        return rows
