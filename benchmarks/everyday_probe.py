"""How robust the dialog is to everyday variations of what passes: a perturbation probe.

Every tune turn of the everyday corpus (tests/everyday) that passes as written is said again in
systematic everyday variations (fillers, politeness, lowercase without punctuation, digits and
number words, contractions, singular for plural, articles, the count after the product: the
`variations` of `everyday_probe.yaml`). A variant is robust when the dialog, in the state the
earlier turns left, acts on the same intent and leaves the same cart; "same reply" also asks for
the turn's reply pattern. Only the tune set is probed: check is never tuned on.

    python -m benchmarks.everyday_probe                # robustness per family and in all
    python -m benchmarks.everyday_probe --failures     # and every variant that broke
    python -m benchmarks.everyday_probe --off LEVER    # with a lever of `LEVERS` turned off
    python -m benchmarks.everyday_probe --corpus --off LEVER   # the corpus totals instead
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from support import everyday
from support.cases import CaseError, check_keys
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.memory import dumps, loads
from voiceshop.dialog.shared import SharedStores
from voiceshop.intents.parser import IntentParser
from voiceshop.storage.database import ShopDatabase

VARIATIONS = Path(__file__).with_suffix(".yaml")
FILE_KEYS = {"numbers": True, "variations": True}
VARIATION_KEYS = {
    "name": True,
    "family": True,
    "pattern": False,
    "replace": False,
    "transform": False,
}
LEVERS: dict[str, tuple[Any, str]] = {
    "fallback": (IntentParser, "fallback_default"),
    "skip-unknown": (IntentParser, "skip_unknown_default"),
    "corrections": (IntentParser, "read_past_corrections"),
}
"""Levers the probe and the corpus run can turn off (`--off NAME`): the class and its boolean
attribute that holds the default."""


@dataclass(frozen=True)
class Variation:
    """One way of saying a turn otherwise: a substitution, or a named transform."""

    name: str
    family: str
    change: Callable[[str], str]


@dataclass(frozen=True)
class Variant:
    """A turn said in one variation, and how the dialog took it."""

    dialog: str
    turn: int
    variation: Variation
    said: str
    same_action: bool
    same_reply: bool
    got: str


def load_variations(path: Path = VARIATIONS) -> list[Variation]:
    """The variations of the probe's YAML file; raises CaseError naming a bad entry."""
    data = yaml.safe_load(path.read_text())
    check_keys(data, FILE_KEYS, path.name)
    numbers = {str(word): int(value) for word, value in data["numbers"].items()}
    transforms = _transforms(numbers)
    variations = []
    for n, raw in enumerate(data["variations"], 1):
        where = f"{path.name} variation {n}"
        check_keys(raw, VARIATION_KEYS, where)
        variations.append(Variation(raw["name"], raw["family"], _change(raw, transforms, where)))
    return variations


def _change(
    raw: dict[str, str], transforms: dict[str, Callable[[str], str]], where: str
) -> Callable[[str], str]:
    if "transform" in raw:
        if raw["transform"] not in transforms:
            raise CaseError(f"{where}: unknown transform; the transforms are {sorted(transforms)}")
        return transforms[raw["transform"]]
    if "pattern" not in raw or "replace" not in raw:
        raise CaseError(f"{where}: give a transform, or a pattern and its replace")
    pattern = re.compile(raw["pattern"], re.IGNORECASE)
    replace = raw["replace"]
    return lambda text: pattern.sub(replace, text.strip(), count=1)


def _transforms(numbers: dict[str, int]) -> dict[str, Callable[[str], str]]:
    """The named transforms, with the number words of the probe's file."""
    words = {value: word for word, value in numbers.items()}
    counts = "|".join(w for w in numbers if numbers[w] > 1)
    digits = re.compile(r"\b(\d{1,2})\b")
    spelled = re.compile(rf"\b({counts})\b", re.IGNORECASE)
    after_count = re.compile(
        rf"\b(\d+|{counts}) ([a-z]+?)(ies|oes|(?<=ch)es|(?<=sh)es|(?<=x)es|(?<=ss)es|s)\b",
        re.IGNORECASE,
    )

    def digits_to_words(text: str) -> str:
        return digits.sub(lambda m: words.get(int(m.group(1)), m.group(1)), text)

    def words_to_digits(text: str) -> str:
        return spelled.sub(lambda m: str(numbers[m.group(1).lower()]), text)

    def singular(match: re.Match[str]) -> str:
        stem, ending = match.group(2), match.group(3).lower()
        if ending == "s" and stem.endswith(("s", "u")):
            return match.group(0)
        if ending == "es" or (ending == "s" and stem.endswith(("ch", "sh", "x"))):
            return f"{match.group(1)} {stem}"
        kept = {"ies": "y", "oes": "o"}.get(ending, "")
        return f"{match.group(1)} {stem}{kept}"

    return {
        "plain": lambda text: re.sub(r"[.,!?]", "", text).lower(),
        "digits_to_words": digits_to_words,
        "words_to_digits": words_to_digits,
        "singular_after_count": lambda text: after_count.sub(singular, text),
    }


def probe(dialogs: list[everyday.Dialog], variations: list[Variation]) -> list[Variant]:
    """Every variant of every turn that passes as written, each said in the state the earlier
    turns left (the database copied, the conversation's memory recalled)."""
    with tempfile.TemporaryDirectory() as folder, ShopDatabase(Path(folder) / "s.db") as db:
        shared = SharedStores(db)
        return [
            variant
            for n, dialog in enumerate(dialogs)
            for variant in _probe_dialog(dialog, variations, shared, Path(folder) / str(n))
        ]


def _probe_dialog(
    dialog: everyday.Dialog, variations: list[Variation], shared: SharedStores, folder: Path
) -> Iterator[Variant]:
    folder.mkdir()
    path = folder / "dialog.db"
    with ShopDatabase(path) as db:
        everyday._add_history(db, dialog.history)
        assistant = Assistant(db, dialog.user, dialog.store, shared=shared)
        for number, turn in enumerate(dialog.turns, 1):
            memory = dumps(assistant.memory())
            saved = folder / f"before-{number}.db"
            _copy(path, saved)
            if not _passes(assistant, db, turn):
                return
            for variation in variations:
                text = variation.change(turn.say)
                if text != turn.say:
                    yield _variant(dialog, number, variation, text, saved, memory, shared)


def _variant(
    dialog: everyday.Dialog,
    number: int,
    variation: Variation,
    text: str,
    saved: Path,
    memory: str,
    shared: SharedStores,
) -> Variant:
    turn = dialog.turns[number - 1]
    copy = saved.with_name(f"variant-{number}.db")
    _copy(saved, copy)
    with ShopDatabase(copy) as db:
        assistant = Assistant(db, dialog.user, dialog.store, shared=shared)
        assistant.recall(loads(memory))
        reply = assistant.respond(text)
        cart = {line.product_id: line.quantity for line in db.cart(assistant.user, dialog.store)}
        same_action = reply.intent == turn.intent and cart == turn.cart
        same_reply = same_action and bool(re.search(turn.reply, reply.text))
        got = f"{reply.intent} {cart} {reply.text!r}"
    copy.unlink()
    return Variant(dialog.id, number, variation, text, same_action, same_reply, got)


def _passes(assistant: Assistant, db: ShopDatabase, turn: everyday.Turn) -> bool:
    """Say the turn as written; whether it did what the corpus expects."""
    reply = assistant.respond(turn.say)
    cart = {line.product_id: line.quantity for line in db.cart(assistant.user, assistant.store_id)}
    return (
        reply.intent == turn.intent
        and cart == turn.cart
        and bool(re.search(turn.reply, reply.text))
        and reply.end_conversation == turn.ends
        and (turn.store is None or assistant.store_id == turn.store)
    )


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its write-ahead log included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def report(variants: list[Variant]) -> str:
    """Markdown: robust variants per family and in all."""
    lines = [
        "| family | variants | same intent and cart | same reply too |",
        "| --- | --- | --- | --- |",
    ]
    families = sorted({v.variation.family for v in variants})
    for family in [*families, "all"]:
        chosen = [v for v in variants if family in ("all", v.variation.family)]
        action = sum(v.same_action for v in chosen)
        reply = sum(v.same_reply for v in chosen)
        lines.append(
            f"| {family} | {len(chosen)} | {everyday._share(action, len(chosen))} "
            f"| {everyday._share(reply, len(chosen))} |"
        )
    return "\n".join(lines)


def failures(variants: list[Variant]) -> str:
    """Each variant that changed the intent or the cart, and the count per variation."""
    broken = [v for v in variants if not v.same_action]
    counts = Counter(v.variation.name for v in broken)
    lines = [f"- {name}: {count}" for name, count in counts.most_common()]
    lines += [f"- {v.dialog} turn {v.turn} {v.said!r}: {v.got}" for v in broken]
    return "\n".join(lines) or "(none)"


def set_levers(off: list[str]) -> None:
    """Turn off the named levers for this run."""
    for name in off:
        owner, attribute = LEVERS[name]
        setattr(owner, attribute, False)


def main(argv: list[str] | None = None) -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--failures", action="store_true", help="list every broken variant")
    options.add_argument(
        "--off", nargs="+", default=[], choices=sorted(LEVERS), help="levers turned off"
    )
    options.add_argument(
        "--corpus",
        action="store_true",
        help="print the corpus's tune and check totals (benchmarks.everyday) instead",
    )
    args = options.parse_args(argv)
    set_levers(args.off)
    if args.corpus:
        results = {name: everyday.run_set(everyday.load_set(name)) for name in everyday.SETS}
        print(everyday.score_table(results))
        return
    variants = probe(everyday.load_set("tune"), load_variations())
    print(report(variants))
    if args.failures:
        print("\nBroken variants:\n")
        print(failures(variants))


if __name__ == "__main__":
    main()
