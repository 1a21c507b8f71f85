"""The dialog thread's cost per turn on a server: `Desk.respond` of typed turns (no speech),
with the conversation's memory read and saved in the database each turn, on SQLite and on a
throwaway PostgreSQL server; one desk, or two desks on one database taking turns about (as two
servers would).

    python -m benchmarks.dialog_turns [--shoppers 20]

Each shopper plays the same short conversation (a choice, its answer, a follow-up, a checkout
and its yes) under its own user. Prints turns per second of wall time and CPU seconds of this
process per turn (for PostgreSQL the database server's own CPU is not in it).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from support.postgres_cluster import TempCluster, find_bin_dir
from voiceshop.server.sessions import Desk
from voiceshop.storage.database import ShopDatabase

SCRIPT = (
    "add milk",
    "the first one",
    "make it two",
    "add a loaf of sourdough bread",
    "what's in my cart",
    "check out",
    "yes",
)


def run(target: Path | str, shoppers: int, desks: int) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, turns) of every shopper's script, turns spread over
    `desks` desks on one database; the first shopper's warm-up turn not counted."""
    databases = [ShopDatabase(target) for _ in range(desks)]
    try:
        tables = [Desk(db, "grocery", 256) for db in databases]
        tables[0].respond("warm-up", "w", "what's in my cart")
        turns = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for shopper in range(shoppers):
            for number, text in enumerate(SCRIPT):
                tables[number % desks].respond(f"shopper-{shopper}", "kitchen", text)
                turns += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        orders = sum(len(databases[0].orders(f"shopper-{s}")) for s in range(shoppers))
        assert orders == shoppers, f"{orders} orders for {shoppers} shoppers"
        return wall, cpu, turns
    finally:
        for db in databases:
            db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shoppers", type=int, default=20)
    args = parser.parse_args(argv)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL's initdb is not installed (apt-get install postgresql-15)")
    with tempfile.TemporaryDirectory() as folder, TempCluster(bin_dir) as cluster:
        for engine in ("sqlite", "postgresql"):
            for desks in (1, 2):
                target: Path | str = (
                    Path(folder) / f"{desks}.db"
                    if engine == "sqlite"
                    else cluster.create_database("dialog")
                )
                wall, cpu, turns = run(target, args.shoppers, desks)
                print(
                    f"{engine}, {desks} desk(s): {turns} turns, {turns / wall:.1f} turns/s, "
                    f"{1000 * wall / turns:.1f} ms wall and {1000 * cpu / turns:.1f} ms CPU "
                    f"per turn; load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
