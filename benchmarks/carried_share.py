"""Choosing `MatchSettings.carried_share`: how much of what was said the best ranked names must
explain for the store to carry it.

    python -m benchmarks.carried_share [--count N]

Carried: perturbed names of the Instacart catalog's products (../shared, never copied; a word
dropped, swapped, said alike, the brand left out; `support/perturbed_queries.py`) matched against
that catalog. Not carried: names of its alcohol department, which the bundled grocery does not sell,
whole and as their last two words ("Cabernet Sauvignon", "Light Beer"), matched against the grocery.
For each candidate share the table gives how many of each would be not found on that account (only
phrases naming no product clearly are judged). Prints a markdown table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from support.perturbed_queries import generate
from voiceshop.catalog.instacart import read_instacart
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.matching.matcher import WIDENED_POOL
from voiceshop.storage.stores import open_store

PRODUCTS = Path(__file__).resolve().parents[2] / "shared/data/catalog/products.csv"
SHARES = (0.3, 0.4, 0.5, 0.6, 0.7)
ALCOHOL = "alcohol"


def explained_shares(matcher: ProductMatcher, phrases: list[str]) -> list[float]:
    """The explained share of each phrase that names no product clearly and is not already
    not found by score."""
    settings = matcher.settings
    shares = []
    for phrase in phrases:
        ranked = matcher.rank(phrase, WIDENED_POOL)
        if ranked and settings.min_score <= ranked[0].score < settings.confident_score:
            shares.append(matcher.explained(phrase, ranked))
    return shares


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--count", type=int, default=600, help="carried queries to generate")
    count = options.parse_args().count
    normalizer = Normalizer(load_language())
    instacart = read_instacart(PRODUCTS, store_id="instacart", name="Instacart")
    everything = ProductMatcher(instacart, normalizer)
    grocery = ProductMatcher(open_store("grocery", None), normalizer)
    carried = [q.text for q in generate(instacart, everything, count)]
    alcohol = [p.name for p in instacart.products if p.department == ALCOHOL]
    not_carried = alcohol + [" ".join(name.split()[-2:]) for name in alcohol]
    judged = {
        "carried (Instacart, perturbed)": explained_shares(everything, carried),
        "not carried (Instacart alcohol at the grocery)": explained_shares(grocery, not_carried),
    }
    print("| phrases | judged | " + " | ".join(f"not found at {s}" for s in SHARES) + " |")
    print("|---" * (len(SHARES) + 2) + "|")
    for label, shares in judged.items():
        cells = [f"{sum(x < s for x in shares) / max(len(shares), 1):.1%}" for s in SHARES]
        print(f"| {label} | {len(shares)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
