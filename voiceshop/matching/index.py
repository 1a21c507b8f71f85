"""The catalog's word index: which name variants hold each word, and how telling each word is.

Everything lives in flat numpy arrays, quick to score with and to save and load (see
`index_cache.py`). A product has one or more name variants: its name with its brand, its name
alone, its aliases. Variants are numbered in product order; variant `v` is the word ids
`variant_words[variant_start[v]:variant_start[v + 1]]` with their weights in `variant_weights`.
The postings of word `w`, `posting_variants[posting_start[w]:posting_start[w + 1]]`, are the
variants that hold it, and `posting_weights` the word's total weight in each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from voiceshop.catalog.model import Product
from voiceshop.matching import spelling
from voiceshop.matching.spelling import SpellingIndex
from voiceshop.matching.words import MatchWords

BRAND_WEIGHT = 0.35
"""How much an unsaid brand word counts against a name, relative to a product word.
Not tuned: set with the first matcher, before any accuracy benchmark existed."""
ARRAY_NAMES = (
    "vocabulary",
    "sound_keys",
    "idf",
    "product_group",
    "variant_product",
    "variant_start",
    "variant_words",
    "variant_weights",
    "posting_start",
    "posting_variants",
    "posting_weights",
    *spelling.ARRAY_NAMES,
)
"""The arrays an index is made of (see `CatalogIndex.arrays()`)."""


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
        self, products: Sequence[Product], words: MatchWords, arrays: Mapping[str, np.ndarray]
    ) -> None:
        """An index of `products` made of `arrays` (from `build` or a saved index).

        Raises ValueError when the arrays do not fit together or do not fit the products.
        """
        _check(arrays, len(products))
        self.products: list[Product] = list(products)
        self.words = words
        self._arrays = {name: arrays[name] for name in ARRAY_NAMES}
        self.vocabulary: list[str] = arrays["vocabulary"].tolist()
        self.word_id = {word: i for i, word in enumerate(self.vocabulary)}
        self.idf: np.ndarray = arrays["idf"]
        self.default_idf = float(np.median(self.idf)) if len(self.idf) else 1.0
        self.product_group: np.ndarray = arrays["product_group"]
        """Per product: the first product with the same `same_product_key` (twins share it)."""
        self.variant_product: np.ndarray = arrays["variant_product"]
        self.variant_start: np.ndarray = arrays["variant_start"]
        self.variant_words: np.ndarray = arrays["variant_words"]
        self.variant_weights: np.ndarray = arrays["variant_weights"]
        self.variant_total = _segment_sums(self.variant_weights, self.variant_start)
        self.product_variants = np.searchsorted(
            self.variant_product, np.arange(len(self.products) + 1)
        )
        """Product p's variants are `product_variants[p]` up to `product_variants[p + 1]`."""
        self.posting_start: np.ndarray = arrays["posting_start"]
        self.posting_variants: np.ndarray = arrays["posting_variants"]
        self.posting_weights: np.ndarray = arrays["posting_weights"]
        self.by_sound: dict[str, list[int]] = defaultdict(list)
        for word_id, key in enumerate(arrays["sound_keys"].tolist()):
            self.by_sound[key].append(word_id)
        self.spelling = SpellingIndex(self.vocabulary, arrays)
        self.position = {p.id: i for i, p in enumerate(self.products)}
        """Product id -> index in `products`."""
        self.postings: Mapping[str, np.ndarray] = _ProductPostings(self)
        """Word -> the indexes of the products that hold it."""
        self.variants_of: Mapping[int, list[NameVariant]] = _VariantsOf(self)
        """Product index -> its name variants, the name first."""

    @classmethod
    def build(cls, products: Sequence[Product], words: MatchWords) -> CatalogIndex:
        """Index the names, brands and aliases of `products`."""
        words_of = lru_cache(maxsize=None)(words.words)
        variants = [_name_variants(product, words_of) for product in products]
        vocabulary = sorted({w for named in variants for said, _ in named for w in said})
        word_id = {word: i for i, word in enumerate(vocabulary)}
        variant_product = [p for p, named in enumerate(variants) for _ in named]
        lengths = [len(said) for named in variants for said, _ in named]
        flat_words = [word_id[w] for named in variants for said, _ in named for w in said]
        flat_brand = [b for named in variants for _, brand in named for b in brand]
        variant_start = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))
        word_ids = np.array(flat_words, dtype=np.int32)
        idf = _idf(np.repeat(variant_product, lengths), word_ids, len(products), len(vocabulary))
        weights = idf[word_ids] * np.where(flat_brand, BRAND_WEIGHT, 1.0)
        arrays = {
            "vocabulary": np.array(vocabulary, dtype=np.str_),
            "sound_keys": np.array([words.sound_key(w) for w in vocabulary], dtype=np.str_),
            "idf": idf,
            "product_group": _twin_groups(products, variants),
            "variant_product": np.array(variant_product, dtype=np.int32),
            "variant_start": variant_start,
            "variant_words": word_ids,
            "variant_weights": weights,
            **_postings(word_ids, weights, variant_start, len(vocabulary)),
            **SpellingIndex.build(vocabulary).arrays(),
        }
        return cls(products, words, arrays)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays this index is made of, for saving; `CatalogIndex(products, words, arrays)`
        makes the same index again."""
        return dict(self._arrays)

    def __len__(self) -> int:
        return len(self.products)

    @property
    def variant_count(self) -> int:
        return len(self.variant_product)

    def words_of_variant(self, variant: int) -> np.ndarray:
        """The word ids of a variant, in order."""
        return self.variant_words[self.variant_start[variant] : self.variant_start[variant + 1]]

    def variant_text(self, variant: int) -> str:
        """A variant's words in normal form, joined by spaces."""
        return " ".join(self.vocabulary[w] for w in self.words_of_variant(variant).tolist())

    def variant(self, variant: int) -> NameVariant:
        """A variant as words and weights."""
        start, end = self.variant_start[variant], self.variant_start[variant + 1]
        said = tuple(self.vocabulary[w] for w in self.variant_words[start:end].tolist())
        weights = tuple(self.variant_weights[start:end].tolist())
        return NameVariant(int(self.variant_product[variant]), said, weights, " ".join(said))

    def posting(self, word_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The variants that hold a word, and the word's total weight in each."""
        start, end = self.posting_start[word_id], self.posting_start[word_id + 1]
        return self.posting_variants[start:end], self.posting_weights[start:end]

    def same_product_key(self, product: int) -> tuple[str, str]:
        """Products with equal keys are the same to a listener: same words, same size.

        The catalog may list one product twice ("2% Milk", "2 Percent Milk"); the matcher
        offers only the first of such twins.
        """
        first = self.product_variants[product]
        has_words = first < self.product_variants[product + 1]
        return self.variant_text(first) if has_words else "", self.products[product].size


class _ProductPostings(Mapping[str, np.ndarray]):
    """Word -> indexes of the products whose names hold it, computed on demand."""

    def __init__(self, index: CatalogIndex) -> None:
        self._index = index

    def __getitem__(self, word: str) -> np.ndarray:
        variants, _ = self._index.posting(self._index.word_id[word])
        return np.unique(self._index.variant_product[variants])

    def __contains__(self, word: object) -> bool:
        return word in self._index.word_id

    def __iter__(self) -> Iterator[str]:
        return iter(self._index.vocabulary)

    def __len__(self) -> int:
        return len(self._index.vocabulary)


class _VariantsOf(Mapping[int, list[NameVariant]]):
    """Product index -> its name variants, built on demand."""

    def __init__(self, index: CatalogIndex) -> None:
        self._index = index

    def __getitem__(self, product: int) -> list[NameVariant]:
        if not 0 <= product < len(self._index):
            raise KeyError(product)
        first, end = self._index.product_variants[product : product + 2].tolist()
        return [self._index.variant(v) for v in range(first, end)]

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._index)))

    def __len__(self) -> int:
        return len(self._index)


def _name_variants(
    product: Product, words_of: Callable[[str], list[str]]
) -> list[tuple[list[str], list[bool]]]:
    """The product's name variants as (words, which of them are brand words)."""
    brand = words_of(product.brand) if product.brand else []
    name = words_of(product.name)
    named_with_brand = name[: len(brand)] == brand
    main = name if named_with_brand or not brand else brand + name
    variants = [(main, [i < len(brand) for i in range(len(main))])]
    if brand and not named_with_brand:
        variants.append((name, [False] * len(name)))
    for alias in product.aliases:
        alias_words = words_of(alias)
        variants.append((alias_words, [False] * len(alias_words)))
    return [(said, is_brand) for said, is_brand in variants if said]


def _twin_groups(
    products: Sequence[Product], variants: list[list[tuple[list[str], list[bool]]]]
) -> np.ndarray:
    """Per product, the first product with the same first variant and size."""
    first_of: dict[tuple[tuple[str, ...], str], int] = {}
    groups = [
        first_of.setdefault((tuple(named[0][0]) if named else (), product.size), i)
        for i, (product, named) in enumerate(zip(products, variants))
    ]
    return np.array(groups, dtype=np.int32)


def _idf(
    product_of_word: np.ndarray, word_ids: np.ndarray, product_count: int, vocabulary_size: int
) -> np.ndarray:
    """log(1 + products / products holding the word), per word id."""
    pairs = np.sort(product_of_word.astype(np.int64) * vocabulary_size + word_ids)
    distinct = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
    holders = np.bincount(distinct % vocabulary_size, minlength=vocabulary_size)
    return np.log1p(max(product_count, 1) / np.maximum(holders, 1))


def _postings(
    word_ids: np.ndarray, weights: np.ndarray, variant_start: np.ndarray, vocabulary_size: int
) -> dict[str, np.ndarray]:
    """For each word, the variants that hold it and its total weight in each."""
    variant_count = max(len(variant_start) - 1, 1)
    variant_of_word = np.repeat(np.arange(len(variant_start) - 1), np.diff(variant_start))
    pairs = word_ids.astype(np.int64) * variant_count + variant_of_word
    keys, slot = np.unique(pairs, return_inverse=True)
    per_word = np.bincount(keys // variant_count, minlength=vocabulary_size)
    return {
        "posting_start": np.concatenate(([0], np.cumsum(per_word, dtype=np.int64))),
        "posting_variants": (keys % variant_count).astype(np.int32),
        "posting_weights": np.bincount(slot, weights=weights, minlength=len(keys)),
    }


def _segment_sums(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The sum of each segment `values[start[i]:start[i + 1]]` (segments are not empty)."""
    if len(start) < 2:
        return np.zeros(0)
    return np.add.reduceat(values, start[:-1])


def _check(arrays: Mapping[str, np.ndarray], product_count: int) -> None:
    """Raise ValueError unless the arrays form an index of `product_count` products."""
    missing = [name for name in ARRAY_NAMES if name not in arrays]
    if missing:
        raise ValueError(f"the index lacks {', '.join(missing)}")
    words = len(arrays["vocabulary"])
    variants = len(arrays["variant_product"])
    checks = {
        "word data per word": len(arrays["sound_keys"]) == len(arrays["idf"]) == words,
        "twin groups": len(arrays["product_group"]) == product_count
        and _ids_below(arrays["product_group"], product_count),
        "variant bounds": _bounds_fit(arrays["variant_start"], variants, arrays["variant_words"]),
        "variant weights": len(arrays["variant_weights"]) == len(arrays["variant_words"]),
        "posting bounds": _bounds_fit(arrays["posting_start"], words, arrays["posting_variants"]),
        "posting weights": len(arrays["posting_weights"]) == len(arrays["posting_variants"]),
        "word ids": _ids_below(arrays["variant_words"], words),
        "variant ids": _ids_below(arrays["posting_variants"], variants),
        "product ids": _ids_below(arrays["variant_product"], product_count)
        and bool(np.all(np.diff(arrays["variant_product"]) >= 0)),
    }
    broken = [name for name, fits in checks.items() if not fits]
    if broken:
        raise ValueError(f"the index arrays do not fit together: {', '.join(broken)}")


def _bounds_fit(start: np.ndarray, count: int, items: np.ndarray) -> bool:
    """Whether `start` cuts `items` into `count` consecutive segments."""
    return (
        len(start) == count + 1
        and int(start[0]) == 0
        and int(start[-1]) == len(items)
        and bool(np.all(np.diff(start) >= 0))
    )


def _ids_below(ids: np.ndarray, limit: int) -> bool:
    return len(ids) == 0 or (int(ids.min()) >= 0 and int(ids.max()) < limit)
