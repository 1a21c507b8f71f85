"""Top-1 accuracy of the product matcher on perturbed real product names, as a markdown table.

    python -m benchmarks.match_accuracy [--count N] [--seed S] [--products PATH]

Reads the Instacart catalog from ../shared (never copied into the repository).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

from benchmarks.perturbed_queries import KINDS, generate, top1_hits
from voiceshop.catalog.instacart import read_instacart
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher

DEFAULT_PRODUCTS = Path(__file__).resolve().parents[2] / "shared/data/catalog/products.csv"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--count", type=int, default=2000, help="queries (default 2000)")
    options.add_argument("--seed", type=int, default=11)
    options.add_argument("--products", type=Path, default=DEFAULT_PRODUCTS)
    args = options.parse_args()
    store = read_instacart(args.products, store_id="instacart", name="Instacart")
    started = time.perf_counter()
    matcher = ProductMatcher(store, Normalizer(load_language()))
    built = time.perf_counter() - started
    queries = generate(store, matcher, args.count, args.seed)
    totals, hits, seconds = Counter(), Counter(), []
    for query, hit in _timed(top1_hits(queries, matcher), seconds):
        totals[query.kind] += 1
        hits[query.kind] += hit
    print(
        f"{len(store.products)} products, index built in {built:.2f} s, "
        f"{len(queries)} queries (seed {args.seed})\n"
    )
    print("| perturbation | queries | top-1 accuracy |")
    print("| --- | ---: | ---: |")
    for kind in KINDS:
        if totals[kind]:
            print(f"| {kind} | {totals[kind]} | {hits[kind] / totals[kind]:.1%} |")
    print(f"| **all** | {sum(totals.values())} | {sum(hits.values()) / len(queries):.1%} |")
    seconds.sort()
    print(
        f"\nper query: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"p95 {seconds[int(0.95 * (len(seconds) - 1))] * 1000:.1f} ms"
    )


def _timed(pairs, seconds: list[float]):
    while True:
        started = time.perf_counter()
        try:
            pair = next(pairs)
        except StopIteration:
            return
        seconds.append(time.perf_counter() - started)
        yield pair


if __name__ == "__main__":
    main()
