"""`kill -9` of `voiceshop chat` at random moments: does the database stay consistent?

`python -m benchmarks.kill_nine` runs `--kills` rounds (default 200) on one SQLite file (with
`--backend postgresql`, one database on a throwaway local PostgreSQL server). In each
round one `voiceshop chat` process (the CLI's own `main`, in a process forked from this one
after the imports, so that a round costs a fraction of a second instead of a Python start-up)
is told, one line at a time, to add products, check out and say yes. One of those lines is
picked at random; right after it is sent, the process gets SIGKILL at a random moment within
the time that line usually takes (measured first on a run without kills), so kills land while
it adds, reads back or places the order.

Checked after each round: no order appeared unless the round's "yes" was sent. Checked at the
end: `PRAGMA integrity_check` and `foreign_key_check` on SQLite (on PostgreSQL, which enforces
foreign keys itself: rows whose user or order is missing), every order has lines at positions 0..n-1
with quantities of 1 or more of the products added, every cart's positions are 0..n-1. Prints
the figures; exits 1 unless every inconsistency count is 0.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import time
from pathlib import Path

from support.kill_nine import run
from support.postgres_cluster import TempCluster, find_bin_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        target: Path | str = Path(scratch) / "shop.db"
        if args.backend == "postgresql":
            bin_dir = find_bin_dir()
            if bin_dir is None:
                parser.error("PostgreSQL is not installed (apt-get install postgresql-15)")
            target = stack.enter_context(TempCluster(bin_dir)).create_database()
        started = time.monotonic()
        figures = run(target, args.kills, random.Random(args.seed))
    for name, value in vars(figures).items():
        print(f"{name}: {value}")
    print(f"seconds: {time.monotonic() - started:.1f}")
    return 0 if figures.consistent else 1


if __name__ == "__main__":
    sys.exit(main())
