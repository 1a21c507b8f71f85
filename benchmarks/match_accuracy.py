"""Top-1 accuracy and score calibration of the product matcher on perturbed real product names.

    python -m benchmarks.match_accuracy [--count N] [--seed S] [--products PATH]

Prints two markdown tables: top-1 accuracy by kind of perturbation, and, by band of the best
score, how often the first product is the meant one and what the matcher decides (act, ask,
not found). A calibrated score means: the higher the band, the more often it is right, and
"confident" is right nearly always. Reads the Instacart catalog from ../shared (never copied).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from support.perturbed_queries import KINDS, PerturbedQuery, generate
from voiceshop.catalog.instacart import read_instacart
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import MatchOutcome, ProductMatcher

DEFAULT_PRODUCTS = Path(__file__).resolve().parents[2] / "shared/data/catalog/products.csv"
SCORE_BANDS = (0.0, 0.55, 0.7, 0.8, 0.9, 1.01)


@dataclass(frozen=True)
class Judged:
    """One query's outcome."""

    query: PerturbedQuery
    hit: bool
    score: float
    outcome: MatchOutcome
    seconds: float


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
    judged = [judge(query, matcher) for query in queries]
    print(
        f"{len(store.products)} products, matcher ready in {built:.2f} s, "
        f"{len(queries)} queries (seed {args.seed})\n"
    )
    print_accuracy(judged)
    print_calibration(judged)
    seconds = sorted(j.seconds for j in judged)
    print(
        f"\nper query (rank + decide): median {statistics.median(seconds) * 1000:.1f} ms, "
        f"p95 {seconds[int(0.95 * (len(seconds) - 1))] * 1000:.1f} ms"
    )


def judge(query: PerturbedQuery, matcher: ProductMatcher) -> Judged:
    started = time.perf_counter()
    ranked = matcher.rank(query.text, limit=1)
    outcome = matcher.match(query.text).outcome
    seconds = time.perf_counter() - started
    index = matcher.index
    hit = bool(ranked) and index.same_product_key(
        index.position[ranked[0].product.id]
    ) == index.same_product_key(index.position[query.product_id])
    return Judged(query, hit, ranked[0].score if ranked else 0.0, outcome, seconds)


def print_accuracy(judged: list[Judged]) -> None:
    totals = Counter(j.query.kind for j in judged)
    hits = Counter(j.query.kind for j in judged if j.hit)
    print("| perturbation | queries | top-1 accuracy |")
    print("| --- | ---: | ---: |")
    for kind in KINDS:
        if totals[kind]:
            print(f"| {kind} | {totals[kind]} | {hits[kind] / totals[kind]:.1%} |")
    print(f"| **all** | {len(judged)} | {sum(hits.values()) / len(judged):.1%} |\n")


def print_calibration(judged: list[Judged]) -> None:
    print(
        "| best score | queries | first is right | confident | asks | not found "
        "| right when confident |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for low, high in itertools.pairwise(SCORE_BANDS):
        band = [j for j in judged if low <= j.score < high]
        if band:
            print(_band_row(f"{low:.2f}-{min(high, 1.0):.2f}", band))
    print(_band_row("**all**", judged))


def _band_row(label: str, band: list[Judged]) -> str:
    outcomes = Counter(j.outcome for j in band)
    confident = [j for j in band if j.outcome is MatchOutcome.CONFIDENT]
    right = f"{sum(j.hit for j in confident) / len(confident):.1%}" if confident else "n/a"

    def share(count: int) -> str:
        return f"{count / len(band):.1%}"

    return (
        f"| {label} | {len(band)} | {share(sum(j.hit for j in band))} "
        f"| {share(outcomes[MatchOutcome.CONFIDENT])} | {share(outcomes[MatchOutcome.AMBIGUOUS])} "
        f"| {share(outcomes[MatchOutcome.NOT_FOUND])} | {right} |"
    )


if __name__ == "__main__":
    main()
