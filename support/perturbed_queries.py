"""Spoken-style queries generated from real product names, with the product each one means.

Each query changes a real name the way speech and speech recognition change it: a word left
out, two words swapped, a word replaced by one that sounds alike, the brand left out. Queries
that another product would answer at least as well (a different product whose words include
every word of the query and that has no more words than the target) are skipped: no matcher
could know which one was meant, and the agent asks instead.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from voiceshop.catalog.model import Store
from voiceshop.matching.matcher import ProductMatcher

KINDS = ("drop_word", "swap_words", "sound_alike", "brand_dropped")

# Sound-alike substitutions, independent of the matcher's own sound rules: whole-word
# homophones, then spelling changes that keep the sound.
HOMOPHONES = {
    "whole": "hole",
    "cereal": "serial",
    "flour": "flower",
    "thyme": "time",
    "pear": "pair",
    "berry": "bury",
    "beet": "beat",
    "chili": "chilly",
    "mussel": "muscle",
    "peas": "peace",
    "carrots": "carats",
    "mints": "mince",
    "leek": "leak",
    "plum": "plumb",
    "roll": "role",
    "rolls": "roles",
    "sweet": "suite",
    "tea": "tee",
    "tees": "teas",
    "maize": "maze",
    "wild": "whiled",
    "dough": "doe",
    "chard": "charred",
    "serial": "cereal",
    "currant": "current",
    "sole": "soul",
    "steak": "stake",
    "loaf": "loaf",
    "pain": "pane",
    "red": "read",
    "cheddar": "chedder",
    "yogurt": "yoghurt",
    "doughnut": "donut",
    "grey": "gray",
}
SPELLING_BY_SOUND = [
    (r"ph", "f"),
    (r"ck", "k"),
    (r"c(?=[aou])", "k"),
    (r"ee", "ea"),
    (r"y$", "ie"),
    (r"([bdfglmnprt])\1", r"\1"),
    (r"s$", "z"),
    (r"ou", "ow"),
    (r"ie$", "y"),
    (r"er$", "a"),
]


@dataclass(frozen=True)
class PerturbedQuery:
    """A query, the product it means and how it was made."""

    text: str
    product_id: str
    kind: str


def generate(
    store: Store, matcher: ProductMatcher, count: int, seed: int = 7
) -> list[PerturbedQuery]:
    """`count` unambiguous perturbed queries (fewer if the catalog runs out), reproducibly."""
    rng = random.Random(seed)
    leading = Counter(p.name.split()[0].lower() for p in store.products if p.name.split())
    products = list(store.products)
    rng.shuffle(products)
    queries: list[PerturbedQuery] = []
    for product in products:
        if len(queries) >= count:
            break
        kind = KINDS[len(queries) % len(KINDS)]
        text = _perturb(product.name, kind, rng, leading)
        if text and not _ambiguous(text, product.id, matcher):
            queries.append(PerturbedQuery(text, product.id, kind))
    return queries


def _perturb(name: str, kind: str, rng: random.Random, leading: Counter[str]) -> str | None:
    words = name.split()
    if kind == "drop_word" and len(words) >= 3:
        del words[rng.randrange(1, len(words))]
    elif kind == "swap_words" and len(words) >= 2:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif kind == "sound_alike":
        changed = respelled(words, rng)
        if changed is None:
            return None
        words = changed
    elif kind == "brand_dropped" and len(words) >= 3 and leading[words[0].lower()] >= 3:
        words = words[1:]
    else:
        return None
    return " ".join(words)


def respelled(words: list[str], rng: random.Random) -> list[str] | None:
    """`words` with one word replaced by a homophone or respelled as it sounds, or None."""
    order = list(range(len(words)))
    rng.shuffle(order)
    for i in order:
        lower = words[i].lower()
        if lower in HOMOPHONES and HOMOPHONES[lower] != lower:
            return [*words[:i], HOMOPHONES[lower], *words[i + 1 :]]
    for i in order:
        lower = words[i].lower()
        if len(lower) < 5 or not lower.isalpha():
            continue
        for pattern, replacement in rng.sample(SPELLING_BY_SOUND, len(SPELLING_BY_SOUND)):
            changed = re.sub(pattern, replacement, lower, count=1)
            if changed != lower:
                return [*words[:i], changed, *words[i + 1 :]]
    return None


def _ambiguous(text: str, product_id: str, matcher: ProductMatcher) -> bool:
    """True when another product contains every said word and is no longer than the target."""
    index = matcher.index
    said = set(matcher.words.words(text))
    target = index.position[product_id]
    target_key = index.same_product_key(target)
    target_length = len(index.variants_of[target][0].words)
    known = [w for w in said if w in index.postings]
    if not known:
        return False
    holders = set(index.postings[known[0]].tolist())
    for word in known[1:]:
        holders &= set(index.postings[word].tolist())
    for other in holders - {target}:
        words = index.variants_of[other][0].words
        if index.same_product_key(other) == target_key:
            continue
        if said <= set(words) and len(words) <= target_length:
            return True
    return False


def top1_hits(
    queries: list[PerturbedQuery], matcher: ProductMatcher
) -> Iterator[tuple[PerturbedQuery, bool]]:
    """Each query with whether the matcher's first product is the meant one (or its twin)."""
    index = matcher.index
    position = index.position
    for query in queries:
        ranked = matcher.rank(query.text, limit=1)
        hit = bool(ranked) and index.same_product_key(
            position[ranked[0].product.id]
        ) == index.same_product_key(position[query.product_id])
        yield query, hit
