"""Every benchmark figure in one markdown table, printed and written to benchmarks/results.md.

    python -m benchmarks.run [--repeats N] [--queries N] [--only BENCHMARK ...]

Needs the real catalogs in ../shared; builds the scale-test catalogs into benchmarks/out first
if they are missing (see make_catalogs.py). Takes about fifteen minutes on two cores.
To add figures, write a function from `BenchmarkRun` to `Section` and list it in BENCHMARKS.
`--only` runs the benchmarks named (say `turn_latency footprint`: real-time factor, turn latency
and cold start) and prints their rows without writing results.md, which holds every figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.long_utterances import long_utterances
from benchmarks.matching_scale import import_and_restart, index_build, match_latency_and_accuracy
from benchmarks.turn_footprint import footprint
from benchmarks.turn_latency import speech_output, turn_accuracy, turn_latency
from support.make_catalogs import OUT
from support.report import (
    Benchmark,
    BenchmarkRun,
    describe_machine,
    results_markdown,
    table,
)

RESULTS = Path(__file__).resolve().parent
SHARED = RESULTS.parents[1] / "shared" / "data"
BENCHMARKS: list[Benchmark] = [
    match_latency_and_accuracy,
    index_build,
    import_and_restart,
    turn_latency,
    turn_accuracy,
    speech_output,
    footprint,
    long_utterances,
]
"""The benchmarks run, in this order; their rows make the table."""


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeats", type=int, default=3, help="runs per figure (default 3)")
    options.add_argument("--queries", type=int, default=1000, help="queries per catalog")
    options.add_argument("--shared", type=Path, default=SHARED, help="the real test data")
    options.add_argument(
        "--only",
        nargs="+",
        choices=[benchmark.__name__ for benchmark in BENCHMARKS],
        help="run only these benchmarks; their rows are printed, results.md is left as it is",
    )
    args = options.parse_args()
    run = BenchmarkRun(args.repeats, args.queries, OUT, RESULTS, args.shared)
    machine = describe_machine()
    chosen = [b for b in BENCHMARKS if args.only is None or b.__name__ in args.only]
    sections = [benchmark(run) for benchmark in chosen]
    print(table([row for section in sections for row in section.rows]))
    if args.only is not None:
        print(f"\n{machine}")
        return
    command = " ".join(["python -m benchmarks.run", *sys.argv[1:]])
    (RESULTS / "results.md").write_text(
        results_markdown(sections, machine, command), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
