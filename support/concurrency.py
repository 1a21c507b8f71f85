"""The concurrency round of `python -m benchmarks.concurrency` (described there): `voiceshop chat`
processes changing one shared cart in phases, and the lost units, duplicate orders and wrong
undos counted after each.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from voiceshop.catalog.model import Product
from voiceshop.dialog.core import DialogSettings
from voiceshop.language import Normalizer, load_language
from voiceshop.matching.matcher import ProductMatcher
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import CartLine
from voiceshop.storage.stores import open_store

STORE = "grocery"
USER = "shopper"
SHARED = ("banana", "lemon", "lime")
"""Products every process adds."""
OWN = ("avocado", "red onion", "cucumber", "green pepper")
"""One product per process, the only one it undoes."""
PHASE_CHANGES = 50
"""Changes each process makes between two simultaneous checkouts."""
COUNT_WORDS = {1: "one", 2: "two"}


@dataclass(frozen=True)
class Step:
    """One line a process says, and how it moves the product's units (undo: negative)."""

    line: str
    product: str
    units: int

    @property
    def is_undo(self) -> bool:
        return self.units < 0


@dataclass
class Figures:
    """What a run did and what went wrong."""

    changes: int = 0
    orders: int = 0
    lost_units: int = 0
    extra_units: int = 0
    duplicate_orders: int = 0
    wrong_undos: int = 0

    def add(self, other: Figures) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def clean(self) -> bool:
        return not (
            self.lost_units or self.extra_units or self.duplicate_orders or self.wrong_undos
        )


@dataclass
class _Phase:
    """Each process's steps in one phase, and the units they add up to per product."""

    steps: list[list[Step]]
    expected: Counter[str] = field(default_factory=Counter)


def plan_phase(processes: int, changes: int, rng: random.Random) -> _Phase:
    """`changes` steps for each process; shared adds go to the least-added shared product."""
    phase = _Phase([])
    limit = DialogSettings().max_order_quantity
    for own in OWN[:processes]:
        steps: list[Step] = []
        while len(steps) < changes:
            if rng.random() < 0.35:
                said = [Step(f"add one {own}", own, 1)]
                if rng.random() < 0.5 and len(steps) + 1 < changes:
                    said.append(Step("undo", own, -1))
            else:
                product = min(SHARED, key=lambda p: (phase.expected[p], rng.random()))
                count = rng.choice(tuple(COUNT_WORDS))
                said = [Step(f"add {COUNT_WORDS[count]} {product}s", product, count)]
            for step in said:
                phase.expected[step.product] += step.units
            steps += said
        phase.steps.append(steps)
    if max(phase.expected.values()) > limit:
        raise ValueError(f"a phase would order more than {limit} of one product; use fewer")
    return phase


def run_round(db_path: Path | str, processes: int, changes: int, rng: random.Random) -> Figures:
    """One round: fresh processes on `db_path`, `changes` changes each, checkouts between."""
    products = _products()
    workers = [_start_chat(db_path) for _ in range(processes)]
    figures = Figures()
    try:
        for start in range(0, changes, PHASE_CHANGES):
            phase = plan_phase(processes, min(PHASE_CHANGES, changes - start), rng)
            figures.add(_run_phase(db_path, workers, phase, products))
    finally:
        for worker in workers:
            _stop(worker)
    return figures


def _run_phase(
    db_path: Path | str,
    workers: list[subprocess.Popen[str]],
    phase: _Phase,
    products: dict[str, Product],
) -> Figures:
    before = _units_and_orders(db_path)
    replies = _say_all(workers, [[step.line for step in steps] for steps in phase.steps])
    _say_all(workers, [["check out", "yes"]] * len(workers))
    after = _units_and_orders(db_path)
    placed = after[1] - before[1]
    units = after[0]
    units.subtract(before[0])
    figures = Figures(
        changes=sum(len(steps) for steps in phase.steps),
        orders=placed,
        duplicate_orders=max(placed - 1, 0),
    )
    for product, expected in phase.expected.items():
        off = units[products[product].id] - expected
        figures.lost_units += max(-off, 0)
        figures.extra_units += max(off, 0)
        if product in OWN:
            figures.wrong_undos += abs(off)
    for steps, said in zip(phase.steps, replies, strict=True):
        for step, reply in zip(steps, said, strict=True):
            if step.is_undo and not reply.endswith(f"adding 1 {products[step.product].name}."):
                figures.wrong_undos += 1
    return figures


def _say_all(workers: list[subprocess.Popen[str]], lines: list[list[str]]) -> list[list[str]]:
    """Send each process its lines at once, then read one reply per line from each."""
    for worker, said in zip(workers, lines, strict=True):
        assert worker.stdin is not None
        worker.stdin.write("".join(f"{line}\n" for line in said))
        worker.stdin.flush()
    return [[_reply(worker) for _ in said] for worker, said in zip(workers, lines, strict=True)]


def _reply(worker: subprocess.Popen[str]) -> str:
    assert worker.stdout is not None
    line = worker.stdout.readline()
    if not line:
        raise RuntimeError(f"voiceshop chat ended early (exit code {worker.wait()})")
    return line.strip()


def _start_chat(db_path: Path | str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "voiceshop", "chat", "--db", str(db_path)]
    return subprocess.Popen(
        [*command, "--user", USER, "--store", STORE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def _stop(worker: subprocess.Popen[str]) -> None:
    if worker.stdin is not None:
        worker.stdin.close()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _units_and_orders(db_path: Path | str) -> tuple[Counter[str], int]:
    """Units per product id, ordered or in the cart, and how many orders there are."""
    with ShopDatabase(db_path) as db:
        orders = db.orders(USER, STORE)
        lines: list[CartLine] = [line for order in orders for line in order.lines]
        lines += db.cart(USER, STORE)
    units: Counter[str] = Counter()
    for line in lines:
        units[line.product_id] += line.quantity
    return units, len(orders)


def _products() -> dict[str, Product]:
    """The catalog product each spoken product name stands for."""
    matcher = ProductMatcher(open_store(STORE, None), Normalizer(load_language("en")))
    return {word: matcher.match(word).candidates[0].product for word in SHARED + OWN}
