"""Parsing time of long utterances: the testers' hostile inputs, and the longest ones accepted.

Patterns, each repeated: the three of issue 15 ("add a lemon. ", "at ", "7"), and those of the
grammar's words that took longest at the word limit when every word of the sentence templates
was tried alone and followed by ". ", ", " or " and " ("things. " took 0.35-1 s before the
parser read at most a few leading sentences; "last, ", "oh " and "make and " are the slowest
and the fastest-growing since: "make and make and ..." is still quadratic, each "and" joining
one more word to a name the matcher scores again). On the grocery store, in a fresh process per
voiceshop tree:

- `Assistant.respond` to 4,000 characters of the issue's patterns (refused as too long;
  target under 1 s), wall-clock time, the store's matcher and parser made before;
- `IntentParser.parse` of the longest text of each pattern that is parsed (60 words or 500
  characters, whichever comes first) and of its first half, each with a fresh parser and
  matcher (no phrase scores kept from before), in CPU time of the process (so that other
  processes on the machine count less); median of `--repeats` runs. The growth is the whole's
  time over the half's: 2 when parsing is linear in length, 4 when quadratic.

The baseline is voiceshop as of `BASELINE_COMMIT`, before parsing was made linear.

    python -m benchmarks.long_utterances [--repeats N]     # prints the rows
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from support.long_texts import HOSTILE, SLOWEST, first_half, longest_accepted, repeated
from support.report import (
    BenchmarkRun,
    Figures,
    Row,
    Section,
    Target,
    baseline_path,
    table,
    voiceshop_at,
)

ROOT = Path(__file__).resolve().parents[1]
BASELINE_COMMIT = "c5e125b"
HOSTILE_CHARS = 4000
RESPOND_TARGET = (Target("median", True, 1000.0),)
GROWTH_TARGET = (Target("median", True, 2.5),)
"""Twice the text, at most 2.5 times the time: about linear."""


def long_utterances(run: BenchmarkRun) -> Section:
    """Rows: respond to 4,000 characters, parse at the limit, growth; ours and the baseline."""
    ours = _measure(ROOT, run.repeats)
    baseline = _measure(voiceshop_at(run, BASELINE_COMMIT), run.repeats)
    rows = [
        Row(
            f"respond to {HOSTILE_CHARS:,} characters of {pattern!r} (refused)",
            "ms",
            Figures.of(ours[pattern]["respond"], 1000),
            Figures.of(baseline[pattern]["respond"], 1000),
            RESPOND_TARGET,
        )
        for pattern in HOSTILE
    ]
    for pattern in (*HOSTILE, *SLOWEST):
        rows.append(
            Row(
                f"parse the longest accepted text of {pattern!r} "
                f"({_size(longest_accepted(pattern))})",
                "ms",
                Figures.of(ours[pattern]["whole"], 1000),
                Figures.of(baseline[pattern]["whole"], 1000),
            )
        )
    growth = {name: _growth(figures) for name, figures in (("ours", ours), ("baseline", baseline))}
    rows.append(
        Row(
            "parse time of the longest accepted text ÷ its first half, worst pattern",
            "times",
            Figures(max(growth["ours"].values())),
            Figures(max(growth["baseline"].values())),
            GROWTH_TARGET,
        )
    )
    each = ", ".join(
        f"{pattern!r} {growth['ours'][pattern]:.1f} (baseline {growth['baseline'][pattern]:.1f})"
        for pattern in (*HOSTILE, *SLOWEST)
    )
    notes = [
        "Long utterances (benchmarks/long_utterances.py): the grocery store; each figure in a "
        f"fresh process per voiceshop tree, median of {run.repeats} runs; responses in "
        "wall-clock time, parses in CPU time, each with a fresh parser and matcher. Baseline: "
        f"voiceshop at commit {BASELINE_COMMIT}, which read every leading part of a text of "
        "many sentences and looked up each spoken word's similar catalog words again for "
        "every phrase. Growth per pattern (time of the longest accepted text ÷ its first half; "
        f"2 is linear): {each}.",
    ]
    return Section(rows, notes)


def _measure(tree: Path, repeats: int) -> dict[str, dict[str, list[float]]]:
    """Seconds per pattern ("respond", "half", "whole"), measured in a fresh process with the
    `voiceshop` package of `tree`."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), baseline_path(tree)))),
    }
    command = [sys.executable, "-m", "benchmarks.long_utterances", "--measure"]
    done = subprocess.run(
        [*command, "--repeats", str(repeats)],
        cwd=tree,  # first on sys.path: this tree's voiceshop, the benchmarks from ROOT
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout)
    if Path(measured.pop("voiceshop")).resolve().parent != tree.resolve():
        raise RuntimeError(f"measured another voiceshop than the one in {tree}")
    return measured


def _measure_here(repeats: int) -> dict[str, object]:
    """The figures of `_measure`, in this process."""
    import voiceshop
    from voiceshop.dialog.assistant import Assistant
    from voiceshop.intents.parser import IntentParser
    from voiceshop.language import Normalizer, load_language
    from voiceshop.matching import ProductMatcher
    from voiceshop.storage.database import ShopDatabase

    try:
        from voiceshop.storage.stores import open_store
    except ModuleNotFoundError:  # the baseline's voiceshop, from before stores moved to storage
        from voiceshop.catalog.resolve import open_store

    store = open_store("grocery", None)

    def fresh_parse() -> Callable[[str], object]:
        matcher = ProductMatcher(store, Normalizer(load_language()))
        return IntentParser(store, products=matcher).parse

    measured: dict[str, object] = {"voiceshop": str(Path(voiceshop.__file__).parent)}
    with tempfile.TemporaryDirectory() as folder, ShopDatabase(Path(folder) / "shop.db") as db:
        for pattern in (*HOSTILE, *SLOWEST):
            figures: dict[str, list[float]] = {"respond": [], "half": [], "whole": []}
            whole = longest_accepted(pattern)
            half = first_half(whole)
            for _ in range(repeats):
                if pattern in HOSTILE:
                    assistant = Assistant(db, store="grocery")
                    assistant.respond("hi")  # makes the store's matcher and parser
                    hostile = repeated(pattern, HOSTILE_CHARS)
                    figures["respond"].append(_seconds(assistant.respond, hostile))
                figures["half"].append(_seconds(fresh_parse(), half, time.process_time))
                figures["whole"].append(_seconds(fresh_parse(), whole, time.process_time))
            measured[pattern] = figures
    return measured


def _growth(measured: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    return {
        pattern: statistics.median(figures["whole"]) / statistics.median(figures["half"])
        for pattern, figures in measured.items()
    }


def _size(text: str) -> str:
    words = len(text.split())
    return f"{len(text)} characters" if words == 1 else f"{words} words"


def _seconds(
    call: Callable[[str], object], text: str, clock: Callable[[], float] = time.perf_counter
) -> float:
    started = clock()
    call(text)
    return clock() - started


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeats", type=int, default=3, help="runs per figure (default 3)")
    options.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.measure:
        print(json.dumps(_measure_here(args.repeats)))
        return
    with tempfile.TemporaryDirectory() as out:
        run = BenchmarkRun(args.repeats, 0, ROOT / "benchmarks" / "out", Path(out), Path(out))
        section = long_utterances(run)
    print(table(section.rows))
    print("\n".join(f"\n{note}" for note in section.notes))


if __name__ == "__main__":
    main()
