"""What guards a user's purchases: a purchase code, a lock after wrong codes, spending limits.

The code is kept only as an argon2 hash (salted, slow to guess). Every function here works
inside a transaction the caller holds, so a check and the order it allows are one write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from voiceshop.storage.backend import Connection

CODE_DIGITS = range(4, 9)
"""How many digits a purchase code may have."""
WRONG_CODES_BEFORE_LOCK = 3
LOCK_TIME = timedelta(minutes=15)

_HASHER = PasswordHasher()


class CodeCheck(Enum):
    """The outcome of checking a spoken purchase code."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"
    """Too many wrong codes: purchasing is locked for now (also when this one was right)."""


class Limit(Enum):
    """A spending limit."""

    PER_ORDER = "per order"
    PER_DAY = "per day"


@dataclass(frozen=True)
class Limits:
    """A user's spending limits; None is no limit."""

    per_order: float | None = None
    per_day: float | None = None


class PurchaseRefused(Exception):
    """An order that may not be placed: nothing was written."""


class CodeRequired(PurchaseRefused):
    """The user has a purchase code and it was not given."""


@dataclass
class OverLimit(PurchaseRefused):
    """The order would pass one of the user's spending limits."""

    limit: Limit
    amount: float
    """The limit's amount."""
    spent: float
    """What was already spent in the limit's period (0 for the per-order limit)."""

    def __str__(self) -> str:
        return f"the order passes the {self.limit.value} limit of {self.amount:.2f}"


def valid_code(code: str) -> bool:
    """Whether `code` may be a purchase code: ASCII digits only, 4 to 8 of them."""
    return code.isascii() and code.isdigit() and len(code) in CODE_DIGITS


def set_code(connection: Connection, user_id: int, code: str | None) -> None:
    """Set (or with None, clear) the user's purchase code; any lock is lifted."""
    if code is not None and not valid_code(code):
        raise ValueError(f"a purchase code is {CODE_DIGITS[0]} to {CODE_DIGITS[-1]} digits")
    code_hash = _HASHER.hash(code) if code is not None else None
    _ensure_row(connection, user_id)
    connection.execute(
        "UPDATE purchase_guards SET code_hash = ?, failed_codes = 0, locked_until = NULL"
        " WHERE user_id = ?",
        (code_hash, user_id),
    )


def has_code(connection: Connection, user_id: int) -> bool:
    """Whether the user has a purchase code."""
    row = connection.execute(
        "SELECT code_hash FROM purchase_guards WHERE user_id = ?", (user_id,)
    ).fetchone()
    return row is not None and row[0] is not None


def locked(connection: Connection, user_id: int, now: datetime) -> bool:
    """Whether wrong codes have locked the user's purchasing at `now`."""
    row = connection.execute(
        "SELECT locked_until FROM purchase_guards WHERE user_id = ?", (user_id,)
    ).fetchone()
    return row is not None and row[0] is not None and row[0] > _stamp(now)


def check_code(connection: Connection, user_id: int, code: str, now: datetime) -> CodeCheck:
    """Check a code against the user's, counting wrong ones; the third in a row locks
    purchasing for `LOCK_TIME`. A right code resets the count."""
    if locked(connection, user_id, now):
        return CodeCheck.LOCKED
    row = connection.execute(
        "SELECT code_hash, failed_codes FROM purchase_guards WHERE user_id = ?", (user_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return CodeCheck.ACCEPTED
    code_hash, failed = row
    if _matches(code_hash, code):
        connection.execute(
            "UPDATE purchase_guards SET failed_codes = 0, locked_until = NULL WHERE user_id = ?",
            (user_id,),
        )
        return CodeCheck.ACCEPTED
    failed += 1
    lock = failed >= WRONG_CODES_BEFORE_LOCK
    connection.execute(
        "UPDATE purchase_guards SET failed_codes = ?, locked_until = ? WHERE user_id = ?",
        (0 if lock else failed, _stamp(now + LOCK_TIME) if lock else None, user_id),
    )
    return CodeCheck.LOCKED if lock else CodeCheck.WRONG


def set_limits(connection: Connection, user_id: int, limits: Limits) -> None:
    """Replace the user's spending limits."""
    for amount in (limits.per_order, limits.per_day):
        if amount is not None and not amount >= 0:
            raise ValueError("a spending limit is an amount of 0 or more")
    _ensure_row(connection, user_id)
    connection.execute(
        "UPDATE purchase_guards SET per_order = ?, per_day = ? WHERE user_id = ?",
        (limits.per_order, limits.per_day, user_id),
    )


def limits(connection: Connection, user_id: int) -> Limits:
    """The user's spending limits."""
    row = connection.execute(
        "SELECT per_order, per_day FROM purchase_guards WHERE user_id = ?", (user_id,)
    ).fetchone()
    return Limits(*row) if row else Limits()


def check_limits(connection: Connection, user_id: int, total: float, day_start: datetime) -> None:
    """Raise OverLimit when an order of `total` would pass a limit of the user's; the day's
    spending is that of the orders placed (not cancelled) since `day_start`."""
    found = limits(connection, user_id)
    if found.per_order is not None and round(total, 2) > found.per_order:
        raise OverLimit(Limit.PER_ORDER, found.per_order, 0.0)
    if found.per_day is None:
        return
    spent = connection.execute(
        "SELECT COALESCE(SUM(order_lines.quantity * order_lines.unit_price), 0)"
        " FROM orders JOIN order_lines ON order_lines.order_id = orders.id"
        " WHERE orders.user_id = ? AND orders.status = 'placed' AND orders.placed_at >= ?",
        (user_id, _stamp(day_start)),
    ).fetchone()[0]
    if round(spent + total, 2) > found.per_day:
        raise OverLimit(Limit.PER_DAY, found.per_day, float(spent))


def local_day_start(now: datetime) -> datetime:
    """The start of the local calendar day that `now` falls in."""
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _matches(code_hash: str, code: str) -> bool:
    try:
        return _HASHER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False


def _ensure_row(connection: Connection, user_id: int) -> None:
    connection.execute(
        "INSERT INTO purchase_guards (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING",
        (user_id,),
    )


def _stamp(moment: datetime) -> str:
    """`moment` as stored: UTC, ISO 8601 to the second (as orders' placed_at)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
