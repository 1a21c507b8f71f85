"""How long importing the Instacart catalog (about 50k products, from ../shared) into a
database takes: `ShopDatabase.save_store` into a fresh SQLite file and into a fresh database on a
throwaway PostgreSQL server (Debian's postgresql-15), each best of `--repeat`.

    python -m benchmarks.catalog_import [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from support.postgres_cluster import TempCluster, find_bin_dir
from voiceshop.catalog.instacart import read_instacart
from voiceshop.catalog.model import Store
from voiceshop.storage.database import ShopDatabase

PRODUCTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "catalog" / "products.csv"


def timed_import(target: Path | str, store: Store) -> float:
    """Seconds `save_store` took into `target` (the database already made)."""
    with ShopDatabase(target) as db:
        started = time.perf_counter()
        db.save_store(store)
        elapsed = time.perf_counter() - started
        loaded = db.load_store(store.id)
    assert loaded is not None and len(loaded.products) == len(store.products)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    store = read_instacart(PRODUCTS, store_id="instacart", name="Instacart")
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL's initdb is not installed (apt-get install postgresql-15)")
    print(f"{len(store.products)} products; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder, TempCluster(bin_dir) as cluster:
        for engine in ("sqlite", "postgresql"):
            times = []
            for attempt in range(args.repeat):
                target: Path | str = (
                    Path(folder) / f"{attempt}.db"
                    if engine == "sqlite"
                    else cluster.create_database("import")
                )
                times.append(timed_import(target, store))
            shown = ", ".join(f"{t:.1f}" for t in times)
            print(f"{engine}: best {min(times):.1f} s ({shown}); load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
