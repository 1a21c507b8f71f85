"""The catalog's word index: which products each word occurs in, and how telling each word is."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from voiceshop.catalog.model import Product
from voiceshop.matching.words import MatchWords

BRAND_WEIGHT = 0.35
"""How much an unsaid brand word counts against a name, relative to a product word."""


@dataclass(frozen=True)
class NameVariant:
    """One way to say a product (its name with brand, or an alias), as weighted words."""

    product: int
    """Index of the product in the catalog."""
    words: tuple[str, ...]
    weights: tuple[float, ...]
    text: str
    """The variant in normal form, for order-aware tie-breaking."""


class CatalogIndex:
    """Inverted index over the words of every product name, brand and alias."""

    def __init__(
        self,
        products: Iterable[Product],
        words: MatchWords,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.products: list[Product] = list(products)
        self.words = words
        raw = [self._variant_words(p) for p in self.products]
        document_frequency: dict[str, int] = defaultdict(int)
        for variants in raw:
            for word in {w for variant, _ in variants for w in variant}:
                document_frequency[word] += 1
        count = max(len(self.products), 1)
        self.idf = {w: math.log(1 + count / df) for w, df in document_frequency.items()}
        self.default_idf = float(np.median(list(self.idf.values()))) if self.idf else 1.0
        self.variants: list[NameVariant] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for index, variants in enumerate(raw):
            for variant_words, is_brand in variants:
                self.variants.append(self._variant(index, variant_words, is_brand))
                for word in set(variant_words):
                    postings[word].append(index)
            if progress and index % 5000 == 0:
                progress(index)
        self.postings = {w: np.unique(np.array(ids, dtype=np.int32)) for w, ids in postings.items()}
        self.vocabulary = sorted(self.postings)
        self.by_sound: dict[str, list[str]] = defaultdict(list)
        for word in self.vocabulary:
            self.by_sound[words.sound_key(word)].append(word)
        self.position = {p.id: i for i, p in enumerate(self.products)}
        """Product id -> index in `products`."""
        self.variants_of: dict[int, list[NameVariant]] = defaultdict(list)
        for variant in self.variants:
            self.variants_of[variant.product].append(variant)

    def __len__(self) -> int:
        return len(self.products)

    def same_product_key(self, product: int) -> tuple[str, str]:
        """Products with equal keys are the same to a listener: same words, same size.

        The catalog may list one product twice ("2% Milk", "2 Percent Milk"); the matcher
        offers only the first of such twins.
        """
        found = self.products[product]
        return self.variants_of[product][0].text, found.size

    def _variant_words(self, product: Product) -> list[tuple[list[str], list[bool]]]:
        brand = self.words.words(product.brand) if product.brand else []
        name = self.words.words(product.name)
        named_with_brand = name[: len(brand)] == brand
        main = name if named_with_brand or not brand else brand + name
        brand_flags = [i < len(brand) for i in range(len(main))]
        variants = [(main, brand_flags)]
        if brand and not named_with_brand:
            variants.append((name, [False] * len(name)))
        for alias in product.aliases:
            alias_words = self.words.words(alias)
            variants.append((alias_words, [False] * len(alias_words)))
        return [(w, b) for w, b in variants if w]

    def _variant(self, product: int, words: list[str], is_brand: list[bool]) -> NameVariant:
        weights = tuple(
            self.idf[w] * (BRAND_WEIGHT if brand else 1.0) for w, brand in zip(words, is_brand)
        )
        return NameVariant(product, tuple(words), weights, " ".join(words))
