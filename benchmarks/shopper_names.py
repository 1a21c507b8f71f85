"""How the matcher decides on names as shoppers say them (tests/shopper_names): add, ask, or
say the store does not carry it.

    python -m benchmarks.shopper_names [--rows ROW ...] [--failures] [--set NAME=VALUE ...]

Each labelled phrase is said as "add {say}" to a fresh conversation at its store, exactly as a
shopper would type it (the parser takes out counts and units), and the outcome is judged against
its label: one product (add it), several (ask among them) or not carried. Prints one markdown
table per half (tune, check): a row per decision rule and store. `--failures` lists the tune
misses of the last row (never check's). `--set` changes `MatchSettings` fields of the last
lever row named (else the default) for an extra row ("set"), for trying values on tune.

The baseline row is plain rapidfuzz: `process.extractOne` with `fuzz.WRatio` over the catalog's
names for the product words the parser pulls out, taken when it scores at least a cutoff, else
not carried; the cutoff is the one that gets the most tune phrases right.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from support.shopper_names import NamedPhrase, load_names
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.shared import SharedStores
from voiceshop.dialog.state import Choosing
from voiceshop.matching.matcher import MatchSettings
from voiceshop.settings import Settings
from voiceshop.storage.database import ShopDatabase

HALVES = ("tune", "check")
SHOPPERS = itertools.count(1)
"""Each phrase is said by a new shopper: an empty cart, no question open."""
CUTOFFS = tuple(range(50, 101, 2))
"""The baseline's cutoffs tried on tune (WRatio, 0..100)."""
MAIN = MatchSettings(
    sole_choice_score=float("inf"),
    carried_share=0.5,
    carried_by_one_name=False,
    carried_words=float("inf"),
)
"""Main's decisions before this work: the levers below off."""
LEVERS: dict[str, MatchSettings] = {
    "main": MAIN,
    "sole choice": dataclasses.replace(
        MAIN,
        sole_choice_score=MatchSettings().sole_choice_score,
        sole_choice_share=MatchSettings().sole_choice_share,
    ),
    "carried by one name": dataclasses.replace(
        MAIN,
        carried_by_one_name=True,
        carried_share=MatchSettings().carried_share,
        carried_words=MatchSettings().carried_words,
    ),
    "default": MatchSettings(),
}
"""Decision rules compared, by row name; "default" is the settings voiceshop ships with."""


@dataclass(frozen=True)
class Outcome:
    """What the assistant did with one phrase."""

    kind: str
    """added, asked, not carried, or other (not understood, several items, ...)."""
    products: tuple[str, ...] = ()
    """Added: the product added. Asked: the choices offered, in order."""
    reply: str = ""


COLUMNS = (
    "right",
    "added right",
    "asked, one expected, first",
    "asked, one expected, later",
    "asked without it",
    "added one of several",
    "confident wrong",
    "wrongly not carried",
    "asked when not carried",
    "other",
)
"""Judgements. `right`: the labelled product added, asked among the labelled ones (one of them
offered), or said not carried when not carried. The other columns split the rest, except
`added right`, which counts the `right` ones of one-product labels."""


def judge(name: NamedPhrase, outcome: Outcome) -> list[str]:
    """The columns `outcome` counts in for the label of `name`."""
    expected = name.expect_ids
    if outcome.kind == "other":
        return ["other"]
    if name.not_carried:
        return {
            "not carried": ["right"],
            "asked": ["asked when not carried"],
            "added": ["confident wrong"],
        }[outcome.kind]
    if outcome.kind == "not carried":
        return ["wrongly not carried"]
    offered = set(outcome.products) & set(expected)
    if len(expected) == 1:
        if outcome.kind == "added":
            return ["right", "added right"] if offered else ["confident wrong"]
        if not offered:
            return ["asked without it"]
        first = outcome.products[0] == expected[0]
        return ["asked, one expected, first" if first else "asked, one expected, later"]
    if outcome.kind == "asked":
        return ["right"] if offered else ["asked without it"]
    return ["added one of several"] if offered else ["confident wrong"]


class AssistantRun:
    """Phrases said to fresh conversations at one store with one set of match settings."""

    def __init__(self, db: ShopDatabase, match: MatchSettings) -> None:
        self.db = db
        self.settings = Settings(match=match)
        self.shared = SharedStores(db, match)

    def outcome(self, store: str, say: str) -> Outcome:
        user = f"shopper{next(SHOPPERS)}"
        assistant = Assistant(self.db, user, store, shared=self.shared, settings=self.settings)
        reply = assistant.respond(f"add {say}")
        cart = [line.product_id for line in self.db.cart(assistant.user, assistant.store_id)]
        pending = assistant.dialog.state.pending
        if reply.intent != "AddItems":
            return Outcome("other", reply=reply.text)
        if isinstance(pending, Choosing) and not cart:
            return Outcome("asked", tuple(p.id for p in pending.choices), reply.text)
        if len(cart) == 1 and pending is None:
            return Outcome("added", tuple(cart), reply.text)
        if "doesn't carry" in reply.text and not cart and pending is None:
            return Outcome("not carried", reply=reply.text)
        return Outcome("other", tuple(cart), reply.text)


class Baseline:
    """Plain fuzzy matching of the parser's product words: the best name by WRatio, taken at
    or above a cutoff, else not carried."""

    def __init__(self, db: ShopDatabase) -> None:
        self.shared = SharedStores(db)
        self.cutoff = 0.0
        self._scored: dict[tuple[str, str], tuple[str, float] | None] = {}

    def best(self, store: str, say: str) -> tuple[str, float] | None:
        """The best product id and its WRatio for what "add {say}" names (None: no item)."""
        key = (store, say)
        if key not in self._scored:
            self._scored[key] = self._best(store, say)
        return self._scored[key]

    def _best(self, store_spec: str, say: str) -> tuple[str, float] | None:
        store = self.shared.store(store_spec)
        _, parser = self.shared.understanding(store, store.language or "en")
        intent = parser.parse(f"add {say}")
        if intent is None or intent.name != "AddItems" or len(intent.items) != 1:
            return None
        names = {p.id: p.name for p in store.products}
        found = process.extractOne(intent.items[0].phrase, names, scorer=fuzz.WRatio)
        return (found[2], found[1]) if found else None

    def outcome(self, store: str, say: str) -> Outcome:
        best = self.best(store, say)
        if best is None:
            return Outcome("other")
        if best[1] >= self.cutoff:
            return Outcome("added", (best[0],))
        return Outcome("not carried")

    def tune(self, names: dict[str, list[NamedPhrase]]) -> None:
        """Take the cutoff that gets the most of these (tune) phrases right."""

        self.cutoff = max(CUTOFFS, key=lambda cutoff: self._right(names, cutoff))

    def _right(self, names: dict[str, list[NamedPhrase]], cutoff: float) -> int:
        self.cutoff = cutoff
        return _counts(names, self.outcome)["right"]


def _counts(
    names: dict[str, list[NamedPhrase]], decide: Callable[[str, str], Outcome]
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for store, phrases in names.items():
        for name in phrases:
            counts.update(judge(name, decide(store, name.say)))
    return counts


def table(rows: Iterable[tuple[str, str, int, Counter[str]]]) -> str:
    """A markdown table: row name, store, phrases, then the columns as counts (right as %)."""
    lines = [
        "| rule | store | phrases | " + " | ".join(COLUMNS) + " |",
        "| --- | --- | ---: |" + " ---: |" * len(COLUMNS),
    ]
    for rule, store, total, counts in rows:
        cells = [f"{counts['right']} ({100 * counts['right'] / max(total, 1):.1f}%)"]
        cells += [str(counts[column]) for column in COLUMNS[1:]]
        lines.append(f"| {rule} | {store} | {total} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _store_rows(
    rule: str, names: dict[str, list[NamedPhrase]], decide: Callable[[str, str], Outcome]
) -> list[tuple[str, str, int, Counter[str]]]:
    rows = []
    total: Counter[str] = Counter()
    for store, phrases in sorted(names.items()):
        counts = _counts({store: phrases}, decide)
        total.update(counts)
        rows.append((rule, store, len(phrases), counts))
    count = sum(len(phrases) for phrases in names.values())
    return [*rows, (rule, "all", count, total)]


def failures(names: dict[str, list[NamedPhrase]], decide: Callable[[str, str], Outcome]) -> str:
    """The tune phrases not judged right, with the label and what was done."""
    lines = []
    for store, phrases in sorted(names.items()):
        for name in phrases:
            outcome = decide(store, name.say)
            judged = judge(name, outcome)
            if "right" not in judged:
                label = "not carried" if name.not_carried else ", ".join(name.expect_ids)
                lines.append(
                    f"- {store}: {name.say!r} (expected {label}): {', '.join(judged)}; "
                    f"{outcome.kind} {', '.join(outcome.products)} | {outcome.reply}"
                )
    return "\n".join(lines)


def by_store(phrases: list[NamedPhrase]) -> dict[str, list[NamedPhrase]]:
    """The phrases grouped by their store."""
    grouped: dict[str, list[NamedPhrase]] = {}
    for phrase in phrases:
        grouped.setdefault(phrase.store, []).append(phrase)
    return grouped


def _with_set(base: MatchSettings, settings: list[str]) -> MatchSettings:
    """`base` with the fields named in `settings` ("NAME=VALUE") changed."""
    changes: dict[str, float | bool] = {}
    for setting in settings:
        key, _, value = setting.partition("=")
        kind = type(getattr(base, key))
        changes[key] = value.lower() in {"1", "true", "on"} if kind is bool else kind(value)
    return dataclasses.replace(base, **changes)


def main(argv: list[str] | None = None) -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument(
        "--rows", nargs="+", choices=("baseline", *LEVERS), default=["baseline", *LEVERS]
    )
    options.add_argument("--halves", nargs="+", choices=HALVES, default=list(HALVES))
    options.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE")
    options.add_argument("--failures", action="store_true", help="list the last row's tune misses")
    args = options.parse_args(argv)
    names = {half: by_store(load_names(half)) for half in HALVES}
    with tempfile.TemporaryDirectory() as folder, ShopDatabase(Path(folder) / "n.db") as db:
        rules: dict[str, Callable[[str, str], Outcome]] = {}
        if "baseline" in args.rows:
            baseline = Baseline(db)
            baseline.tune(names["tune"])
            rules[f"baseline (WRatio ≥ {baseline.cutoff:g})"] = baseline.outcome
        for row in args.rows:
            if row != "baseline":
                rules[row] = AssistantRun(db, LEVERS[row]).outcome
        if args.set:
            base = LEVERS[next((r for r in reversed(args.rows) if r in LEVERS), "default")]
            match = _with_set(base, args.set)
            rules["set " + " ".join(args.set)] = AssistantRun(db, match).outcome
        for half in args.halves:
            rows = [r for rule, run in rules.items() for r in _store_rows(rule, names[half], run)]
            print(f"\n### {half}\n\n{table(rows)}")
        if args.failures:
            decide = list(rules.values())[-1]
            print(f"\n### tune misses of {list(rules)[-1]}\n\n{failures(names['tune'], decide)}")


if __name__ == "__main__":
    main()
