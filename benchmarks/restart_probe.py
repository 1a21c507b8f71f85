"""What a restart costs: run in a fresh process, prints one JSON object.

    python -m benchmarks.restart_probe DATABASE STORE_ID INDEX_CACHE_DIR

Loads the imported store from the database, then its matcher (the saved index, from the cache
folder), matches a few phrases, and reports the seconds each step took and the resident memory
(now and at its peak) in MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path

from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.matching.index_cache import IndexCache
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import open_store

PHRASES = ("organic whole milk", "hole milk", "chocolate chip cookies", "peanut butter")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("database", type=Path)
    options.add_argument("store_id")
    options.add_argument("cache", type=Path)
    args = options.parse_args()
    started = time.perf_counter()
    with ShopDatabase(args.database) as db:
        store = open_store(args.store_id, db)
    loaded = time.perf_counter()
    matcher = ProductMatcher(store, Normalizer(load_language()), index_cache=IndexCache(args.cache))
    indexed = time.perf_counter()
    for phrase in PHRASES:
        matcher.match(phrase)
    gc.collect()
    report = {
        "store_seconds": loaded - started,
        "index_seconds": indexed - loaded,
        "resident_mb": _memory_mb("VmRSS"),
        "peak_mb": _memory_mb("VmHWM"),
    }
    print(json.dumps(report))


def _memory_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


if __name__ == "__main__":
    main()
