"""The kill -9 run of `python -m benchmarks.kill_nine` (described there): `voiceshop chat`
processes killed at random moments of a shopping script, and the database checked after each
round and at the end.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support.raw_sql import raw_rows
from voiceshop.cli.main import main as voiceshop_main
from voiceshop.dialog.assistant import Assistant
from voiceshop.storage.backend import is_postgres_url
from voiceshop.storage.database import ShopDatabase

STORE = "grocery"
SCRIPT = ("add two lemons", "add a banana", "add three limes", "check out", "yes")
PRODUCTS = frozenset({"lemon", "banana", "lime"})
"""The products SCRIPT adds."""
REPLY_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Figures:
    """What the kills left; the inconsistency counts (the last four) must be 0."""

    kills: int
    kills_by_line: tuple[int, ...]
    """How many kills came while each SCRIPT line was answered."""
    orders: int
    yes_sent: int
    orders_without_yes: int
    integrity_errors: int
    bad_orders: int
    bad_carts: int

    @property
    def consistent(self) -> bool:
        return not (
            self.orders_without_yes or self.integrity_errors or self.bad_orders or self.bad_carts
        )


class ChatProcess:
    """One `voiceshop chat` process with its stdin and stdout as pipes."""

    def __init__(self, db_path: Path | str) -> None:
        to_child, self._stdin = os.pipe()
        self._stdout, from_child = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self._stdin)
            os.close(self._stdout)
            _run_chat(db_path, to_child, from_child)
        os.close(to_child)
        os.close(from_child)
        self._pending = b""

    def say(self, line: str) -> None:
        os.write(self._stdin, f"{line}\n".encode())

    def reply(self, timeout_s: float = REPLY_TIMEOUT_S) -> str:
        """The next reply line (raises TimeoutError)."""
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._stdout], [], [], left)[0]:
                raise TimeoutError("voiceshop chat did not reply")
            chunk = os.read(self._stdout, 4096)
            if not chunk:
                raise EOFError("voiceshop chat ended")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode()

    def kill(self) -> bool:
        """SIGKILL the process; whether it was still running."""
        running = os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        if running:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.close()
        return running

    def finish(self) -> None:
        """End stdin and wait for the process to exit."""
        self.close()
        os.waitpid(self.pid, 0)

    def close(self) -> None:
        for fd in (self._stdin, self._stdout):
            with contextlib.suppress(OSError):
                os.close(fd)


def _run_chat(db_path: Path | str, stdin_fd: int, stdout_fd: int) -> None:
    """In the forked child: `voiceshop chat` on the pipes, then exit without cleanup."""
    try:
        sys.stdin = open(stdin_fd, encoding="utf-8")  # noqa: SIM115 - lives until _exit
        sys.stdout = open(stdout_fd, "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        status = voiceshop_main(["chat", "--db", str(db_path), "--store", STORE])
        sys.stdout.flush()
    except BaseException:
        status = 1
    os._exit(status)


def line_seconds(db_path: Path | str, runs: int = 3) -> list[float]:
    """How long each SCRIPT line takes to answer (the first with the start-up), the most over
    `runs` rounds without kills."""
    longest = [0.0] * len(SCRIPT)
    for _ in range(runs):
        started = time.monotonic()
        chat = ChatProcess(db_path)
        for index, line in enumerate(SCRIPT):
            chat.say(line)
            chat.reply()
            now = time.monotonic()
            longest[index] = max(longest[index], now - started)
            started = now
        chat.finish()
    return longest


def kill_round(db_path: Path | str, seconds: list[float], rng: random.Random) -> int:
    """One process killed at a random moment of a random line; the line's index in SCRIPT."""
    target = rng.randrange(len(SCRIPT))
    chat = ChatProcess(db_path)
    for line in SCRIPT[:target]:
        chat.say(line)
        chat.reply()
    chat.say(SCRIPT[target])
    time.sleep(rng.uniform(0.0, seconds[target]))
    if not chat.kill():
        raise RuntimeError(f"voiceshop chat exited before the kill after {SCRIPT[target]!r}")
    return target


def order_count(db_path: Path | str) -> int:
    return int(raw_rows(db_path, "SELECT count(*) FROM orders")[0][0])


_ORPHANS = (
    "SELECT count(*) FROM order_lines WHERE order_id NOT IN (SELECT id FROM orders)",
    "SELECT count(*) FROM orders WHERE user_id NOT IN (SELECT id FROM users)",
    "SELECT count(*) FROM cart_lines WHERE user_id NOT IN (SELECT id FROM users)",
)


def inconsistencies(db_path: Path | str) -> tuple[int, int, int]:
    """(integrity errors, orders with bad lines, carts with bad positions)."""
    if is_postgres_url(db_path):
        errors = sum(int(raw_rows(db_path, query)[0][0]) for query in _ORPHANS)
    else:
        integrity = [row[0] for row in raw_rows(db_path, "PRAGMA integrity_check")]
        foreign = raw_rows(db_path, "PRAGMA foreign_key_check")
        errors = (integrity != ["ok"]) + len(foreign)
    orders = raw_rows(db_path, "SELECT id FROM orders")
    bad_orders = sum(
        not _lines_ok(db_path, "order_lines", "order_id = ?", (order_id,)) for (order_id,) in orders
    )
    carts = raw_rows(db_path, "SELECT DISTINCT user_id, store_id FROM cart_lines")
    bad_carts = sum(
        not _lines_ok(db_path, "cart_lines", "user_id = ? AND store_id = ?", tuple(cart))
        for cart in carts
    )
    return errors, bad_orders, bad_carts


def _lines_ok(db_path: Path | str, table: str, where: str, parameters: tuple[object, ...]) -> bool:
    """Lines at positions 0..n-1 (at least one), of SCRIPT's products, quantities 1 or more."""
    rows = raw_rows(
        db_path,
        f"SELECT position, product_id, quantity FROM {table} WHERE {where} ORDER BY position",
        parameters,
    )
    positions = [row[0] for row in rows]
    return (
        bool(rows)
        and positions == list(range(len(rows)))
        and all(product in PRODUCTS and quantity >= 1 for _, product, quantity in rows)
    )


def run(db_path: Path | str, kills: int, rng: random.Random) -> Figures:
    """Calibrate, then `kills` killed rounds on `db_path`; the figures."""
    _warm(db_path)
    seconds = line_seconds(db_path)
    orders = order_count(db_path)
    yes_sent = without_yes = 0
    by_line = [0] * len(SCRIPT)
    for _ in range(kills):
        target = kill_round(db_path, seconds, rng)
        by_line[target] += 1
        said_yes = SCRIPT[target] == "yes"
        now = order_count(db_path)
        yes_sent += said_yes
        without_yes += now - orders > int(said_yes)
        orders = now
    errors, bad_orders, bad_carts = inconsistencies(db_path)
    return Figures(
        kills, tuple(by_line), orders, yes_sent, without_yes, errors, bad_orders, bad_carts
    )


def _warm(db_path: Path | str) -> None:
    """Load the store and build its matcher here, so forked processes inherit them."""
    with ShopDatabase(db_path) as db:
        Assistant(db, store=STORE, interface="chat").respond("add a lemon")
        db.save_cart("default", STORE, [])
