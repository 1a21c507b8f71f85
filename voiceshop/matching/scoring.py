"""How well each name variant matches a spoken phrase.

Each spoken word is paired with the most similar word of the variant (same word, a close
spelling, or the same sound). Two coverages are weighed by how telling each word is (idf): how
much of what was said the variant explains (recall), and how much of the variant was said
(precision). Their F-beta is the word match, 0..1. A variant's score is WORD_MATCH_SHARE of its
word match plus ORDER_SHARE of how closely the said words follow the variant's order; a
product's score is that of its best variant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from voiceshop.matching.index import CatalogIndex

WORD_MATCH_SHARE = 0.97
"""How much of a score is the word match."""
ORDER_SHARE = 0.03
"""How much of a score is saying the words in the name's order."""
ROUNDING = 1e-4
"""Scores are shown to four decimals: products this close to a bound are kept."""
FIRST_SCORED = 4
"""Variants scored in full in the first batch per product asked for (then four times more)."""


@dataclass(frozen=True)
class SaidWord:
    """A spoken word as the scorer sees it."""

    similar: dict[int, float]
    """Catalog word id -> similarity to the spoken word, 0..1."""
    weight: float
    """How telling the spoken word is (an idf)."""


class PhraseScorer:
    """Word-match scores of name variants for one spoken phrase."""

    def __init__(self, index: CatalogIndex, said: Sequence[SaidWord], beta: float) -> None:
        self.index = index
        self.said = said
        self._beta2 = beta**2
        self._weights = np.array([word.weight for word in said])
        similar = sorted({word_id for word in said for word_id in word.similar})
        self._other_row = len(similar)
        self._row_of_word = np.full(len(index.vocabulary), self._other_row, dtype=np.int32)
        self._row_of_word[similar] = np.arange(len(similar), dtype=np.int32)
        # Rows: the similar catalog words, then one for any other word; columns: said words.
        similarity = np.zeros((len(similar) + 1, len(said)))
        for column, word in enumerate(said):
            for word_id, value in word.similar.items():
                similarity[self._row_of_word[word_id], column] = value
        self._best_similarity = similarity.max(axis=1)
        rows, self._pair_column = np.nonzero(similarity)
        self._pair_similarity = similarity[rows, self._pair_column]
        self._pair_start = np.searchsorted(rows, np.arange(len(similarity) + 1))

    def word_scores(self, variants: np.ndarray) -> np.ndarray:
        """The word match of each variant, from all of the variant's words."""
        index = self.index
        starts = index.variant_start[variants]
        lengths = index.variant_start[variants + 1] - starts
        firsts = np.cumsum(lengths) - lengths
        positions = np.arange(lengths.sum()) - np.repeat(firsts - starts, lengths)
        rows = self._row_of_word[index.variant_words[positions]]
        similar = np.flatnonzero(rows != self._other_row)
        owner = np.repeat(np.arange(len(variants)), lengths)[similar]
        rows, positions = rows[similar], positions[similar]
        named = np.bincount(
            owner,
            weights=index.variant_weights[positions] * self._best_similarity[rows],
            minlength=len(variants),
        )
        recall = self._closest(owner, rows, len(variants)) @ self._weights / self._weights.sum()
        return self._f_score(named / index.variant_total[variants], recall)

    def recall_ceiling_score(self, recall: float) -> float:
        """The highest score of a variant whose recall is at most `recall`."""
        best = (1 + self._beta2) * recall / (self._beta2 + recall) if recall > 0 else 0.0
        return WORD_MATCH_SHARE * best + ORDER_SHARE

    def _closest(self, owner: np.ndarray, rows: np.ndarray, count: int) -> np.ndarray:
        """Per variant (by `owner`) and said word: the highest similarity of the variant's
        similar words (their `rows`) to the said word."""
        firsts = self._pair_start[rows]
        pairs_per_row = self._pair_start[rows + 1] - firsts
        entry = np.repeat(np.arange(len(rows)), pairs_per_row)
        offsets = np.cumsum(pairs_per_row) - pairs_per_row - firsts
        pair = np.arange(len(entry)) - np.repeat(offsets, pairs_per_row)
        columns = len(self.said)
        closest = np.zeros(count * columns)
        cells = owner[entry] * columns + self._pair_column[pair]
        np.maximum.at(closest, cells, self._pair_similarity[pair])
        return closest.reshape(count, columns)

    def _f_score(self, precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
        """F-beta of positive precisions and recalls."""
        beta2 = self._beta2
        return (1 + beta2) * precision * recall / (beta2 * precision + recall)


def ceiling(word_scores: np.ndarray) -> np.ndarray:
    """The highest score of variants with these word matches: their words in the said order."""
    return WORD_MATCH_SHARE * word_scores + ORDER_SHARE


@dataclass(frozen=True)
class Wanted:
    """The products a ranking asks for: the `limit` best distinct ones, none scoring below
    `floor` nor more than `within` below the best."""

    limit: int
    within: float = math.inf
    floor: float = -math.inf

    def least(self, best: Sequence[float]) -> float:
        """The lowest score still wanted, given the best scores of distinct products so far
        (best first)."""
        least = self.floor
        if len(best) >= self.limit:
            least = max(least, best[self.limit - 1])
        if best:
            least = max(least, best[0] - self.within - ROUNDING)
        return least


class ProductScores:
    """Full scores (word match and word order) of variants, kept per product."""

    def __init__(self, index: CatalogIndex, text: str) -> None:
        self._index = index
        self._text = text
        self.scores: dict[int, float] = {}
        """Product -> the score of its best variant scored so far."""

    def best(
        self, variants: np.ndarray, word_scores: np.ndarray, wanted: Wanted
    ) -> dict[int, float]:
        """Score enough of the variants to know the wanted products among them.

        Word order adds at most ORDER_SHARE: a variant whose word match cannot reach the least
        wanted score even with its words in the said order is left out. The best variants by
        word match are scored first, in growing batches.
        """
        ceilings = ceiling(word_scores)
        pending = np.flatnonzero(ceilings >= wanted.floor)
        batch = FIRST_SCORED * wanted.limit
        while len(pending):
            chosen = top(word_scores[pending], batch)
            self._add(variants[pending[chosen]], word_scores[pending[chosen]])
            pending = np.delete(pending, chosen)
            ranked = distinct_best(self._index, self.scores, wanted.limit)
            pending = pending[ceilings[pending] >= wanted.least([s for _, s in ranked])]
            batch *= 4
        return self.scores

    def _add(self, variants: np.ndarray, word_scores: np.ndarray) -> None:
        index, scores = self._index, self.scores
        products = index.variant_product[variants].tolist()
        for variant, product, word_score in zip(variants.tolist(), products, word_scores.tolist()):
            order = fuzz.ratio(self._text, index.variant_text(variant)) / 100
            score = WORD_MATCH_SHARE * word_score + ORDER_SHARE * order
            if score > scores.get(product, -1.0):
                scores[product] = score


def distinct_best(
    index: CatalogIndex, scores: Mapping[int, float], limit: int
) -> list[tuple[int, float]]:
    """The `limit` best (product, score), best first, offering twins only once."""
    ranked: list[tuple[int, float]] = []
    seen: set[int] = set()
    for product, score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        group = int(index.product_group[product])
        if group not in seen:
            seen.add(group)
            ranked.append((product, score))
            if len(ranked) == limit:
                break
    return ranked


def top(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` highest values, in no particular order."""
    if count >= len(values):
        return np.arange(len(values))
    return np.argpartition(values, -count)[-count:]
