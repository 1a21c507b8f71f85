"""Processes sharing one database: lost units, duplicate orders and wrong undos.

`python -m benchmarks.concurrency` runs `--rounds` rounds (default 20). In each, `--processes`
real `voiceshop chat` processes (default 4) share one user's grocery cart in a fresh database
(a SQLite file; with `--backend postgresql`, a database on a throwaway local PostgreSQL server
started for the run, see `support.postgres_cluster`) and make `--changes` cart changes
each (default 200): adds of products every process adds, adds of a product only that process
adds, and "undo" right after some of the latter. The changes come in phases of
`PHASE_CHANGES` per process; after each phase every process says "check out" and "yes" at the
same moment, so exactly one order per phase must be placed.

Figures, each expected 0: lost units (units added and not undone that are neither ordered nor
in the cart), extra units (ordered or in the cart beyond what was added), duplicate orders
(orders beyond one per phase), wrong undos (undo replies naming another process's change, and
units of a process's own product that its undos left wrong). Exits 1 unless all are 0.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

from support.concurrency import OWN, Figures, run_round
from support.postgres_cluster import TempCluster, find_bin_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=4, choices=range(1, len(OWN) + 1))
    parser.add_argument("--changes", type=int, default=200, help="per process and round")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    total = Figures()
    with contextlib.ExitStack() as stack:
        cluster = None
        if args.backend == "postgresql":
            bin_dir = find_bin_dir()
            if bin_dir is None:
                parser.error("PostgreSQL is not installed (apt-get install postgresql-15)")
            cluster = stack.enter_context(TempCluster(bin_dir))
        started = time.perf_counter()
        for number in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory() as folder:
                target = cluster.create_database() if cluster else Path(folder) / "shop.db"
                figures = run_round(target, args.processes, args.changes, rng)
                if cluster:
                    cluster.drop_database(str(target))
            total.add(figures)
            print(f"round {number}: {_line(figures)}", flush=True)
        seconds = time.perf_counter() - started
    print(
        f"all {args.rounds} rounds, {args.processes} processes on {args.backend}: "
        f"{_line(total)}; {seconds:.0f} s"
    )
    return 0 if total.clean else 1


def _line(figures: Figures) -> str:
    return ", ".join(
        f"{f.name.replace('_', ' ')} {getattr(figures, f.name)}" for f in fields(figures)
    )


if __name__ == "__main__":
    sys.exit(main())
