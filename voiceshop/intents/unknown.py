"""Words nobody taught voiceshop: neither the language data nor the catalog knows them.

People wrap a request in words of their own ("could you possibly chuck in some bananas for me
mate"). A word that no sentence template, no language list (numbers, units, fillers) and no
product, brand, department, aisle or option of the store contains cannot be part of a request
the parser reads, nor of a product the store sells, so it is skipped, as hassil skips the words
of its wildcards. Two exceptions follow from English word order, so that a product the store
does not carry stays not carried instead of becoming a neighbour's: a word next to a product
word most likely modifies it or is its head ("dragonfruit yogurt", "chicken nuggies"), and a word
after one that opens a noun phrase (a count, an article, a unit, "of", "and": "a bottle of
merlot") is the noun itself; both are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from voiceshop.catalog.model import Store
from voiceshop.language.normalize import Normalizer
from voiceshop.matching.words import MatchWords

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|')*")


def strings(raw: Any) -> Iterator[str]:
    """Every string in a YAML value, mapping keys included."""
    if isinstance(raw, str):
        yield raw
    elif isinstance(raw, dict):
        for key, value in raw.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(raw, list | tuple):
        for value in raw:
            yield from strings(value)


def _store_texts(store: Store) -> Iterator[str]:
    """Every text of the store that may name what it sells."""
    for product in store.products:
        yield from (product.name, product.brand, product.department, product.aisle)
        yield from product.aliases
    for group in store.option_groups.values():
        yield from group.amounts
        for value in group.values:
            yield value.value
            yield from value.aliases


def words_of(
    normalizer: Normalizer, match_words: MatchWords, texts: Iterable[str]
) -> frozenset[str]:
    """The normal-form words of the texts, each also in its singular; each distinct word is
    normalised once (a large catalog repeats most of its words)."""
    said = {word for text in set(texts) for word in _WORD.findall(text.lower())}
    found = {token for word in said for token in normalizer.tokens(word)}
    return frozenset(found | {match_words.singular(w) for w in found})


@dataclass
class UnknownWords:
    """Which words of an utterance the language data and a store's catalog both do not know."""

    normalizer: Normalizer
    requests: frozenset[str]
    """The language's words for requests (its sentences, fillers, numbers and units) in normal
    form, each also in its singular (`words_of`)."""
    product_texts: tuple[str, ...]
    """The language's words for products besides the catalog's (kinds, regional words)."""
    openers: frozenset[str]
    """Words after which a noun phrase starts: articles, counts, units, "of", list separators."""
    store: Store
    _products: frozenset[str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._match_words = MatchWords(self.normalizer)

    @property
    def products(self) -> frozenset[str]:
        """The store's words and the language's product words, read on first use (a large
        catalog takes a moment)."""
        if self._products is None:
            texts = [*_store_texts(self.store), *self.product_texts]
            self._products = words_of(self.normalizer, self._match_words, texts)
        return self._products

    def _in(self, word: str, words: frozenset[str]) -> bool:
        return word in words or self._match_words.singular(word) in words

    def known(self, word: str) -> bool:
        """Whether the language data or the catalog knows the word (a comma is known)."""
        return word == "," or self._in(word, self.requests) or self._in(word, self.products)

    def _product_word(self, word: str) -> bool:
        """Whether the word names products and is no request word of the language."""
        return self._in(word, self.products) and not self._in(word, self.requests)

    def _kept(self, before: list[str], after: list[str]) -> bool:
        """Whether unknown words between these neighbours are part of a product phrase."""
        return any(self._product_word(w) for w in before + after) or any(
            w in self.openers for w in before
        )

    def skipped(self, words: list[str]) -> list[str] | None:
        """The words without each run of unknown words that is no part of a product phrase
        (see the module docstring); None when no word is skipped."""
        kept: list[str] = []
        start = 0
        while start < len(words):
            end = start
            while end < len(words) and not self.known(words[end]):
                end += 1
            if end == start:
                kept.append(words[start])
                start += 1
                continue
            if self._kept(words[start - 1 : start], words[end : end + 1]):
                kept.extend(words[start:end])
            start = end
        return kept if len(kept) < len(words) else None
