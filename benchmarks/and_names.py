"""Items joined by "and": when the parser reads two items, and when one product.

On the real 50k catalog (../shared/data/catalog/products.csv), with fixed seeds, it counts:
- pairs of real one- and two-word names said as "add X and Y", read as two items;
- pairs of the catalog's frequent last words ("soap", "chips", numbers too), read as two;
- the same with the first name respelled by sound ("butta and mulberry berries"), read as two;
- names with "and" or "&" in them said whole, read as one item;
- the same names with one word respelled by sound, read as one item.

Beside each, how often the dialog asks whether one item or two were meant (`one_product_for`):
for pairs a needless question, for names one offering the name (a question, not a wrong cart).

`python -m benchmarks.and_names` prints the table.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from support.accuracy_catalog import load_catalog
from support.perturbed_queries import respelled
from voiceshop.dialog.adding import one_product_for
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher

PAIRS = 400
WHOLE = 300
FREQUENT_LAST_WORD = 15
"""How many names a last word must end to count as a frequent one."""


def main() -> None:
    store = load_catalog()
    normalizer = Normalizer(load_language())
    normalize = normalizer.normalize
    matcher = ProductMatcher(store, normalizer)
    parser = IntentParser(store, products=matcher)
    names = [normalize(product.name) for product in store.products]
    short = sorted({n for n in names if 1 <= len(n.split()) <= 2 and "and" not in n.split()})
    with_and = sorted({n for n in names if "and" in n.split()[1:-1] and len(n.split()) <= 8})
    ends = Counter(n.split()[-1] for n in names if n.split())
    frequent = sorted(w for w, c in ends.items() if c >= FREQUENT_LAST_WORD and len(w) > 2)

    def reading(text: str) -> Reading:
        intent = parser.parse(text)
        items = intent.items if intent else []
        whole = one_product_for(matcher, *items[:2]) if len(items) == 2 else None
        return Reading(len(items), normalize(whole.name) if whole else None)

    rows = [
        ("real short names, add X and Y: two items", _pairs(short, reading, random.Random(11))),
        (
            "frequent last words, add X and Y: two items",
            _pairs(frequent, reading, random.Random(3)),
        ),
        (
            "real short names, X respelled: two items",
            _pairs(short, reading, random.Random(4), respell=True),
        ),
        ("names with and/& said whole: one item", _whole(with_and, reading, random.Random(5))),
        (
            "the same, one word respelled: one item",
            _whole(with_and, reading, random.Random(5), respell=True),
        ),
    ]
    print("| reading | as wanted | asked one item or two |\n| --- | ---: | ---: |")
    for label, (hits, asked, total) in rows:
        print(f"| {label} | {hits}/{total} | {asked}/{total} |")


@dataclass(frozen=True)
class Reading:
    """How the parser and dialog take a request: its items, and the one product the dialog
    asks about (one item or two?), if it asks."""

    items: int
    asked_about: str | None


def _pairs(
    phrases: list[str], reading: Callable[[str], Reading], rng: random.Random, respell: bool = False
) -> tuple[int, int, int]:
    """Read as two items without a question; asked one or two; pairs."""
    hits = asked = 0
    for _ in range(PAIRS):
        first, second = rng.sample(phrases, 2)
        if respell:
            first = " ".join(respelled(first.split(), rng) or first.split())
        read = reading(f"add {first} and {second}")
        hits += read.items == 2 and read.asked_about is None
        asked += read.asked_about is not None
    return hits, asked, PAIRS


def _whole(
    phrases: list[str], reading: Callable[[str], Reading], rng: random.Random, respell: bool = False
) -> tuple[int, int, int]:
    """Read as one item; split but asked one or two, offering the name; names read."""
    hits = asked = total = 0
    for name in rng.sample(phrases, WHOLE):
        words = respelled(name.split(), rng) if respell else name.split()
        if words is None:
            continue
        total += 1
        read = reading("add " + " ".join(words))
        hits += read.items == 1
        asked += read.asked_about == name
    return hits, asked, total


if __name__ == "__main__":
    main()
