"""The everyday shopper corpus (tests/everyday): typed shopping dialogs replayed and scored.

`python -m benchmarks.everyday` prints how many tune and check dialogs and turns pass;
`--failures tune` lists every failing tune turn, expected beside what voiceshop did.
`--failures check` does the same for check, which is reported but never tuned on.
`--write-known-failures` rewrites tests/everyday/known_failures.yaml from this run.
`--off LEVER ...` turns levers off (`benchmarks.everyday_probe.LEVERS`).
`--batch N` scores one batch only (batch 1: `<theme>.yaml`, batch N: `<theme>_N.yaml`).
The corpus format is described in tests/everyday/README.md.
"""

from __future__ import annotations

import argparse

from benchmarks.everyday_probe import LEVERS, set_levers
from support.everyday import (
    KNOWN_FAILURES,
    SETS,
    failure_list,
    in_batch,
    load_set,
    run_set,
    score_table,
    write_known_failures,
)
from voiceshop.intents.parser import IntentParser


def main(argv: list[str] | None = None) -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--failures", choices=SETS, help="list the failing turns of this set")
    options.add_argument(
        "--write-known-failures", action="store_true", help=f"rewrite {KNOWN_FAILURES.name}"
    )
    options.add_argument(
        "--fallback",
        choices=("on", "off"),
        help="read what no template reads well by filler and cue words (default: the "
        "parser's own default, IntentParser.fallback_default)",
    )
    options.add_argument(
        "--skip-unknown",
        choices=("on", "off"),
        help="read poorly read utterances again without the words neither the language nor "
        "the catalog knows (default: IntentParser.skip_unknown_default)",
    )
    options.add_argument(
        "--off", nargs="+", default=[], choices=sorted(LEVERS), help="levers turned off"
    )
    options.add_argument(
        "--sets", nargs="+", choices=SETS, default=list(SETS), help="run only these sets"
    )
    options.add_argument(
        "--batch",
        type=int,
        help="score only the dialogs of this batch (1: <theme>.yaml, N: <theme>_N.yaml)",
    )
    args = options.parse_args(argv)
    if args.write_known_failures and (set(args.sets) != set(SETS) or args.batch is not None):
        options.error("--write-known-failures needs every set and every batch")
    if args.failures and args.failures not in args.sets:
        options.error(f"--failures {args.failures} needs that set in --sets")
    if args.fallback:
        IntentParser.fallback_default = args.fallback == "on"
    if args.skip_unknown:
        IntentParser.skip_unknown_default = args.skip_unknown == "on"
    set_levers(args.off)
    results = {name: run_set(in_batch(load_set(name), args.batch)) for name in args.sets}
    print(score_table(results))
    if args.failures:
        print(f"\nFailing {args.failures} turns:\n")
        print(failure_list(results[args.failures]))
    if args.write_known_failures:
        write_known_failures(results)


if __name__ == "__main__":
    main()
