"""Names spelled like a phrase letter by letter, word breaks ignored.

A misheard phrase often keeps the letters of the name while its words come out wrong: "action
packs" for "ActionPacs", "hold the old italian" for "Whole Peeled Italian", "brooklyn brand
based" for "Brooklyn Bred Bistro". Word matching misses these; comparing the phrase's match
words run together with each name variant's finds them. It reads every variant, so it is kept
for phrases the matcher finds unclear (a question is about to be asked), not for every phrase.
"""

from __future__ import annotations

from itertools import pairwise

from rapidfuzz import fuzz, process

from voiceshop.matching.index import CatalogIndex


class LetterSearch:
    """Every name variant of a catalog as one run of letters, built when first needed."""

    def __init__(self, index: CatalogIndex) -> None:
        self._index = index
        self._letters: list[str] | None = None

    @property
    def letters(self) -> list[str]:
        """Per variant, its words run together."""
        if self._letters is None:
            vocabulary = self._index.vocabulary
            starts = self._index.variant_start.tolist()
            words = self._index.variant_words.tolist()
            self._letters = [
                "".join(vocabulary[w] for w in words[start:end]) for start, end in pairwise(starts)
            ]
        return self._letters

    def closest(self, words: list[str], limit: int, floor: float) -> list[tuple[int, float]]:
        """Up to `limit` (product, similarity 0..1) spelled most like `words`, best first, one
        per group of twins, none below `floor`."""
        said = "".join(words)
        if not said:
            return []
        found = process.extract(
            said, self.letters, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=floor * 100
        )
        index = self._index
        best: dict[int, tuple[int, float]] = {}
        for _, similarity, variant in found:
            product = int(index.variant_product[variant])
            group = int(index.product_group[product])
            if group not in best or similarity / 100 > best[group][1]:
                best[group] = (product, similarity / 100)
        return sorted(best.values(), key=lambda item: -item[1])[:limit]

    def similarity(self, words: list[str], product: int) -> float:
        """How alike (0..1) `words` run together and the product's closest variant are."""
        index = self._index
        first, end = index.product_variants[product : product + 2].tolist()
        said = "".join(words)
        return max((fuzz.ratio(said, self.letters[v]) / 100 for v in range(first, end)), default=0)
