"""Finding the few name variants that can rank for a phrase without scoring the whole catalog.

The words similar to each said word fall into levels of equal similarity (the word itself or
its closest spellings first, sound-alikes later). A variant holding none of the visited words
explains at most the unvisited levels' similarity of each said word, which bounds its recall and
with it its score. The search visits the level that lowers this bound most for the length of its
postings (and every cheap level beside it), scores in full each variant holding a visited word,
and stops when the bound is below every product still wanted (`Wanted`). The answer is the same
as scoring every variant of the catalog; the work grows with how common the said words are, not
with the size of the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voiceshop.matching.scoring import WORD_MATCH_SHARE, PhraseScorer, Wanted, top

VISIT_OVERHEAD = 200
"""What visiting a level costs beyond reading its postings, in postings."""
FIRST_RANKED = 4
"""How many of the best variants per product asked for are ranked first (then 4 times more)."""


def candidates(scorer: PhraseScorer, wanted: Wanted) -> tuple[np.ndarray, np.ndarray]:
    """Variants with their word matches, among them every variant of a wanted product."""
    levels = _Levels(scorer)
    found = _Found(scorer, wanted)
    while scorer.recall_ceiling_score(levels.reach()) >= found.floor:
        words = levels.visit_next()
        if words is None:
            break
        found.add_holders(words)
    return found.variants, found.word_scores


@dataclass(frozen=True)
class _Level:
    """The words equally similar to one said word."""

    said: int
    similarity: float
    words: tuple[int, ...]


class _Levels:
    """The levels of similar words not visited yet."""

    def __init__(self, scorer: PhraseScorer) -> None:
        self._posting_start = scorer.index.posting_start
        self._cost: dict[_Level, int] = {}
        self._weights = [word.weight for word in scorer.said]
        self._weight_total = sum(self._weights) or 1.0
        self._pending: list[_Level] = []
        for said, word in enumerate(scorer.said):
            by_similarity: dict[float, list[int]] = {}
            for word_id, similarity in word.similar.items():
                by_similarity.setdefault(similarity, []).append(word_id)
            for similarity, words in sorted(by_similarity.items(), reverse=True):
                level = _Level(said, similarity, tuple(words))
                self._pending.append(level)
                self._cost[level] = self._posting_length(words)
        self._visited: set[int] = set()

    def reach(self) -> float:
        """The highest recall of a variant holding no visited word."""
        best: dict[int, float] = {}
        for level in self._pending:
            best.setdefault(level.said, level.similarity)
        return sum(self._weights[i] * s for i, s in best.items()) / self._weight_total

    def visit_next(self) -> list[int] | None:
        """Visit the level that lowers `reach` most for its postings' length, and every cheap
        level beside it: the words not visited before (None when all levels are visited)."""
        fronts: dict[int, _Level] = {}
        below: dict[int, float] = {}
        for level in self._pending:
            if level.said in fronts:
                below.setdefault(level.said, level.similarity)
            else:
                fronts[level.said] = level
        if not fronts:
            return None
        rate = {
            level: self._weights[said]
            * (level.similarity - below.get(said, 0.0))
            / (self._cost[level] + VISIT_OVERHEAD)
            for said, level in fronts.items()
        }
        best = max(rate, key=rate.__getitem__)
        chosen = [level for level in rate if level is best or self._cost[level] <= VISIT_OVERHEAD]
        words = dict.fromkeys(w for level in chosen for w in level.words)
        fresh = [w for w in words if w not in self._visited]
        self._visited.update(fresh)
        self._pending = [
            level
            for level in self._pending
            if level not in chosen and not self._visited.issuperset(level.words)
        ]
        return fresh

    def _posting_length(self, words: list[int]) -> int:
        start = self._posting_start
        return sum(int(start[w + 1] - start[w]) for w in words)


class _Found:
    """The variants scored so far, and the floor a variant must reach to matter."""

    def __init__(self, scorer: PhraseScorer, wanted: Wanted) -> None:
        self._scorer = scorer
        self._wanted = wanted
        self._variants: list[np.ndarray] = []
        self._word_scores: list[np.ndarray] = []
        self._seen = np.zeros(scorer.index.variant_count, dtype=bool)
        self._best: dict[int, float] = {}
        """The best word match of each of the `limit` best distinct products so far."""
        self._kth = -np.inf
        """The lowest word match in `_best`, once it holds `limit` products."""
        self.floor = wanted.floor
        """No variant scoring below this belongs to a wanted product."""

    @property
    def variants(self) -> np.ndarray:
        return np.concatenate(self._variants) if self._variants else np.empty(0, np.int64)

    @property
    def word_scores(self) -> np.ndarray:
        return np.concatenate(self._word_scores) if self._word_scores else np.empty(0)

    def add_holders(self, words: list[int]) -> None:
        """Score the variants holding any of `words` that were not scored before."""
        index = self._scorer.index
        holders = np.concatenate([index.posting(w)[0] for w in words])
        fresh = _distinct(holders[~self._seen[holders]])
        if not len(fresh):
            return
        self._seen[fresh] = True
        word_scores = self._scorer.word_scores(fresh)
        self._variants.append(fresh)
        self._word_scores.append(word_scores)
        if word_scores.max() > self._kth:
            self._rank(fresh, word_scores)

    def _rank(self, variants: np.ndarray, word_scores: np.ndarray) -> None:
        """Update the best distinct products and the floor with newly scored variants.

        Only a variant better than the last of the best can displace one; they are taken best
        first, in growing batches, until the rest cannot. A product's score is at least its
        best variant's share of word match, so these shares bound the least wanted score.
        """
        index = self._scorer.index
        groups = index.product_group[index.variant_product[variants]]
        limit = self._wanted.limit
        take = FIRST_RANKED * limit
        while True:
            best = top(word_scores, take)
            best = best[np.argsort(-word_scores[best], kind="stable")]
            merged = dict(self._best)
            for group, score in zip(groups[best].tolist(), word_scores[best].tolist()):
                if score > merged.get(group, -np.inf):
                    merged[group] = score
            kept = sorted(merged.values(), reverse=True)[:limit]
            kth = kept[-1] if len(kept) == limit else -np.inf
            if take >= len(variants) or word_scores[best[-1]] <= kth:
                break
            take *= 4
        self._best = dict(sorted(merged.items(), key=lambda item: -item[1])[:limit])
        self._kth = kth
        self.floor = self._wanted.least([WORD_MATCH_SHARE * score for score in kept])


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (np.unique without its hashing, faster here)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]
