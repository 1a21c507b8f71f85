"""Matching at scale, beside the brute-force baseline and the targets of issue 5.

Catalogs: 10k and 50k products drawn from the combined one, the combined Instacart and Open
Food Facts catalog (236k), and the million-product one (make_catalogs.py). Queries: perturbed
real product names (support/perturbed_queries.py). Baseline: rapidfuzz's WRatio of the query
against every product name, both through rapidfuzz.utils.default_process, best name wins.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from matplotlib.figure import Figure
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from support.make_catalogs import make_catalogs, sample_store
from support.perturbed_queries import PerturbedQuery, generate, top1_hits
from support.report import BenchmarkRun, Figures, Row, Section, Target
from voiceshop.catalog.model import Store
from voiceshop.catalog.store_file import load_store_file
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.matching.index import CatalogIndex
from voiceshop.matching.index_cache import IndexCache
from voiceshop.matching.words import MatchWords

SAMPLED_SIZES = (10_000, 50_000)
BASELINE_QUERIES_AT_A_MILLION = 30
"""The baseline takes about a third of a second per query at a million products."""
QUERY_SEED = 11
LATENCY_TARGETS = {
    "236k": (Target("median", True, 2.0), Target("p99", True, 5.0)),
    "1M": (Target("p99", True, 15.0),),
}
ACCURACY_TARGET = (Target("median", False),)


class BruteForce:
    """The baseline: the product whose name has the best WRatio with the query."""

    def __init__(self, store: Store) -> None:
        self._names = [default_process(product.name) for product in store.products]

    def best(self, phrase: str) -> int | None:
        """The position of the best product for `phrase`, or None."""
        found = process.extractOne(
            default_process(phrase), self._names, scorer=fuzz.WRatio, processor=None
        )
        return found[2] if found else None


def match_latency_and_accuracy(run: BenchmarkRun) -> Section:
    """Latency per match against catalog size, and top-1 accuracy, ours and the baseline's."""
    rows, accuracy_rows, points = [], [], []
    for label, store in _catalogs(run):
        _say(f"matching {label} products")
        matcher = ProductMatcher(store, _normalizer(), index_cache=_index_cache(run))
        queries = _queries(run, label, store, matcher)
        ours = Figures.of(_our_latencies(matcher, queries, run.repeats), scale=1000)
        brute = BruteForce(store)
        if label == "1M":
            sample = queries[:: max(1, len(queries) // BASELINE_QUERIES_AT_A_MILLION)]
            baseline = Figures.of(_timed_each(brute.best, [q.text for q in sample]), scale=1000)
        else:
            baseline_hits, seconds = _baseline_pass(brute, matcher, queries)
            baseline = Figures.of(seconds, scale=1000)
            our_hits = sum(hit for _, hit in top1_hits(queries, matcher))
            accuracy_rows.append(
                Row(
                    f"top-1 accuracy, {label} products ({len(queries)} queries)",
                    "%",
                    Figures(100 * our_hits / len(queries)),
                    Figures(100 * baseline_hits / len(queries)),
                    ACCURACY_TARGET,
                )
            )
        rows.append(
            Row(
                f"match latency, {label} products",
                "ms",
                ours,
                baseline,
                LATENCY_TARGETS.get(label, ()),
            )
        )
        points.append((len(store.products), ours, baseline))
    _plot_latency(points, run.results / "match_latency.png")
    return Section(
        rows + accuracy_rows,
        [
            "Match latency: one `ProductMatcher.match` per query (the decision: up to three "
            "products within the ambiguity margin of the best), one query at a time, every "
            f"query {run.repeats} times; the queries are {run.queries} perturbed real product "
            f"names (support/perturbed_queries.py, seed {QUERY_SEED}) per catalog, the 236k "
            "catalog's at a million products.",
            "Baseline: rapidfuzz `process.extractOne` with `fuzz.WRatio` over every product name, "
            "query and names through `rapidfuzz.utils.default_process` (the names once, before "
            "timing); each query once, and at a million products "
            f"{BASELINE_QUERIES_AT_A_MILLION} of them.",
            "Catalogs: 10k and 50k products drawn from the 236k one (Instacart and Open Food "
            "Facts US less its junk rows); 1M: the 236k products in five regional stores with "
            "sizes of their own (benchmarks/make_catalogs.py).",
            "Top-1 accuracy: the first product is the meant one or its twin (same words and "
            "size); ours ranks with `ProductMatcher.rank(limit=1)`, the baseline takes the best "
            "WRatio.",
            "Plot: benchmarks/match_latency.png, median and p99 latency against catalog size.",
        ],
    )


def index_build(run: BenchmarkRun) -> Section:
    """Seconds to build the word index of the 236k and the million-product catalogs."""
    rows = []
    for label, repeats, targets in (
        ("236k", run.repeats, (Target("median", True, 15.0),)),
        ("1M", 1, ()),
    ):
        _say(f"building the index of {label} products")
        seconds = _build_seconds(_store(run, label), repeats)
        rows.append(Row(f"index build, {label} products", "s", Figures.of(seconds), None, targets))
    return Section(
        rows,
        [
            f"Index build: `CatalogIndex.build` from the products in memory, {run.repeats} times "
            "at 236k and once at a million."
        ],
    )


def import_and_restart(run: BenchmarkRun) -> Section:
    """Importing the 236k catalog with the command, then restarting on it in a fresh process."""
    combined_file, _ = _catalog_files(run)
    database = run.out / "benchmark.db"
    _say("importing the 236k catalog")
    imports = [_import_seconds(combined_file, database) for _ in range(run.repeats)]
    probe = [sys.executable, "-m", "benchmarks.restart_probe", str(database), "combined"]
    probe.append(str(_index_cache(run).folder))
    _run(probe)
    _say("restarting on the 236k catalog")
    reports = [json.loads(_run(probe)) for _ in range(run.repeats)]

    def figures(key: str) -> Figures:
        return Figures.of([report[key] for report in reports])

    return Section(
        [
            Row(
                "catalog import, 236k products",
                "s",
                Figures.of(imports),
                None,
                (Target("median", True, 20.0),),
            ),
            Row("restart: load the 236k store from the database", "s", figures("store_seconds")),
            Row(
                "restart: load the saved index",
                "s",
                figures("index_seconds"),
                None,
                (Target("median", True, 1.0),),
            ),
            Row(
                "resident memory, 236k store and index",
                "MB",
                figures("resident_mb"),
                None,
                (Target("median", True, 400.0),),
            ),
            Row("peak memory while loading them", "MB", figures("peak_mb")),
        ],
        [
            "Catalog import: `voiceshop catalog import combined.json` into a new database, the "
            f"whole command with its progress bar, {run.repeats} times.",
            "Restart: a fresh process (benchmarks/restart_probe.py) loads the imported store from "
            "the database, then its matcher with the index saved in the cache, matches four "
            f"phrases and reports its resident memory (VmRSS) and peak (VmHWM); {run.repeats} "
            "times after one run that makes sure the index is saved.",
        ],
    )


def _catalogs(run: BenchmarkRun) -> Iterator[tuple[str, Store]]:
    """The catalogs by size, the smallest first."""
    combined = _store(run, "236k")
    for size in SAMPLED_SIZES:
        yield f"{size // 1000}k", sample_store(combined, size)
    yield "236k", combined
    yield "1M", _store(run, "1M")


def _store(run: BenchmarkRun, label: str) -> Store:
    combined_file, million_file = _catalog_files(run)
    path = combined_file if label == "236k" else million_file
    return run.once(f"store {label}", lambda: load_store_file(path))


def _catalog_files(run: BenchmarkRun) -> tuple[Path, Path]:
    return run.once("catalog files", lambda: make_catalogs(run.shared / "catalog", run.out))


def _queries(
    run: BenchmarkRun, label: str, store: Store, matcher: ProductMatcher
) -> list[PerturbedQuery]:
    """Perturbed names of the catalog's products (the 236k catalog's at a million)."""
    source = "236k" if label == "1M" else label
    return run.once(
        f"queries {source}", lambda: generate(store, matcher, run.queries, seed=QUERY_SEED)
    )


def _our_latencies(
    matcher: ProductMatcher, queries: Sequence[PerturbedQuery], repeats: int
) -> list[float]:
    texts = [query.text for query in queries]
    return [s for _ in range(repeats) for s in _timed_each(matcher.match, texts)]


def _baseline_pass(
    brute: BruteForce, matcher: ProductMatcher, queries: Sequence[PerturbedQuery]
) -> tuple[int, list[float]]:
    """How many queries the baseline answers right, and the seconds of each."""
    index = matcher.index
    hits, seconds = 0, []
    for query in queries:
        started = time.perf_counter()
        best = brute.best(query.text)
        seconds.append(time.perf_counter() - started)
        meant = index.same_product_key(index.position[query.product_id])
        hits += best is not None and index.same_product_key(best) == meant
    return hits, seconds


def _timed_each(call: Callable[[str], object], texts: Sequence[str]) -> list[float]:
    seconds = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def _build_seconds(store: Store, repeats: int) -> list[float]:
    words = MatchWords(_normalizer())
    return [_seconds(lambda: CatalogIndex.build(store.products, words)) for _ in range(repeats)]


def _seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _import_seconds(catalog: Path, database: Path) -> float:
    database.unlink(missing_ok=True)
    command = [sys.executable, "-m", "voiceshop", "catalog", "import", str(catalog)]
    return _seconds(lambda: _run([*command, "--db", str(database)]))


def _run(command: list[str]) -> str:
    """Run a command to its end; its standard output."""
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _plot_latency(points: list[tuple[int, Figures, Figures]], path: Path) -> None:
    """Median and p99 latency against catalog size, ours and the baseline's, log-log."""
    sizes = [size for size, _, _ in points]
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    for name, which, colour in (("index", 1, "tab:blue"), ("brute-force WRatio", 2, "tab:red")):
        for statistic, style in (("median", "-o"), ("p99", "--")):
            values = [getattr(point[which], statistic) for point in points]
            label = f"{name}, {'p50' if statistic == 'median' else statistic}"
            axes.plot(sizes, values, style, color=colour, label=label)
    axes.set(xscale="log", yscale="log", xlabel="products in the catalog", ylabel="ms per match")
    axes.set_xticks(sizes, [f"{s / 1000:,.0f}k" if s < 10**6 else "1M" for s in sizes])
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    axes.set_title("Match latency against catalog size (one query at a time)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def _index_cache(run: BenchmarkRun) -> IndexCache:
    return IndexCache(run.out / "index-cache")


def _normalizer() -> Normalizer:
    return Normalizer(load_language())


def _say(what: str) -> None:
    print(f"... {what}", file=sys.stderr, flush=True)
