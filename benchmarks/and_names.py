"""Items joined by "and": when the parser reads two items, and when one product.

On the real 50k catalog (../shared/data/catalog/products.csv), with fixed seeds, it counts:
- pairs of real one- and two-word names said as "add X and Y", read as two items;
- pairs of the catalog's frequent last words ("soap", "chips", numbers too), read as two;
- the same with the first name respelled by sound ("butta and mulberry berries"), read as two;
- names with "and" or "&" in them said whole, read as one item;
- the same names with one word respelled by sound, read as one item.

`python -m benchmarks.and_names` prints the table.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from benchmarks.accuracy_catalog import load_catalog
from benchmarks.perturbed_queries import respelled
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher

PAIRS = 400
WHOLE = 300
FREQUENT_LAST_WORD = 15
"""How many names a last word must end to count as a frequent one."""


def main() -> None:
    store = load_catalog()
    normalize = Normalizer(load_language()).normalize
    parser = IntentParser(store, products=ProductMatcher(store, Normalizer(load_language())))
    names = [normalize(product.name) for product in store.products]
    short = sorted({n for n in names if 1 <= len(n.split()) <= 2 and "and" not in n.split()})
    with_and = sorted({n for n in names if "and" in n.split()[1:-1] and len(n.split()) <= 8})
    ends = Counter(n.split()[-1] for n in names if n.split())
    frequent = sorted(w for w, c in ends.items() if c >= FREQUENT_LAST_WORD and len(w) > 2)

    def items(text: str) -> int:
        intent = parser.parse(text)
        return len(intent.items) if intent else 0

    rows = [
        ("real short names, add X and Y: two items", _pairs(short, items, random.Random(11))),
        ("frequent last words, add X and Y: two items", _pairs(frequent, items, random.Random(3))),
        (
            "real short names, X respelled: two items",
            _pairs(short, items, random.Random(4), respell=True),
        ),
        ("names with and/& said whole: one item", _whole(with_and, items, random.Random(5))),
        (
            "the same, one word respelled: one item",
            _whole(with_and, items, random.Random(5), respell=True),
        ),
    ]
    print("| reading | as wanted |\n| --- | ---: |")
    for label, (hits, total) in rows:
        print(f"| {label} | {hits}/{total} |")


def _pairs(
    phrases: list[str], items: Callable[[str], int], rng: random.Random, respell: bool = False
) -> tuple[int, int]:
    hits = 0
    for _ in range(PAIRS):
        first, second = rng.sample(phrases, 2)
        if respell:
            first = " ".join(respelled(first.split(), rng) or first.split())
        hits += items(f"add {first} and {second}") == 2
    return hits, PAIRS


def _whole(
    phrases: list[str], items: Callable[[str], int], rng: random.Random, respell: bool = False
) -> tuple[int, int]:
    hits = total = 0
    for name in rng.sample(phrases, WHOLE):
        words = respelled(name.split(), rng) if respell else name.split()
        if words is None:
            continue
        total += 1
        hits += items("add " + " ".join(words)) == 1
    return hits, total


if __name__ == "__main__":
    main()
